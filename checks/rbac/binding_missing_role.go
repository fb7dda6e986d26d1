package rbac

import (
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
	engine "github.com/kubeharden/kubeharden/rbac"
)

// BindingMissingRole reports bindings whose role does not exist.
var BindingMissingRole = &check.Check{
	ID:    "rbac/binding-missing-role",
	Title: "Binding references a role that does not exist",
	Doc: "A RoleBinding or ClusterRoleBinding whose roleRef names a Role or ClusterRole that " +
		"does not exist grants nothing today. It is left over from a removed application or a " +
		"typo, and whoever later creates a role of that name (a chart, a colleague) silently " +
		"grants its rules to the binding's subjects. Scanning manifests, the built-in roles " +
		"(cluster-admin, admin, edit, view, system:…) count as existing; a role defined in files " +
		"that were not scanned is reported too, so scan the whole set. A ClusterRoleBinding can " +
		"only reference a ClusterRole.",
	Severity:    check.Low,
	References:  []string{refRBACDocs, refAcctManip},
	Remediation: "Delete the binding, or fix its roleRef to name the role it means.",
	Kinds:       bindingKinds,
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.RBAC},
	Run: func(p *check.Pass) {
		builtin := map[string]bool{}
		for _, r := range engine.DefaultPolicy().ClusterRoles {
			builtin[r.Name] = true
		}
		for _, b := range Engine(p).Bindings() {
			// Every cluster has the built-in ClusterRoles, whether or not a live inventory
			// listed them (a restricted reader may not see them).
			if b.Object == nil || b.Default() || b.Role() != nil || (b.RoleRef.Kind == engine.ClusterRoleKind && builtin[b.RoleRef.Name]) {
				continue
			}
			what := b.RoleRefString() + ", which does not exist"
			if b.Kind == engine.ClusterRoleBindingKind && b.RoleRef.Kind != engine.ClusterRoleKind {
				what = b.RoleRef.Kind + " " + b.RoleRef.Name + ": a ClusterRoleBinding can only reference a ClusterRole"
			}
			p.Reportf(b.Object, "roleRef", "%s references %s; it grants nothing until someone creates that role", b, what)
		}
	},
}
