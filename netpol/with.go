package netpol

import (
	"maps"
	"slices"
)

// WithPolicies returns the engine New would build from e's input with the NetworkPolicies
// of extra added, leaving e as it was. It shares e's classes and workloads, copying only
// those of the namespaces of extra (whose classes the new policies may select), instead of
// grouping pods and matching every policy again: what netpol generate needs to judge its
// default denies with the policies already there, at a fraction of a rebuild.
func (e *Engine) WithPolicies(extra []PolicyInput) *Engine {
	n := *e
	n.namespaces = slices.Clip(e.namespaces)
	n.nsByName = maps.Clone(e.nsByName)
	n.policies = slices.Clip(e.policies)
	n.polByNS = maps.Clone(e.polByNS)
	for k, ps := range n.polByNS {
		n.polByNS[k] = slices.Clip(ps)
	}
	n.classes = slices.Clone(e.classes)
	n.workloads = slices.Clone(e.workloads)
	n.wlByNS = maps.Clone(e.wlByNS)
	n.keyIndex = nil
	// New appends the policies to the classes they select, which are classes of their own
	// namespaces: those get copies, and so do their workloads, which point to them.
	copied := map[string]bool{}
	repl := map[*Workload]*Workload{}
	for _, pi := range extra {
		ns := pi.Policy.Namespace
		if pi.Object != nil {
			ns = pi.Object.EffectiveNamespace()
		}
		if copied[ns] {
			continue
		}
		copied[ns] = true
		n.copyClasses(ns, repl)
	}
	// One pass over every workload for all the namespaces: one per namespace grew with
	// namespaces × workloads.
	if len(repl) > 0 {
		for i, w := range n.workloads {
			if r := repl[w]; r != nil {
				n.workloads[i] = r
			}
		}
	}
	for _, pi := range extra {
		n.selectAndMatch(n.addPolicy(pi))
	}
	n.namespaceIndex()
	return &n
}

// copyClasses gives the classes of namespace ns, and their workloads, copies of their own,
// and records in repl which workload replaces which.
func (n *Engine) copyClasses(ns string, repl map[*Workload]*Workload) {
	space := n.nsByName[ns]
	if space == nil {
		return
	}
	copied := false
	for _, ci := range space.classes {
		c := n.classes[ci]
		cc := *c
		for d := range cc.policies {
			cc.policies[d] = slices.Clip(cc.policies[d])
		}
		cc.Workloads = make([]*Workload, len(c.Workloads))
		for i, w := range c.Workloads {
			wc := *w
			wc.class = &cc
			cc.Workloads[i] = &wc
			repl[w] = &wc
			copied = true
		}
		n.classes[ci] = &cc
	}
	if !copied {
		return
	}
	in := slices.Clone(n.wlByNS[ns])
	for i, w := range in {
		in[i] = repl[w]
	}
	n.wlByNS[ns] = in
}
