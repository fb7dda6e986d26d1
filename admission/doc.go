// Package admission enforces kubeharden's checks when objects are admitted, in the two ways a
// platform team can choose between: a validating webhook (Server) that runs the registered
// checks on the incoming object with what it caches of the cluster, and ValidatingAdmissionPolicy
// objects (ExportVAP) for the checks that carry a CEL form, which the API server evaluates
// itself. Both use the checks' IDs, severities and suppressions as `kubeharden scan` does.
package admission
