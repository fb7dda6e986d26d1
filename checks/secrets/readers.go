package secrets

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
	rbacchecks "github.com/kubeharden/kubeharden/checks/rbac"
	"github.com/kubeharden/kubeharden/rbac"
)

// readVerbs are the verbs that read Secrets' values: list and watch return them as well as
// get.
var readVerbs = []string{"get", "list", "watch"}

// Readers reports, per namespace, who can read its Secrets.
var Readers = &check.Check{
	ID:    "secrets/readers",
	Title: "Who can read the Secrets of a namespace",
	Doc: "Reading a Secret (get, list or watch: list and watch return every value) is reading " +
		"every credential in it, and with a service account token Secret, acting as that " +
		"account. This informational check lists, per namespace, each subject that can read " +
		"its Secrets, the verbs and the binding, role and rule that grant them, as the RBAC " +
		"engine answers who-can (RoleBindings in the namespace and ClusterRoleBindings). " +
		"Kubernetes components and the default policy's bindings are left out, as in the RBAC " +
		"checks. Review the list: every entry should need the access.",
	Severity:    check.Info,
	References:  []string{refCISAccess, refNSA, refSecretsDocs},
	Remediation: "Remove Secret read access from subjects that do not need it, or limit it with resourceNames to the Secrets they need.",
	Kinds:       []string{"Namespace", rbac.RoleBindingKind, rbac.ClusterRoleBindingKind},
	Reads:       []string{"Namespace"},
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.RBAC},
	Run: func(p *check.Pass) {
		e := rbacchecks.Engine(p)
		for _, ns := range p.Inv.Namespaces() {
			type reader struct {
				subject rbac.Subject
				verbs   []string
				grant   rbac.Grant
			}
			by := map[rbac.Subject]*reader{}
			var order []rbac.Subject
			for _, verb := range readVerbs {
				for _, g := range e.WhoCan(rbac.Attributes{Verb: verb, Namespace: ns, Resource: "secrets"}) {
					if !rbacchecks.Reportable(g.Binding, g.Subject) {
						continue
					}
					r := by[g.Subject]
					if r == nil {
						r = &reader{subject: g.Subject, grant: g}
						by[g.Subject] = r
						order = append(order, g.Subject)
					}
					if !contains(r.verbs, verb) {
						r.verbs = append(r.verbs, verb)
					}
				}
			}
			if len(order) == 0 {
				continue
			}
			sort.Slice(order, func(i, j int) bool { return order[i].String() < order[j].String() })
			parts := make([]string, len(order))
			for i, s := range order {
				r := by[s]
				parts[i] = fmt.Sprintf("%s (%s %s %s)", s, strings.Join(r.verbs, ", "),
					rbacchecks.Where(r.grant.Binding, false), rbacchecks.Via(&r.grant))
			}
			first := by[order[0]].grant
			obj, path := p.Inv.Namespace(ns), "metadata.name"
			if obj == nil {
				obj, path = first.Binding.Object, rbacchecks.SubjectPath(first.SubjectIndex)
			}
			p.Reportf(obj, path, "Secrets of namespace %s can be read by %d %s: %s",
				ns, len(order), plural(len(order), "subject"), strings.Join(parts, "; "))
		}
	},
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
