package scan

import (
	"fmt"
	"path"
	"sort"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// ClusterScope is the namespace that cluster-scoped objects (ClusterRoles, Nodes, webhook
// configurations, ...) and the findings about them belong to for namespace filters and
// per-namespace scores. A Namespace object belongs to the namespace it names.
const ClusterScope = "(cluster)"

// Namespaces chooses the namespaces a scan reports on, with path.Match globs. A finding or
// object is kept when its namespace matches an Include pattern (or Include is empty) and no
// Exclude pattern. Cluster-scoped ones are kept whatever Include says, because they concern
// every team (a ClusterRoleBinding to a namespace's ServiceAccount, the API server's
// encryption): only an Exclude pattern that matches ClusterScope ("(cluster)", or "*")
// drops them.
//
// The filter applies to what is reported and scored, never to what is read: checks still
// see the whole inventory, so cluster-wide facts (RBAC, NetworkPolicies, Pod Security
// labels) are judged in full.
type Namespaces struct {
	Include, Exclude []string
}

// Validate rejects malformed glob patterns.
func (n Namespaces) Validate() error {
	for _, set := range [][]string{n.Include, n.Exclude} {
		for _, p := range set {
			if _, err := path.Match(p, ""); err != nil {
				return fmt.Errorf("namespace pattern %q: %v", p, err)
			}
		}
	}
	return nil
}

// active says whether the filter drops anything at all.
func (n Namespaces) active() bool { return len(n.Include) > 0 || len(n.Exclude) > 0 }

// Keep says whether a finding or object in namespace ns is reported.
func (n Namespaces) Keep(ns string) bool {
	for _, p := range n.Exclude {
		if ok, _ := path.Match(p, ns); ok {
			return false
		}
	}
	if len(n.Include) == 0 || ns == ClusterScope {
		return true
	}
	for _, p := range n.Include {
		if ok, _ := path.Match(p, ns); ok {
			return true
		}
	}
	return false
}

// keeper is Keep remembered per namespace: a scan has far fewer namespaces than findings.
func (n Namespaces) keeper() func(string) bool {
	seen := map[string]bool{}
	return func(ns string) bool {
		k, ok := seen[ns]
		if !ok {
			k = n.Keep(ns)
			seen[ns] = k
		}
		return k
	}
}

// NamespaceOf is the namespace a reference belongs to for filters and per-namespace scores:
// its own, the default namespace for a namespaced object written without one, the name of a
// Namespace object, or ClusterScope.
func NamespaceOf(r inventory.Ref) string {
	switch {
	case r.Namespace != "":
		return r.Namespace
	case r.Kind == "Namespace" && (r.APIVersion == "v1" || r.APIVersion == ""):
		return r.Name
	case inventory.ClusterScoped(r.APIVersion, r.Kind):
		return ClusterScope
	}
	return inventory.DefaultNamespace
}

// NamespaceScore is one namespace's rollup, for `scan --by namespace`: the same formula as
// the overall score (docs/scoring.md), with N the namespace's objects and W the weights of
// its unsuppressed findings.
type NamespaceScore struct {
	Namespace  string         `json:"namespace"`
	Objects    int            `json:"objects"`
	Findings   int            `json:"findings"`
	BySeverity map[string]int `json:"bySeverity"`
	Score      int            `json:"score"`
}

// scope is what a namespace filter leaves: the objects kept, in all and by namespace.
type scope struct {
	objects int
	byNS    map[string]int
}

// scopeFindings drops the findings outside n (in place) and counts the objects n keeps.
func scopeFindings(inv *inventory.Inventory, fs []check.Finding, n Namespaces) ([]check.Finding, int, map[string]int) {
	objects, byNS := countObjects(inv, n)
	return filterNamespaces(fs, n), objects, byNS
}

// ScopeFindings is the work a namespace filter and --by namespace add to a scan, for the
// benchmark: fs filtered in place, and the namespace rows when byNS is set.
func ScopeFindings(inv *inventory.Inventory, fs []check.Finding, n Namespaces, byNS bool) ([]check.Finding, []NamespaceScore) {
	kept, _, objects := scopeFindings(inv, fs, n)
	if !byNS {
		return kept, nil
	}
	return kept, byNamespace(objects, kept)
}

// countObjects counts the objects of inv by namespace, keeping only those n keeps.
func countObjects(inv *inventory.Inventory, n Namespaces) (total int, byNS map[string]int) {
	byNS = map[string]int{}
	keep := n.keeper()
	for _, o := range inv.All() {
		ref := o.Ref
		ref.Namespace = o.EffectiveNamespace()
		ns := NamespaceOf(ref)
		if keep(ns) {
			byNS[ns]++
			total++
		}
	}
	return total, byNS
}

// filterNamespaces drops the findings outside the namespaces n keeps.
func filterNamespaces(fs []check.Finding, n Namespaces) []check.Finding {
	out := fs[:0]
	keep := n.keeper()
	for _, f := range fs {
		if keep(NamespaceOf(f.Object)) {
			out = append(out, f)
		}
	}
	return out
}

// byNamespace scores every namespace that has objects or findings, sorted by name with
// ClusterScope last.
func byNamespace(objects map[string]int, findings []check.Finding) []NamespaceScore {
	weight := map[string]float64{}
	worst := map[string]check.Severity{}
	rows := map[string]*NamespaceScore{}
	row := func(ns string) *NamespaceScore {
		if rows[ns] == nil {
			rows[ns] = &NamespaceScore{Namespace: ns, Objects: objects[ns], BySeverity: map[string]int{}}
		}
		return rows[ns]
	}
	for ns := range objects {
		row(ns)
	}
	for _, f := range findings {
		if f.Suppressed {
			continue
		}
		ns := NamespaceOf(f.Object)
		r := row(ns)
		r.Findings++
		r.BySeverity[f.Severity.String()]++
		if !check.Derived[f.Practice] {
			weight[ns] += Weights[f.Severity]
		}
		worst[ns] = max(worst[ns], f.Severity)
	}
	out := make([]NamespaceScore, 0, len(rows))
	for ns, r := range rows {
		r.Score = capped(Score(r.Objects, weight[ns]), worst[ns])
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Namespace, out[j].Namespace
		if (a == ClusterScope) != (b == ClusterScope) {
			return b == ClusterScope
		}
		return a < b
	})
	return out
}
