package check

import (
	"fmt"
	"slices"
	"sort"

	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/inventory"
)

// Scope is how much of the cluster a check reads besides the object it reports on. It decides
// where a check can run: a ScopeObject check can judge an object at admission with nothing
// cached (and may be compiled to CEL), a ScopeNamespace check needs the object's namespace, and
// a ScopeCluster check needs engines built over the whole cluster.
type Scope int

const (
	// ScopeObject checks read only the object they report on.
	ScopeObject Scope = iota + 1
	// ScopeNamespace checks read the object and objects of its namespace: the Namespace's
	// labels, its LimitRanges, its ResourceQuotas.
	ScopeNamespace
	// ScopeCluster checks read objects anywhere: the RBAC graph, network policies of other
	// namespaces, Services in front of a workload.
	ScopeCluster
)

var scopeNames = []string{"", "object", "namespace", "cluster"}

func (s Scope) String() string {
	if s > 0 && int(s) < len(scopeNames) {
		return scopeNames[s]
	}
	return fmt.Sprintf("Scope(%d)", int(s))
}

// Workloads stands in Kinds and Reads for every kind that carries a pod template: Pod,
// Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, ReplicationController,
// PodTemplate, and custom resources with a spec.template (Argo Rollouts).
const Workloads = "<workloads>"

// AnyKind stands in Kinds for every kind: a check that reads each object alone, whatever
// it is (credentials in annotations, deprecated API versions). Set.Kinds leaves it out: such
// a check judges whatever a loader lists for the other checks.
const AnyKind = "*"

// WorkloadKinds are the kinds Workloads stands for when a kind has to be named (webhook rules,
// the cluster loader). An object of another kind still counts as a workload when the inventory
// finds a pod template in it.
var WorkloadKinds = []string{"Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job",
	"CronJob", "ReplicationController", "PodTemplate", "Rollout"}

// Requirement is an engine a check requires, as an analysis.Analyzer requires others: an
// *Engine[T] of any T.
type Requirement interface {
	// EngineName names the engine in docs and errors.
	EngineName() string
	// EngineReads are the kinds the engine indexes: when one of them changes, the engine is
	// stale and every check that requires it must run again.
	EngineReads() []string
	// EngineKeeps says whether the engine built before old was replaced by new (both in
	// env's inventory, which now holds new) is the engine of the inventory after: the
	// change touched nothing the engine reads. False unless the engine says (Keeps).
	EngineKeeps(env Env, old, new *inventory.Object) bool
}

// Env is what an engine is built from.
type Env struct {
	Inv    *inventory.Inventory
	Config *config.Config
	Facts  *inventory.Facts
	// Before says that Inv stands as it did before a change: the Evaluator asks a
	// Partition before and after. An engine updated in place by the change knows what the
	// change moved only once it has been updated, and answers then.
	Before bool
}

// Engine is an index or evaluator that checks share, typed by what checks get from it. It is
// built once per inventory, configuration and facts, on first use, however many checks and
// goroutines ask, and goes when the inventory goes.
type Engine[T any] struct {
	Name string
	// Reads are the kinds the engine indexes (Workloads allowed). Nil for an engine built from
	// configuration and facts alone.
	Reads []string
	// Build makes the engine.
	Build func(Env) T
	// Keeps, when set, lets the incremental Evaluator keep the engine over an object's
	// change instead of building it again: it says whether what the engine reads of old
	// and of new (the object before and after, with env's inventory holding new) is the
	// same. It must be exact: a kept engine must equal one built afresh.
	Keeps func(env Env, old, new *inventory.Object) bool
}

// EngineName implements Requirement.
func (e *Engine[T]) EngineName() string { return e.Name }

// EngineReads implements Requirement.
func (e *Engine[T]) EngineReads() []string { return e.Reads }

// EngineKeeps implements Requirement.
func (e *Engine[T]) EngineKeeps(env Env, old, new *inventory.Object) bool {
	return e.Keeps != nil && e.Keeps(env, old, new)
}

type engineKey struct {
	e     any
	cfg   *config.Config
	facts *inventory.Facts
}

// Of returns the engine for the pass's inventory. A check may only use engines it declares
// in Requires: using another panics, which the runner reports as the check's error, so that
// a wrong declaration fails the first test that runs the check.
func (e *Engine[T]) Of(p *Pass) T {
	if !slices.ContainsFunc(p.Check.Requires, func(r Requirement) bool { return r == Requirement(e) }) {
		panic(fmt.Sprintf("check %s uses engine %q without declaring it in Requires", p.Check.ID, e.Name))
	}
	return e.For(Env{Inv: p.Inv, Config: p.Config, Facts: p.Facts})
}

// For returns the engine for env, built once per inventory, configuration and facts. Commands
// that use an engine directly (reach, who-can) share it with the checks this way.
//
// An engine that reads no objects is shared by an inventory and its subsets (Subset), which
// the incremental Evaluator runs checks on.
func (e *Engine[T]) For(env Env) T {
	m := env.Inv
	if len(e.Reads) == 0 {
		m = m.Root()
	}
	return m.Memo(engineKey{e, env.Config, env.Facts}, func() any { return e.Build(env) }).(T)
}

// Set is a list of checks with the questions the webhook, VAP export, the monitor and the
// cluster loader ask of their declared inputs.
type Set []*Check

// Reports says whether c reports on objects of kind (a workload kind counts for Workloads).
func (c *Check) Reports(kind string) bool {
	return matchKind(c.Kinds, kind)
}

// DependsOn says whether a change to an object of kind can change c's findings: c reports on
// the kind, reads it, or requires an engine that reads it.
func (c *Check) DependsOn(kind string) bool {
	if matchKind(c.Kinds, kind) || matchKind(c.Reads, kind) {
		return true
	}
	for _, r := range c.Requires {
		if matchKind(r.EngineReads(), kind) {
			return true
		}
	}
	return false
}

// ObjectOnly says whether c can judge an object from the object alone: the candidates for
// ValidatingAdmissionPolicy and for admission with nothing cached.
func (c *Check) ObjectOnly() bool {
	if c.Scope != ScopeObject || len(c.Reads) > 0 {
		return false
	}
	for _, r := range c.Requires {
		if len(r.EngineReads()) > 0 {
			return false
		}
	}
	return true
}

func matchKind(kinds []string, kind string) bool {
	for _, k := range kinds {
		if k == kind || k == AnyKind || (k == Workloads && slices.Contains(WorkloadKinds, kind)) {
			return true
		}
	}
	return false
}

// ForKind returns the checks of s that report on objects of kind.
func (s Set) ForKind(kind string) Set {
	var out Set
	for _, c := range s {
		if c.Reports(kind) {
			out = append(out, c)
		}
	}
	return out
}

// AffectedBy returns the checks of s whose findings a change to an object of kind can change.
func (s Set) AffectedBy(kind string) Set {
	var out Set
	for _, c := range s {
		if c.DependsOn(kind) {
			out = append(out, c)
		}
	}
	return out
}

// ObjectOnly returns the checks of s that need nothing but the object.
func (s Set) ObjectOnly() Set {
	var out Set
	for _, c := range s {
		if c.ObjectOnly() {
			out = append(out, c)
		}
	}
	return out
}

// Kinds is every kind the checks of s report on or read, directly or through their engines,
// sorted, with Workloads expanded: what a loader must list for s to judge a cluster.
func (s Set) Kinds() []string {
	seen := map[string]bool{}
	add := func(ks []string) {
		for _, k := range ks {
			if k == AnyKind {
				continue
			}
			if k == Workloads {
				for _, w := range WorkloadKinds {
					seen[w] = true
				}
				continue
			}
			seen[k] = true
		}
	}
	for _, c := range s {
		add(c.Kinds)
		add(c.Reads)
		for _, r := range c.Requires {
			add(r.EngineReads())
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
