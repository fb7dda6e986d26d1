// Package podsecurity holds the checks of the Pod Security practice: every pod template meets
// the Pod Security Standards its namespace enforces, and every namespace that runs workloads
// enforces a level, pinned to a version, with warn and audit at least as strict.
//
// The pod checks are the upstream PodSecurity admission checks themselves, one kubeharden
// check per upstream check ID (podsecurity/privileged, podsecurity/runAsNonRoot, ... with
// upstream's casing), judged by the psa package with the API server's own library. Each pod
// template is judged twice:
//
//   - at the level and version its namespace enforces (its labels, else the cluster default
//     from the admission configuration, else baseline at latest): a failure here is a pod
//     the API server refuses to create (or, when the level was assumed, one that a baseline
//     namespace would refuse). Baseline checks are high: each one blocks a known privilege
//     escalation or a way out of the container (host namespaces, privileged, hostPath,
//     added capabilities). Restricted checks are medium: they are defence in depth (non-root,
//     dropped capabilities, seccomp), and a pod that fails only them is still contained.
//   - at restricted, at the same version, to show how far the namespace is from the strictest
//     level. A failure found only here is reported one severity lower (baseline checks
//     medium, restricted checks low): the namespace's owner has not asked for that level,
//     so it is a gap to close rather than a pod the cluster refuses.
//
// Namespaces the admission configuration exempts, and pods of an exempt runtime class, are
// skipped as the API server skips them; so are the namespaces kubeharden's configuration
// exempts (podSecurity.exemptNamespaces; kube-system, kube-public and kube-node-lease by
// default), whose agents need host access by design.
package podsecurity

import "github.com/kubeharden/kubeharden/check"

// References shared by the checks of this package.
const (
	refBaseline   = "PSS baseline"
	refRestricted = "PSS restricted"
	refNSA        = "NSA-CISA Kubernetes Hardening Guide v1.2: Kubernetes Pod security"
	refPSA        = "Kubernetes docs: Pod Security Admission"
	refEscape     = "MITRE ATT&CK T1611 Escape to Host"
	refCIS521     = "CIS Kubernetes Benchmark 5.2.1"
)

// Checks returns the checks of this package, for tests and for callers that run one practice.
func Checks() []*check.Check {
	out := append([]*check.Check(nil), podChecks...)
	return append(out, NoEnforceLabel, UnpinnedVersion, WarnAuditWeaker, InvalidLabel, ReadOnlyRoot, DefaultNamespace)
}

// PSSChecks are the checks of the Pod Security Standards and of the namespaces' Pod Security
// labels, without the hardening checks the standards leave out.
func PSSChecks() []*check.Check {
	out := append([]*check.Check(nil), podChecks...)
	return append(out, NoEnforceLabel, UnpinnedVersion, WarnAuditWeaker, InvalidLabel)
}
