package secrets

import (
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
	rbacchecks "github.com/kubeharden/kubeharden/checks/rbac"
	"github.com/kubeharden/kubeharden/rbac"
)

// RBACReadSecrets reports the subjects that may read Secrets, and where.
var RBACReadSecrets = &check.Check{
	ID:    "secrets/rbac-read-secrets",
	Title: "Subject may read Secrets",
	Doc: "get, list or watch on secrets returns their data: passwords, keys, and in older " +
		"clusters service account tokens that act with their permissions. list and watch return " +
		"every Secret of the namespace at once. The check asks the RBAC engine who actually holds " +
		"the grant — each bound subject, through which binding and rule — and reports " +
		"ClusterRoleBindings (every namespace, kube-system included) as high and RoleBindings " +
		"(one namespace) as medium. Rules limited by resourceNames, the way to grant a workload " +
		"its own Secret, are not reported; bindings of the default policy and Kubernetes " +
		"component subjects are skipped, and so are roles that allow everything " +
		"(rbac/cluster-admin reports those).",
	Severity: check.High,
	References: []string{"CIS Kubernetes Benchmark 5.1.2", "NSA-CISA Kubernetes Hardening Guide v1.2: Authentication and authorization",
		"MITRE ATT&CK T1552.007 Unsecured Credentials: Container API", "MITRE ATT&CK T1528 Steal Application Access Token"},
	Remediation: "Remove get/list/watch on secrets, or restrict get to the Secrets the subject needs with resourceNames.",
	Kinds:       []string{rbac.RoleBindingKind, rbac.ClusterRoleBindingKind},
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.RBAC},
	Partition:   rbacchecks.ByBinding,
	Run: func(p *check.Pass) {
		for _, h := range rbacchecks.HoldersIn(rbacchecks.Engine(p), rbacchecks.ReadSecretsProbes, p.Namespaces) {
			sev := check.High
			if !h.ClusterWide() {
				sev = check.Medium
			}
			p.Report(check.Diagnostic{
				Object:   h.Binding.Object,
				Path:     rbacchecks.SubjectPath(h.SubjectIndex),
				Severity: sev,
				Message: h.Subject.String() + " can " + rbacchecks.Actions(h.Probes) + " " +
					rbacchecks.Where(h.Binding, false) + " " + rbacchecks.Via(&h.Grants[0]),
			})
		}
	},
}

func init() { check.Register(RBACReadSecrets) }
