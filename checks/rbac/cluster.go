package rbac

import (
	"fmt"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
	engine "github.com/kubeharden/kubeharden/rbac"
)

// CSRApprovalProbes approve certificate signing requests.
var CSRApprovalProbes = probes(true, []string{"update", "patch"}, "certificatesigningrequests.certificates.k8s.io/approval")

// signers are the built-in signers whose certificates authenticate to the cluster: a client
// certificate may name any user and group (system:masters included), a kubelet one a node.
// The API server checks approve on the signer's name and on "<domain>/*".
var signers = []string{"kubernetes.io/kube-apiserver-client", "kubernetes.io/kube-apiserver-client-kubelet", "kubernetes.io/kubelet-serving", "kubernetes.io/*"}

// CSRApproval reports subjects that may approve certificate requests for the built-in signers.
var CSRApproval = &check.Check{
	ID:    "rbac/csr-approval",
	Title: "Subject may approve certificate signing requests",
	Doc: "Approving a CertificateSigningRequest takes update on certificatesigningrequests/approval " +
		"and approve on the signer. For kubernetes.io/kube-apiserver-client the certificate may " +
		"name any user in any group — system:masters included, which no RBAC can restrict — and " +
		"for the kubelet signers any node. The check reports subjects that hold both (the approve " +
		"part through any binding). Leave approval to the controller manager's approvers.",
	Severity:    check.Critical,
	References:  []string{"CIS Kubernetes Benchmark 5.1.11", refNSA, refRBACDocs, refValidAcct},
	Remediation: "Remove update on certificatesigningrequests/approval, or approve on the kubernetes.io signers.",
	Kinds:       bindingKinds,
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.RBAC},
	Run: func(p *check.Pass) {
		e := Engine(p)
		for _, h := range Holders(e, CSRApprovalProbes) {
			user, groups := h.Subject.Principal()
			for _, s := range signers {
				a := engine.Attributes{Verb: "approve", APIGroup: "certificates.k8s.io", Resource: "signers", Name: s}
				if rs := e.Reasons(user, groups, a); len(rs) > 0 {
					p.Report(check.Diagnostic{
						Object: h.Binding.Object,
						Path:   SubjectPath(h.SubjectIndex),
						Message: fmt.Sprintf("%s can approve certificate requests for signer %s: %s %s, and approve %s",
							h.Subject, s, Actions(h.Probes), Via(&h.Grants[0]), Via(&rs[0])),
					})
					break
				}
			}
		}
	},
}

// WebhookProbes write admission webhook and policy configurations.
var WebhookProbes = probes(true, []string{"create", "update", "patch", "delete", "deletecollection"},
	"mutatingwebhookconfigurations.admissionregistration.k8s.io", "validatingwebhookconfigurations.admissionregistration.k8s.io",
	"validatingadmissionpolicies.admissionregistration.k8s.io", "validatingadmissionpolicybindings.admissionregistration.k8s.io",
	"mutatingadmissionpolicies.admissionregistration.k8s.io", "mutatingadmissionpolicybindings.admissionregistration.k8s.io")

// WebhookConfig reports subjects that may write admission webhooks or policies.
var WebhookConfig = &check.Check{
	ID:    "rbac/webhook-config",
	Title: "Subject may change admission webhooks or policies",
	Doc: "Admission webhooks and policies see and may rewrite every object written to the " +
		"cluster: a subject that can create a mutating webhook can inject containers into any " +
		"pod, read every Secret as it is written, or, by deleting or loosening a validating " +
		"webhook or policy, switch off the guards others rely on. Keep these writes to the " +
		"controllers that own their configuration.",
	Severity:    check.High,
	References:  []string{"CIS Kubernetes Benchmark 5.1.12", refNSA, refRBACDocs, "MITRE ATT&CK T1562 Impair Defenses"},
	Remediation: "Remove write verbs on mutating/validating webhook configurations and admission policies.",
	Kinds:       bindingKinds,
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.RBAC},
	Partition:   ByBinding,
	Run: func(p *check.Pass) {
		bySeverity(p, HoldersIn(Engine(p), WebhookProbes, p.Namespaces), check.High, true)
	},
}
