package scan

import (
	"sort"

	"github.com/kubeharden/kubeharden/check"
)

// Merge combines the results of scans of several clusters, named by the keys of byCluster,
// into one: every finding carries its cluster, every error names it, and the summary counts
// all objects and findings as one scan of them together would.
func Merge(byCluster map[string]*Result) *Result {
	names := make([]string, 0, len(byCluster))
	for name := range byCluster {
		names = append(names, name)
	}
	sort.Strings(names)
	out := &Result{Findings: []check.Finding{}, Errors: []check.Error{}}
	objects, unread, incomplete := 0, 0, false
	seen := map[string]bool{}
	var checks []*check.Check
	inc := map[string]bool{}
	var namespaces []NamespaceScore
	for _, name := range names {
		r := byCluster[name]
		for _, ns := range r.Summary.Namespaces {
			// Namespaces of different clusters are different teams' namespaces.
			ns.Namespace = name + ":" + ns.Namespace
			namespaces = append(namespaces, ns)
		}
		if out.Summary.Filter == nil {
			out.Summary.Filter = r.Summary.Filter
		}
		for _, f := range r.Findings {
			f.Cluster = name
			out.Findings = append(out.Findings, f)
		}
		for _, e := range r.Errors {
			e.Message = "cluster " + name + ": " + e.Message
			out.Errors = append(out.Errors, e)
		}
		for _, c := range r.Checks {
			if !seen[c.ID] {
				seen[c.ID] = true
				checks = append(checks, c)
			}
		}
		for _, p := range r.Summary.IncompletePractices {
			inc[p] = true
		}
		incomplete = incomplete || r.Summary.Incomplete
		unread += r.Summary.Unread
		objects += r.Summary.Objects
	}
	check.SortChecks(checks)
	out.Checks = checks
	filter := out.Summary.Filter
	out.Summary = summarize(objects, out.Findings, checks)
	out.Summary.Filter, out.Summary.Namespaces = filter, namespaces
	for _, p := range check.Practices {
		if inc[p] {
			out.Summary.IncompletePractices = append(out.Summary.IncompletePractices, p)
		}
	}
	out.Summary.Incomplete, out.Summary.Unread = incomplete, unread
	return out
}
