package engines

import (
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/netpol"
)

// netpolTracker follows the inventory the engine is first built for (a monitor's, which
// changes in place) and updates the reachability engine on each change instead of building
// it again (netpol.Tracker). It reads no objects, so it lives as long as the inventory,
// across changes; a copy of the inventory (admission's view with one object changed) gets
// an engine of its own.
var netpolTracker = &check.Engine[*netpol.Tracker]{
	Name:  "netpol-tracker",
	Build: func(check.Env) *netpol.Tracker { return netpol.NewTracker() },
}

// NetpolChanged brings the reachability engine of env up to date and says what that
// changed (netpol.Tracker.Changed): what a check's partition needs to tell which namespaces
// a change of policies or namespace labels can affect. The incremental Evaluator asks a
// Partition before a change and after it; before (env.Before), the tracker could only repeat
// what the change before moved, so the answer is nothing: the update the change makes
// compares the engine before and after it, and its answer covers both.
func NetpolChanged(env check.Env) netpol.Change {
	if env.Before {
		return netpol.Change{}
	}
	Netpol.For(env)
	return netpolTracker.For(env).Changed(env.Inv)
}

func buildNetpol(env check.Env) *netpol.Engine { return netpolTracker.For(env).Engine(env.Inv) }
