package attack

import "sort"

// Choke is a single change and how many paths of a set it cuts.
type Choke struct {
	Cut
	// Uses is how many paths take an edge the change removes; Cuts how many of them no
	// longer reach their target at all once it is made (the search runs again without
	// those edges, so a path that has another way around is not counted).
	Uses int `json:"uses"`
	Cuts int `json:"cuts"`
	// Of is the number of paths in the set.
	Of int `json:"of"`
}

// maxChokes bounds how many candidate changes are tried again.
const maxChokes = 12

// ChokePoints ranks the single changes that cut the most of paths (as returned by Paths
// for one query): the changes used by the most paths are tried, the search is run again without
// their edges, and each is credited with the paths that disappear. Changes that cut nothing
// are left out. Hops inside RBAC contribute their shortest escalation path only, so removing
// a binding is credited as if no other RBAC route existed.
func (g *Graph) ChokePoints(paths []*Path) ([]Choke, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	uses := map[string]int{}
	cuts := map[string]Cut{}
	for _, p := range paths {
		once := map[string]bool{}
		for _, s := range p.Steps {
			if s.Edge == nil || s.Edge.Cut.Key == "" || once[s.Edge.Cut.Key] {
				continue
			}
			once[s.Edge.Cut.Key] = true
			uses[s.Edge.Cut.Key]++
			cuts[s.Edge.Cut.Key] = s.Edge.Cut
		}
	}
	keys := make([]string, 0, len(uses))
	for k := range uses {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if uses[keys[i]] != uses[keys[j]] {
			return uses[keys[i]] > uses[keys[j]]
		}
		return keys[i] < keys[j]
	})
	if len(keys) > maxChokes {
		keys = keys[:maxChokes]
	}
	start, targets := paths[0].From, targetsOf(paths)
	before := pairs(paths)
	var out []Choke
	for _, k := range keys {
		after := pairs(g.search(start, targets, map[string]bool{k: true}))
		n := 0
		for p := range before {
			if !after[p] {
				n++
			}
		}
		if n > 0 {
			out = append(out, Choke{Cut: cuts[k], Uses: uses[k], Cuts: n, Of: len(paths)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Cuts != out[j].Cuts {
			return out[i].Cuts > out[j].Cuts
		}
		return out[i].Uses > out[j].Uses
	})
	return out, nil
}

type pair struct{ entry, to *Node }

func pairs(paths []*Path) map[pair]bool {
	out := map[pair]bool{}
	for _, p := range paths {
		out[pair{p.Steps[0].Node, p.To}] = true
		if p.Entry != nil {
			out[pair{p.Entry, p.To}] = true
			delete(out, pair{p.Steps[0].Node, p.To})
		}
	}
	return out
}

func targetsOf(paths []*Path) []*Node {
	seen := map[*Node]bool{}
	var out []*Node
	for _, p := range paths {
		if !seen[p.To] {
			seen[p.To] = true
			out = append(out, p.To)
		}
	}
	return out
}
