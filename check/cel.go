package check

import "github.com/kubeharden/kubeharden/config"

// CEL is a check's form as ValidatingAdmissionPolicy validations: what lets `kubeharden export
// vap` hand the check to the API server. A check carries one only when its Go form judges an
// object from that object alone, and the differential test of admission proves that both forms
// reject the same objects.
//
// Expressions use the ValidatingAdmissionPolicy variables (object, oldObject, request,
// namespaceObject, params) and, for checks on Workloads, variables.spec: the pod spec of the
// object whatever its kind (a Pod's spec, a Deployment's template spec, a CronJob's job
// template's pod spec), which the exported policy defines.
type CEL struct {
	// Kinds are the kinds the policy matches (Workloads for every pod-carrying kind the
	// export knows the API group of).
	Kinds []string
	// Validations fail (reject) when an expression is false.
	Validations []Validation
	// NamespaceExempt names the namespaces the check skips, as the Go form does, from the
	// configuration; the export turns them into the binding's namespaceSelector.
	NamespaceExempt func(*config.Config) []string
	// Params are the check's parameters from the configuration, by key. A check that has
	// them reads them in CEL as params.data[key] (strings): the export writes them into a
	// ConfigMap that the binding names as its paramRef, so that changing a parameter needs
	// no new policy.
	Params func(*config.Config) map[string]string
}

// Validation is one CEL expression and the message shown when it is false.
type Validation struct {
	Expression string
	// MessageExpression is a CEL string expression; it must start with the check's ID.
	MessageExpression string
}
