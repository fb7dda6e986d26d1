package rbac

import (
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/psa"
	engine "github.com/kubeharden/kubeharden/rbac"
)

// DefaultServiceAccount reports pods that run as their namespace's default service account.
var DefaultServiceAccount = &check.Check{
	ID:    "rbac/default-serviceaccount",
	Title: "Pods run as the default service account",
	Doc: "Every pod that names no service account runs as its namespace's \"default\" one, so " +
		"every such pod shares one identity: a permission granted to one of them (a RoleBinding " +
		"to default, often added to make one application work) is granted to all, and the API " +
		"server's audit log cannot tell them apart. Give each workload its own ServiceAccount, " +
		"bound to what it needs, with automountServiceAccountToken: false when it does not call " +
		"the API. Namespaces that kubeharden exempts (kube-system, kube-public, kube-node-lease " +
		"by default) are skipped.",
	Severity:    check.Low,
	References:  []string{"CIS Kubernetes Benchmark 5.1.5", refRBACDocs, refValidAcct},
	Remediation: "Create a ServiceAccount for the workload and set spec.serviceAccountName to it.",
	Kinds:       []string{check.Workloads},
	Reads:       []string{"ServiceAccount"},
	Scope:       check.ScopeNamespace,
	Run: func(p *check.Pass) {
		skip := p.Config.PodSecurity.Exempt()
		for _, t := range p.Inv.PodTemplates() {
			if t.ServiceAccount() != "default" || psa.Matches(skip, t.Namespace()) {
				continue
			}
			token := "its token is not mounted"
			if engine.Automounts(t, p.Inv) {
				token = "its token is mounted"
			}
			p.Reportf(t.Owner, t.Path+".serviceAccountName", "%s %s runs as the default service account of namespace %s (%s)", t.Owner.Kind, t.Owner.Name, t.Namespace(), token)
		}
	},
}
