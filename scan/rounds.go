package scan

import (
	"slices"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// runChecks runs the checks and returns their findings sorted, as check.RunAt does. With
// ReleaseEngines it runs them in rounds: first, one round at a time, the checks of cluster
// scope that share engines built over the whole cluster (attack paths; network
// reachability and its policy plans; the RBAC graph; its escalation search), then the rest.
// Before each round it drops what the inventory memoizes but the engines that round or a
// later one declares. These engines are a scan's largest structures after the inventory and
// its findings: run in one round, the last of them (the attack graph) is built while every
// other one and nearly every finding is live.
//
// The findings are the same as those of one round: each round's are sorted, and merging them
// (in place, in the one list the rounds append to) gives what a stable sort of them all does, since two findings that sort equal come from
// one check, hence from one round, in the order that check reported them. Errors of checks
// that failed come in round order.
func runChecks(inv *inventory.Inventory, opts Options) ([]check.Finding, []check.Error) {
	rounds := [][]*check.Check{opts.Checks}
	if opts.ReleaseEngines {
		rounds = byEngines(opts.Checks)
	}
	var findings []check.Finding
	var ends []int
	var errs []check.Error
	for i, checks := range rounds {
		if i > 0 {
			later := map[check.Requirement]bool{}
			for _, r := range rounds[i:] {
				for _, c := range r {
					for _, e := range c.Requires {
						later[e] = true
					}
				}
			}
			inv.Forget(func(k any) bool {
				e, ok := check.EngineOf(k)
				return !ok || !later[e]
			})
		}
		var e []check.Error
		findings, e = check.AppendRun(findings, inv, opts.Config, opts.Facts, checks, opts.Now)
		ends = append(ends, len(findings))
		errs = append(errs, e...)
	}
	check.MergeRuns(findings, ends)
	return findings, errs
}

// byEngines groups the checks of cluster scope that require engines which read objects, so
// that checks sharing an engine are in one group, and puts the other checks last. The last
// group, the last practice's (attack paths, whose engine is the largest and builds on the
// others: network reachability, RBAC escalation, Pod Security) comes first, while few
// findings are live. The others follow by how many engines they require, fewest first,
// else in the order given: a group that requires more builds more of its own (the network
// checks: reachability and a policy plan for every namespace), so it runs once the engines
// that attack paths built and the smaller groups reuse have been dropped. (At 10,000
// workloads the network group ran second, with the RBAC graphs kept for later groups: the
// live heap peaked at 158 MB there; last, at 141 MB.)
func byEngines(checks []*check.Check) [][]*check.Check {
	group := map[string]int{} // engine name → group
	var groups [][]*check.Check
	var rest []*check.Check
	for _, c := range checks {
		engines := enginesOf([]*check.Check{c})
		if c.Scope != check.ScopeCluster || len(engines) == 0 {
			rest = append(rest, c)
			continue
		}
		g := -1
		for _, e := range engines {
			h, ok := group[e]
			switch {
			case !ok || h == g:
			case g < 0:
				g = h
			default:
				// c shares engines with two groups: they become one.
				lo, hi := min(g, h), max(g, h)
				groups[lo] = append(groups[lo], groups[hi]...)
				groups[hi] = nil
				for name, x := range group {
					if x == hi {
						group[name] = lo
					}
				}
				g = lo
			}
		}
		if g < 0 {
			g = len(groups)
			groups = append(groups, nil)
		}
		for _, e := range engines {
			group[e] = g
		}
		groups[g] = append(groups[g], c)
	}
	var out [][]*check.Check
	for _, g := range groups {
		if len(g) > 0 {
			out = append(out, g)
		}
	}
	if n := len(out); n > 1 {
		rest := out[:n-1]
		slices.SortStableFunc(rest, func(a, b []*check.Check) int { return len(enginesOf(a)) - len(enginesOf(b)) })
		out = append([][]*check.Check{out[n-1]}, rest...)
	}
	if len(rest) > 0 {
		out = append(out, rest)
	}
	return out
}

// enginesOf names the engines that read objects which checks require, each once.
func enginesOf(checks []*check.Check) []string {
	var out []string
	for _, c := range checks {
		for _, r := range c.Requires {
			if len(r.EngineReads()) > 0 && !slices.Contains(out, r.EngineName()) {
				out = append(out, r.EngineName())
			}
		}
	}
	return out
}
