package rbac

import (
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
	engine "github.com/kubeharden/kubeharden/rbac"
)

// AdminProbes is the request only full-wildcard rules allow: every verb on every resource of
// every group, what the cluster-admin ClusterRole grants.
var AdminProbes = []Probe{{Attributes: engine.Attributes{Verb: "*", APIGroup: "*", Resource: "*"}}}

// allVerbProbes asks for each standard verb on every resource of every group.
var allVerbProbes = func() []Probe {
	out := make([]Probe, len(engine.StandardVerbs))
	for i, v := range engine.StandardVerbs {
		out[i] = Probe{Attributes: engine.Attributes{Verb: v, APIGroup: "*", Resource: "*"}}
	}
	return out
}()

// ClusterAdmin reports subjects bound to cluster-admin or an equivalent role.
var ClusterAdmin = &check.Check{
	ID:    "rbac/cluster-admin",
	Title: "Subject is bound to cluster-admin or an equivalent role",
	Doc: "A rule with verbs, apiGroups and resources all \"*\" (the cluster-admin ClusterRole, or any " +
		"role written like it) allows everything: reading every Secret, running pods as any " +
		"service account, changing RBAC itself. Rules that list every standard verb (get, list, " +
		"watch, create, update, patch, delete, deletecollection) on \"*\" resources of \"*\" groups " +
		"are the same in all but name. Bound by a ClusterRoleBinding it makes the subject " +
		"an administrator of the whole cluster; bound by a RoleBinding, of the namespace (reported " +
		"one level lower). The check reports each subject that holds such a grant, whichever role " +
		"name carries it. A manifest that redefines cluster-admin with fewer rules does not weaken " +
		"it: the API server restores its rules at start-up (see rbac/builtin-role-redefined). " +
		"Keep cluster-admin for break-glass accounts; give people and workloads " +
		"roles that list what they need (the default admin, edit and view roles, bound per " +
		"namespace, cover most needs).",
	Severity:    check.Critical,
	References:  []string{"CIS Kubernetes Benchmark 5.1.1", refNSA, refRBACDocs, refValidAcct},
	Remediation: "Bind a role that lists only the needed verbs and resources (admin, edit or view per namespace) instead of cluster-admin.",
	Kinds:       bindingKinds,
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.RBAC},
	Partition:   ByBinding,
	Run: func(p *check.Pass) {
		e := Engine(p)
		type key struct {
			b *engine.Binding
			i int
		}
		seen := map[key]bool{}
		report := func(h *Holding, what string) {
			seen[key{h.Binding, h.SubjectIndex}] = true
			sev := check.Critical
			if !h.ClusterWide() {
				sev = check.High
			}
			reportHolding(p, h, sev, false, what)
		}
		for _, h := range holders(e, AdminProbes, true, p.Namespaces) {
			report(h, "do anything (every verb on every resource)")
		}
		for _, h := range holders(e, allVerbProbes, true, p.Namespaces) {
			if len(h.Probes) == len(allVerbProbes) && !seen[key{h.Binding, h.SubjectIndex}] {
				report(h, "do what cluster-admin does (every standard verb, "+strings.Join(engine.StandardVerbs, ", ")+", on every resource)")
			}
		}
	},
}

// adminEquivalent reports whether a role allows every verb on every resource, with "*" or
// with every standard verb.
func adminEquivalent(r *engine.Role) bool {
	has := func(a *engine.Attributes) bool {
		for i := range r.Rules {
			if engine.RuleAllows(&r.Rules[i], a) {
				return true
			}
		}
		return false
	}
	if has(&AdminProbes[0].Attributes) {
		return true
	}
	for i := range allVerbProbes {
		if !has(&allVerbProbes[i].Attributes) {
			return false
		}
	}
	return true
}
