package rbac

import (
	"fmt"
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
	engine "github.com/kubeharden/kubeharden/rbac"
)

// BuiltinRedefined reports input roles and bindings that redefine those of the default
// policy, and what the API server makes of them.
var BuiltinRedefined = &check.Check{
	ID:    "rbac/builtin-role-redefined",
	Title: "Manifest redefines a built-in role or binding",
	Doc: "The API server creates its bootstrap roles and bindings (cluster-admin, admin, edit, " +
		"view, the system: roles) and reconciles them at every start-up: it adds back the rules, " +
		"aggregation selectors and subjects a stored copy lacks, never removes any, and replaces a " +
		"built-in binding whose roleRef was changed. A manifest that \"redefines\" cluster-admin " +
		"with fewer rules therefore does not weaken it, and rules a manifest adds to view or edit " +
		"are granted by every binding to them. Only the annotation " +
		"rbac.authorization.kubernetes.io/autoupdate: \"false\" makes a redefinition stick, and " +
		"then the role no longer receives the rules new Kubernetes versions add. kubeharden " +
		"judges every binding with the definition the API server leaves. Do not redefine " +
		"built-in roles: write your own role with the rules you mean and bind that.",
	Severity:    check.Medium,
	References:  []string{refRBACDocs, "Kubernetes docs: RBAC, Auto-reconciliation", refAcctManip},
	Remediation: "Remove the redefinition and bind a role of your own with the rules you mean.",
	Kinds:       []string{engine.RoleKind, engine.ClusterRoleKind, engine.RoleBindingKind, engine.ClusterRoleBindingKind},
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.RBAC},
	Run: func(p *check.Pass) {
		e := Engine(p)
		for _, r := range e.Roles() {
			rec := r.Reconciled
			if rec == nil || r.Object == nil {
				continue
			}
			switch {
			case rec.Protected && rec.Changed():
				p.Report(check.Diagnostic{Object: r.Object, Path: "metadata.annotations", Severity: check.Low,
					Message: fmt.Sprintf("%s redefines a built-in role and opts out of reconciliation (autoupdate \"false\"): the cluster keeps this definition, which lacks %s of the built-in one, and upgrades will not update it", r, missing(rec))})
			case !rec.Protected && rec.Changed():
				p.Reportf(r.Object, "rules", "%s redefines a built-in role: the API server adds back the %s it lacks at start-up, so bindings to it grant the built-in permissions, not this definition's", r, missing(rec))
			case len(rec.ExtraRules) > 0:
				p.Reportf(r.Object, "rules", "%s adds %d rule(s) to a built-in role (first: %s): every binding to it, the built-in ones too, grants them", r, len(rec.ExtraRules), engine.RuleString(&rec.ExtraRules[0]))
			}
		}
		for _, b := range e.Bindings() {
			rec := b.Reconciled
			if rec == nil || b.Object == nil || !rec.Changed() {
				continue
			}
			switch {
			case rec.Protected:
				p.Report(check.Diagnostic{Object: b.Object, Path: "metadata.annotations", Severity: check.Low,
					Message: fmt.Sprintf("%s redefines a built-in binding and opts out of reconciliation (autoupdate \"false\"): the cluster keeps it as written", b)})
			case rec.Recreated:
				p.Reportf(b.Object, "roleRef", "%s redefines a built-in binding with another roleRef: the API server deletes it at start-up and recreates the built-in binding to %s, so its subjects do not get this grant", b, b.RoleRefString())
			default:
				p.Reportf(b.Object, "subjects", "%s redefines a built-in binding: the API server adds back its built-in subjects (%s) at start-up", b, subjects(rec))
			}
		}
	},
}

func missing(r *engine.Reconciled) string {
	var parts []string
	if n := len(r.MissingRules); n > 0 {
		parts = append(parts, fmt.Sprintf("%d rule(s)", n))
	}
	if r.MissingSelectors > 0 {
		parts = append(parts, fmt.Sprintf("%d aggregation selector(s)", r.MissingSelectors))
	}
	return strings.Join(parts, " and ")
}

func subjects(r *engine.Reconciled) string {
	names := make([]string, len(r.MissingSubjects))
	for i, s := range r.MissingSubjects {
		names[i] = s.Kind + " " + s.Name
	}
	return strings.Join(names, ", ")
}
