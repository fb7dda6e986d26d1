package rbac

import (
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
	engine "github.com/kubeharden/kubeharden/rbac"
)

// AdminProbes is the request only full-wildcard rules allow: every verb on every resource of
// every group, what the cluster-admin ClusterRole grants.
var AdminProbes = []Probe{{Attributes: engine.Attributes{Verb: "*", APIGroup: "*", Resource: "*"}}}

// ClusterAdmin reports subjects bound to cluster-admin or an equivalent role.
var ClusterAdmin = &check.Check{
	ID:    "rbac/cluster-admin",
	Title: "Subject is bound to cluster-admin or an equivalent role",
	Doc: "A rule with verbs, apiGroups and resources all \"*\" (the cluster-admin ClusterRole, or any " +
		"role written like it) allows everything: reading every Secret, running pods as any " +
		"service account, changing RBAC itself. Bound by a ClusterRoleBinding it makes the subject " +
		"an administrator of the whole cluster; bound by a RoleBinding, of the namespace (reported " +
		"one level lower). The check reports each subject that holds such a grant, whichever role " +
		"name carries it. Keep cluster-admin for break-glass accounts; give people and workloads " +
		"roles that list what they need (the default admin, edit and view roles, bound per " +
		"namespace, cover most needs).",
	Severity:    check.Critical,
	References:  []string{"CIS Kubernetes Benchmark 5.1.1", refNSA, refRBACDocs, refValidAcct},
	Remediation: "Bind a role that lists only the needed verbs and resources (admin, edit or view per namespace) instead of cluster-admin.",
	Kinds:       bindingKinds,
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.RBAC},
	Run: func(p *check.Pass) {
		for _, h := range holders(Engine(p), AdminProbes, true) {
			sev := check.Critical
			what := "do anything (every verb on every resource)"
			if !h.ClusterWide() {
				sev = check.High
			}
			reportHolding(p, h, sev, false, what)
		}
	},
}

// adminEquivalent reports whether a role allows every verb on every resource.
func adminEquivalent(r *engine.Role) bool {
	for i := range r.Rules {
		if engine.RuleAllows(&r.Rules[i], &AdminProbes[0].Attributes) {
			return true
		}
	}
	return false
}
