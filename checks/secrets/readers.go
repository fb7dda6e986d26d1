package secrets

import (
	"fmt"
	"maps"
	"slices"
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
		"checks. A message names at most 20 readers, sorted, and says how many more there are " +
		"(`kubeharden who-can get secrets -n NAMESPACE` lists them all). Review the list: every " +
		"entry should need the access.",
	Severity:    check.Info,
	References:  []string{refCISAccess, refNSA, refSecretsDocs},
	Remediation: "Remove Secret read access from subjects that do not need it, or limit it with resourceNames to the Secrets they need.",
	Kinds:       []string{"Namespace", rbac.RoleBindingKind, rbac.ClusterRoleBindingKind},
	Reads:       []string{"Namespace"},
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.RBAC},
	Partition:   byReaders,
	Run: func(p *check.Pass) {
		e := rbacchecks.Engine(p)
		// Judging some namespaces again, only their RoleBindings count, and the
		// ClusterRoleBindings.
		var in map[string]bool
		if p.Namespaces != nil {
			in = maps.Clone(p.Namespaces)
			in[""] = true
		}
		// Who-can in a namespace is who holds it through a ClusterRoleBinding, the same in
		// every namespace, and through the namespace's RoleBindings: ask once across all
		// namespaces and split by the binding's namespace ("" for ClusterRoleBindings).
		// ClusterRoleBinding sorts before RoleBinding, so a subject's first grant for a
		// verb is a cluster-wide one when it has one.
		type held struct {
			verbs  [3]bool
			grants [3]rbac.Grant
		}
		byNS := map[string]map[rbac.Subject]*held{}
		for vi, verb := range readVerbs {
			for _, g := range e.HoldersIn(rbac.Attributes{Verb: verb, Resource: "secrets"}, in) {
				if !rbacchecks.Reportable(g.Binding, g.Subject) {
					continue
				}
				m := byNS[g.Binding.Namespace]
				if m == nil {
					m = map[rbac.Subject]*held{}
					byNS[g.Binding.Namespace] = m
				}
				h := m[g.Subject]
				if h == nil {
					h = &held{}
					m[g.Subject] = h
				}
				if !h.verbs[vi] {
					h.verbs[vi], h.grants[vi] = true, g
				}
			}
		}
		type reader struct {
			key  string // the subject as the message names it, to sort by
			part string
			g    *rbac.Grant
		}
		describe := func(s rbac.Subject, c, n *held) reader {
			var verbs []string
			var first *rbac.Grant
			for vi, verb := range readVerbs {
				var g *rbac.Grant
				switch {
				case c != nil && c.verbs[vi]:
					g = &c.grants[vi]
				case n != nil && n.verbs[vi]:
					g = &n.grants[vi]
				default:
					continue
				}
				verbs = append(verbs, verb)
				if first == nil {
					first = g
				}
			}
			key := s.String()
			return reader{key, fmt.Sprintf("%s (%s %s %s)", key, strings.Join(verbs, ", "),
				rbacchecks.Where(first.Binding, false), rbacchecks.Via(first)), first}
		}
		// The cluster-wide readers, described and sorted once; each namespace merges its own
		// (which replace a cluster-wide reader's description when the subject is both) into
		// them, naming at most maxListed: linear in the readers, not namespaces × readers.
		var cluster []reader
		for s, c := range byNS[""] {
			cluster = append(cluster, describe(s, c, nil))
		}
		slices.SortFunc(cluster, func(a, b reader) int { return strings.Compare(a.key, b.key) })
		var local []reader
		var listed []reader
		for _, ns := range p.Inv.Namespaces() {
			if p.Namespaces != nil && !p.Namespaces[ns] {
				continue
			}
			own := byNS[ns]
			if ns == "" {
				own = nil // RoleBindings always have a namespace
			}
			if len(cluster) == 0 && len(own) == 0 {
				continue
			}
			local = local[:0]
			both := 0
			for s, n := range own {
				c := byNS[""][s]
				if c != nil {
					both++
				}
				local = append(local, describe(s, c, n))
			}
			slices.SortFunc(local, func(a, b reader) int { return strings.Compare(a.key, b.key) })
			total := len(cluster) + len(local) - both
			listed = listed[:0]
			for i, j := 0, 0; len(listed) < min(total, maxListed); {
				switch {
				case j == len(local) || (i < len(cluster) && cluster[i].key < local[j].key):
					listed = append(listed, cluster[i])
					i++
				case i == len(cluster) || local[j].key < cluster[i].key:
					listed = append(listed, local[j])
					j++
				default: // the same subject: its description with both bindings
					listed = append(listed, local[j])
					i, j = i+1, j+1
				}
			}
			head := fmt.Sprintf("Secrets of namespace %s can be read by %d %s: ", ns, total, plural(total, "subject"))
			size := len(head) + 100
			for _, r := range listed {
				size += len(r.part) + 2
			}
			var msg strings.Builder
			msg.Grow(size)
			msg.WriteString(head)
			for i, r := range listed {
				if i > 0 {
					msg.WriteString("; ")
				}
				msg.WriteString(r.part)
			}
			if more := total - len(listed); more > 0 {
				fmt.Fprintf(&msg, "; and %d more (kubeharden who-can get secrets -n %s lists them all)", more, ns)
			}
			first := listed[0].g
			obj, path := p.Inv.Namespace(ns), "metadata.name"
			if obj == nil {
				obj, path = first.Binding.Object, rbacchecks.SubjectPath(first.SubjectIndex)
			}
			p.Report(check.Diagnostic{Object: obj, Path: path, Message: msg.String()})
		}
	},
}

// byReaders partitions secrets/readers: a namespace's readers are those of the
// ClusterRoleBindings (cluster-scoped: a change re-runs the check everywhere) and of its own
// RoleBindings. Its finding is on its Namespace object, or, when the inventory has none, on a
// binding that may be cluster-wide: then a change there re-runs the check everywhere.
var byReaders = &check.Partition{
	Name:  "secret-readers",
	Kinds: []string{"Namespace", rbac.RoleKind, rbac.RoleBindingKind},
	Affected: func(env check.Env, nss []string) ([]string, bool) {
		for _, ns := range nss {
			if env.Inv.Namespace(ns) == nil {
				return nil, true
			}
		}
		return nil, false
	},
}

// maxListed bounds the readers a message names: where a group binding lets hundreds of
// subjects read every namespace's Secrets, listing them all in each namespace's message made
// the report grow with namespaces × readers (1.3 GB of messages at 100,000 workloads).
const maxListed = 20

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
