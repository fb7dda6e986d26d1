package rbac

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
	engine "github.com/kubeharden/kubeharden/rbac"
)

// WildcardVerbs reports subjects granted rules with verbs "*".
var WildcardVerbs = &check.Check{
	ID:    "rbac/wildcard-verbs",
	Title: "Subject is granted every verb on some resources",
	Doc: "verbs: [\"*\"] grants every verb, including the ones that escalate (escalate, bind, " +
		"impersonate) and any verb a resource gains later. The check reports each subject bound to " +
		"a role with such a rule, with the rules; roles that allow everything are left to " +
		"rbac/cluster-admin. List the verbs the subject needs (get, list, watch for readers).",
	Severity:    check.Medium,
	References:  []string{"CIS Kubernetes Benchmark 5.1.3", refNSA, refRBACDocs},
	Remediation: "Replace verbs: [\"*\"] with the verbs the subject needs.",
	Kinds:       bindingKinds,
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.RBAC},
	Run: func(p *check.Pass) {
		wildcards(p, func(r *rbacv1.PolicyRule) bool { return contains(r.Verbs, rbacv1.VerbAll) }, "every verb (verbs: *)")
	},
}

// WildcardResources reports subjects granted rules on resources "*" or apiGroups "*".
var WildcardResources = &check.Check{
	ID:    "rbac/wildcard-resources",
	Title: "Subject is granted rules on every resource or API group",
	Doc: "resources: [\"*\"] or apiGroups: [\"*\"] covers every resource of the cluster, Secrets " +
		"and RBAC objects included, and every custom resource installed later. The check reports " +
		"each subject bound to a role with such a rule; roles that allow everything are left to " +
		"rbac/cluster-admin. List the API groups and resources the subject needs.",
	Severity:    check.Medium,
	References:  []string{"CIS Kubernetes Benchmark 5.1.3", refNSA, refRBACDocs},
	Remediation: "Replace the \"*\" in resources or apiGroups with the resources and groups the subject needs.",
	Kinds:       bindingKinds,
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.RBAC},
	Run: func(p *check.Pass) {
		wildcards(p, func(r *rbacv1.PolicyRule) bool {
			return len(r.NonResourceURLs) == 0 && (contains(r.Resources, rbacv1.ResourceAll) || contains(r.APIGroups, rbacv1.APIGroupAll))
		}, "rules on every resource or API group (resources or apiGroups: *)")
	},
}

// wildcards reports the reportable subjects of bindings whose role has rules matching is,
// except roles that allow everything (rbac/cluster-admin reports those).
func wildcards(p *check.Pass, is func(*rbacv1.PolicyRule) bool, what string) {
	for _, b := range Engine(p).Bindings() {
		r := b.Role()
		if r == nil || adminEquivalent(r) {
			continue
		}
		var rules []string
		for i := range r.Rules {
			if is(&r.Rules[i]) {
				rules = append(rules, fmt.Sprintf("rules[%d]: %s", i, engine.RuleString(&r.Rules[i])))
			}
		}
		if len(rules) == 0 {
			continue
		}
		for i := range b.Subjects {
			s, ok := b.Subject(i)
			if !ok || !Reportable(b, s) {
				continue
			}
			sev := p.Check.Severity
			if b.Kind == engine.RoleBindingKind {
				sev = lower(sev)
			}
			p.Report(check.Diagnostic{
				Object:   b.Object,
				Path:     SubjectPath(i),
				Severity: sev,
				Message: fmt.Sprintf("%s is granted %s %s via %s → %s %s", s, what, Where(b, false), b, r,
					strings.Join(rules, "; ")),
			})
		}
	}
}
