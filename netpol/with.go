package netpol

import (
	"maps"
	"slices"
)

// WithPolicies returns the engine New would build from e's input with the NetworkPolicies
// of extra added, leaving e as it was. It copies e's classes and workloads instead of
// grouping pods and matching every policy again: what netpol generate needs to judge its
// default denies with the policies already there, at a fraction of a rebuild.
func (e *Engine) WithPolicies(extra []PolicyInput) *Engine {
	n := *e
	n.classes = make([]*Class, len(e.classes))
	for i, c := range e.classes {
		cc := *c
		// New appends to the policies of the classes a policy selects: the copy's must not
		// share their backing arrays with e's.
		for d := range cc.policies {
			cc.policies[d] = slices.Clip(cc.policies[d])
		}
		cc.Workloads = make([]*Workload, 0, len(c.Workloads))
		n.classes[i] = &cc
	}
	n.workloads = make([]*Workload, len(e.workloads))
	n.wlByNS = make(map[string][]*Workload, len(e.wlByNS))
	for i, w := range e.workloads {
		wc := *w
		wc.class = n.classes[w.class.Index]
		wc.class.Workloads = append(wc.class.Workloads, &wc)
		n.workloads[i] = &wc
		n.wlByNS[wc.Namespace] = append(n.wlByNS[wc.Namespace], &wc)
	}
	n.namespaces = slices.Clip(e.namespaces)
	n.nsByName = maps.Clone(e.nsByName)
	n.policies = slices.Clip(e.policies)
	n.polByNS = maps.Clone(e.polByNS)
	for k, ps := range n.polByNS {
		n.polByNS[k] = slices.Clip(ps)
	}
	for _, pi := range extra {
		n.selectAndMatch(n.addPolicy(pi))
	}
	return &n
}
