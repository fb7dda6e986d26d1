package check

import (
	"maps"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/internal/parallel"
	"github.com/kubeharden/kubeharden/inventory"
)

// EvalOptions configure an Evaluator.
type EvalOptions struct {
	Config *config.Config
	Facts  *inventory.Facts
	// Checks are the checks to run; nil means every registered check.
	Checks []*Check
	// Now is the time the checks judge at; zero means the time NewEvaluator is called.
	Now time.Time
	// Observe, when set, is told how long each check ran (engines it built included) on
	// each run: what a monitor exports as metrics, and how to find what dominates.
	Observe func(c *Check, d time.Duration)
	// NoFixes leaves the fixes out of the findings (Pass.NoFixes): a monitor, which reports
	// findings but never fixes them, would otherwise work them out on every change and keep
	// every finding's edits for as long as it runs.
	NoFixes bool
}

// Delta is how a change moved the findings: those that appeared and those that went.
// A finding that a re-run reported again unchanged is in neither.
type Delta struct {
	Added, Removed []Finding
}

// Evaluator keeps the findings of a set of checks over an inventory that changes, re-running
// on each change only what it can affect, as the checks' declarations say:
//
//   - a check of ScopeObject runs again on the changed objects alone;
//   - a check of ScopeNamespace on the objects of the changed objects' namespaces, with their
//     Namespace objects, or, when PerObject and none of its Reads changed, on the changed
//     objects with the objects of Reads of their namespaces;
//   - a check of ScopeCluster on the whole inventory;
//
// and each only when a kind it depends on (DependsOn) changed. Engines whose kinds changed
// are built again; others are kept. The findings after any sequence of changes are those a
// full run (RunAt) over the final inventory gives; they are not suppressed (callers apply
// Suppress). An Evaluator is safe for concurrent use; its methods run one at a time.
type Evaluator struct {
	// mu is held to write by Apply, which changes the inventory and engines in place, and to
	// read by everything else: Judge calls run at once, judging against views of their own.
	mu      sync.RWMutex
	inv     *inventory.Inventory
	cfg     *config.Config
	facts   *inventory.Facts
	now     time.Time
	checks  []*Check
	observe func(*Check, time.Duration)
	noFixes bool
	// units are each check's findings by what a re-run replaces: the object's key for a
	// check of ScopeObject, the namespace for ScopeNamespace, "" for ScopeCluster.
	units []map[string][]Finding
	errs  []*Error
}

// NewEvaluator runs the checks over inv and keeps inv, which Apply changes in place from then
// on (the caller must not change or read it concurrently).
func NewEvaluator(inv *inventory.Inventory, opts EvalOptions) *Evaluator {
	ev := &Evaluator{inv: inv, cfg: opts.Config, facts: opts.Facts, now: opts.Now, checks: opts.Checks, observe: opts.Observe, noFixes: opts.NoFixes}
	if ev.cfg == nil {
		ev.cfg = &config.Config{}
	}
	if ev.now.IsZero() {
		ev.now = time.Now()
	}
	if ev.checks == nil {
		ev.checks = All()
	}
	ev.units = make([]map[string][]Finding, len(ev.checks))
	ev.errs = make([]*Error, len(ev.checks))
	tasks := make([]task, len(ev.checks))
	for i := range ev.checks {
		tasks[i] = task{check: i, inv: inv, mode: full}
	}
	ev.run(tasks, nil, nil)
	return ev
}

// Inventory returns the current inventory. It must not be changed, nor read while Apply runs.
func (ev *Evaluator) Inventory() *inventory.Inventory { return ev.inv }

// Findings returns the current findings, sorted as RunAt sorts them.
func (ev *Evaluator) Findings() []Finding {
	ev.mu.RLock()
	defer ev.mu.RUnlock()
	out := []Finding{}
	for _, units := range ev.units {
		keys := make([]string, 0, len(units))
		for k := range units {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, units[k]...)
		}
	}
	SortFindings(out)
	return out
}

// Errors returns the errors of checks that failed on their last run, in check order.
func (ev *Evaluator) Errors() []Error {
	ev.mu.RLock()
	defer ev.mu.RUnlock()
	var out []Error
	for _, e := range ev.errs {
		if e != nil {
			out = append(out, *e)
		}
	}
	return out
}

// Apply changes the inventory (deletions first, then upserts) and re-runs what the change
// can affect.
func (ev *Evaluator) Apply(c inventory.Change) Delta {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	nsBefore := slices.Clone(ev.inv.Namespaces())
	parts := ev.partitionsBefore(c)
	var changed []*inventory.Object
	// replaced are the objects changed in place, before and after; inPlace says every
	// object changed was replaced, each once (none added or removed).
	var replaced [][2]*inventory.Object
	inPlace := true
	for _, r := range c.Delete {
		if old := ev.inv.Delete(r); old != nil {
			changed = append(changed, old)
			inPlace = false
		}
	}
	once := map[inventory.Key]bool{}
	for _, o := range c.Upsert {
		changed = append(changed, o)
		old := ev.inv.Upsert(o)
		if old != nil {
			changed = append(changed, old)
		}
		if old == nil || once[o.Key()] {
			inPlace = false
		} else {
			replaced = append(replaced, [2]*inventory.Object{old, o})
		}
		once[o.Key()] = true
	}
	if len(changed) == 0 {
		return Delta{}
	}
	nsSame := slices.Equal(nsBefore, ev.inv.Namespaces())
	kinds := changedKinds(changed, !nsSame)
	var kept map[Requirement]bool
	if nsSame && inPlace {
		kept = ev.kept(kinds, replaced)
	}
	ev.inv.Forget(staleExcept(kinds, kept))

	// The objects changed that are still there, once each, and their namespaces.
	keys := map[string]bool{}
	groups := map[string]bool{}
	var present []*inventory.Object
	for _, o := range changed {
		k := o.Key()
		ks := unitKey(k)
		if !keys[ks] {
			keys[ks] = true
			if cur := ev.inv.Lookup(k); cur != nil {
				present = append(present, cur)
			}
		}
		groups[o.Group()] = true
	}
	var objects, spaces, alone *inventory.Inventory
	var tasks []task
	var standing []int
	for i, c := range ev.checks {
		// A check that declares nothing (one never registered) runs again on every change.
		undeclared := c.Scope == 0 || len(c.Kinds) == 0
		if !undeclared && !dependsOnAny(c, kinds, kept) {
			continue
		}
		if !undeclared && stands(c, kinds, kept) {
			standing = append(standing, i)
			continue
		}
		t := task{check: i, inv: ev.inv, mode: full}
		switch c.Scope {
		case ScopeObject:
			if objects == nil {
				objects = ev.inv.Subset(present)
			}
			t.inv, t.mode = objects, byObject
		case ScopeNamespace:
			if clusterScopedChange(c, changed) {
				break
			}
			if c.PerObject && !readsAny(c, kinds) {
				if alone == nil {
					alone = ev.inv.Subset(withContext(ev.inv, present, groups, ev.checks))
				}
				t.inv, t.mode = alone, byObjectIn
				break
			}
			if spaces == nil {
				spaces = ev.inv.Subset(namespaceObjects(ev.inv, groups))
			}
			t.inv, t.mode = spaces, byNamespace
		case ScopeCluster:
			if c.Partition == nil || clusterScopedChange(c, changed) || unpartitioned(c, changed) {
				break
			}
			if affected := parts.after(ev, c.Partition, groups); affected != nil {
				t.mode, t.groups = byNamespace, affected
			}
		}
		tasks = append(tasks, t)
	}
	d := ev.run(tasks, keys, groups)
	if ev.repoint(standing, replaced, &d) {
		SortFindings(d.Added)
		SortFindings(d.Removed)
	}
	return d
}

// stands says that c's findings stand over a change in place of objects of kinds: c derives
// them from its engines (FromEngines), each kept or reading none of kinds, and reads none
// of kinds itself.
func stands(c *Check, kinds map[string]bool, kept map[Requirement]bool) bool {
	if !c.FromEngines || kept == nil || readsAny(c, kinds) {
		return false
	}
	for k := range kinds {
		for _, r := range c.Requires {
			if !kept[r] && matchKind(r.EngineReads(), k) {
				return false
			}
		}
	}
	return true
}

// repoint points the findings of the standing checks on objects replaced (before, after) at
// the objects as they are now, and puts them in d as removed and added again; it says
// whether there were any.
func (ev *Evaluator) repoint(standing []int, replaced [][2]*inventory.Object, d *Delta) bool {
	if len(standing) == 0 {
		return false
	}
	now := make(map[*inventory.Object]*inventory.Object, len(replaced))
	for _, r := range replaced {
		now[r[0]] = r[1]
	}
	moved := false
	for _, i := range standing {
		for _, fs := range ev.units[i] {
			for j := range fs {
				f := &fs[j]
				o, ok := now[f.object]
				if f.object == nil || !ok {
					continue
				}
				d.Removed = append(d.Removed, *f)
				f.Object, f.object = o.Ref, o
				f.File, f.Line, f.Rendered = o.Source.File, o.Line(f.Path), o.Source.Rendered
				d.Added = append(d.Added, *f)
				moved = true
			}
		}
	}
	return moved
}

// partitions are, for each Partition of the evaluator's checks, the namespaces a change can
// affect as the inventory stood before it (nil: every namespace), and what the checks re-run
// on after it.
type partitions struct {
	before map[*Partition]map[string]bool
	done   map[*Partition]map[string]bool
}

// partitionsBefore works out, before c changes the inventory, the namespaces whose findings
// c can affect as the inventory stands: a change can affect those it affects before as
// well as those it affects after.
func (ev *Evaluator) partitionsBefore(c inventory.Change) *partitions {
	var nss []string
	seen := map[string]bool{}
	add := func(o *inventory.Object) {
		if o == nil {
			return
		}
		if g := o.Group(); g != "" && !seen[g] {
			seen[g] = true
			nss = append(nss, g)
		}
	}
	for _, r := range c.Delete {
		add(ev.inv.Lookup(r.Key()))
	}
	for _, o := range c.Upsert {
		add(o)
		add(ev.inv.Lookup(o.Key()))
	}
	ps := &partitions{before: map[*Partition]map[string]bool{}, done: map[*Partition]map[string]bool{}}
	env := Env{Inv: ev.inv, Config: ev.cfg, Facts: ev.facts, Before: true}
	for _, ch := range ev.checks {
		p := ch.Partition
		if p == nil {
			continue
		}
		if _, ok := ps.before[p]; ok {
			continue
		}
		rel, all := p.Affected(env, nss)
		if all {
			ps.before[p] = nil
			continue
		}
		set := make(map[string]bool, len(rel))
		for _, ns := range rel {
			set[ns] = true
		}
		ps.before[p] = set
	}
	return ps
}

// after returns the namespaces whose findings the checks of p must judge again, given the
// groups of the objects changed, or nil when every namespace's findings can change.
func (ps *partitions) after(ev *Evaluator, p *Partition, groups map[string]bool) map[string]bool {
	if affected, ok := ps.done[p]; ok {
		return affected
	}
	ps.done[p] = nil
	before := ps.before[p]
	if before == nil {
		return nil
	}
	var nss []string
	for g := range groups {
		if g != "" {
			nss = append(nss, g)
		}
	}
	sort.Strings(nss)
	rel, all := p.Affected(Env{Inv: ev.inv, Config: ev.cfg, Facts: ev.facts}, nss)
	if all {
		return nil
	}
	affected := maps.Clone(before)
	for _, ns := range nss {
		affected[ns] = true
	}
	for _, ns := range rel {
		affected[ns] = true
	}
	ps.done[p] = affected
	return affected
}

// Judge returns what the checks that report on obj's kind find on obj if it were upserted,
// judged with the rest of the current inventory, without changing the evaluator's state:
// what admission asks of an object about to be created or updated. Judge calls run
// concurrently with each other: each judges on a view of its own (a subset, or for checks
// of cluster scope the inventory With obj), sharing the engines obj cannot change.
func (ev *Evaluator) Judge(obj *inventory.Object) []Finding {
	ev.mu.RLock()
	defer ev.mu.RUnlock()
	workload := len(obj.PodTemplates()) > 0
	var objChecks, nsChecks, clusterChecks []*Check
	for _, c := range ev.checks {
		if !c.Reports(obj.Kind) && !(workload && slices.Contains(c.Kinds, Workloads)) {
			continue
		}
		switch {
		case c.Scope == ScopeObject:
			objChecks = append(objChecks, c)
		case c.Scope == ScopeNamespace && obj.Group() != "":
			nsChecks = append(nsChecks, c)
		default:
			clusterChecks = append(clusterChecks, c)
		}
	}
	var out []Finding
	collect := func(inv *inventory.Inventory, cs []*Check) {
		if len(cs) == 0 {
			return
		}
		// One object's checks are cheap: handing each to another goroutine costs more than
		// it runs for, and concurrent admission requests keep the cores busy anyway.
		fs, _ := runAt(nil, inv, ev.cfg, ev.facts, cs, ev.now, 1)
		for _, f := range fs {
			if f.object == obj {
				out = append(out, f)
			}
		}
	}
	collect(ev.inv.Subset([]*inventory.Object{obj}), objChecks)
	if len(nsChecks) > 0 {
		g := obj.Group()
		var objs []*inventory.Object
		if ns := ev.inv.Namespace(g); ns != nil && obj.Kind != "Namespace" {
			objs = append(objs, ns)
		}
		k := obj.Key()
		replaced := false
		for _, o := range ev.inv.InNamespace(g) {
			if o.Key() == k {
				o, replaced = obj, true
			}
			objs = append(objs, o)
		}
		if !replaced {
			objs = append(objs, obj)
		}
		collect(ev.inv.Subset(objs), nsChecks)
	}
	if len(clusterChecks) > 0 {
		changed := []*inventory.Object{obj}
		if old := ev.inv.Lookup(obj.Key()); old != nil {
			changed = append(changed, old)
		}
		// A new namespace changes the set of namespaces: Namespace-reading engines go stale.
		newNS := obj.Group() != "" && !slices.Contains(ev.inv.Namespaces(), obj.Group())
		stale := staleFor(changedKinds(changed, newNS))
		collect(ev.inv.With(inventory.Change{Upsert: []*inventory.Object{obj}}, stale), clusterChecks)
	}
	SortFindings(out)
	return out
}

type mode int

const (
	full mode = iota
	byObject
	byNamespace
	// byObjectIn replaces the findings on the changed objects within their namespaces' units.
	byObjectIn
)

// task is one check to run over one inventory, replacing the units mode says.
type task struct {
	check int
	inv   *inventory.Inventory
	mode  mode
	// groups, when set, are the namespaces a task of mode byNamespace replaces (instead of
	// those of the objects changed); findings its run reports elsewhere are dropped.
	groups map[string]bool
}

// run runs tasks concurrently and replaces each check's findings: all of them (full), those
// on objects with keys, or those in groups.
func (ev *Evaluator) run(tasks []task, keys, groups map[string]bool) Delta {
	passes := make([]*Pass, len(tasks))
	errs := make([]*Error, len(tasks))
	parallel.Each(len(tasks), runtime.GOMAXPROCS(0), func(i int) {
		t := tasks[i]
		passes[i] = &Pass{Check: ev.checks[t.check], Inv: t.inv, Config: ev.cfg, Facts: ev.facts, Now: ev.now, Namespaces: t.groups, NoFixes: ev.noFixes}
		start := time.Now()
		errs[i] = runOne(passes[i])
		if ev.observe != nil {
			ev.observe(passes[i].Check, time.Since(start))
		}
	}, nil)
	var d Delta
	for i, t := range tasks {
		c := ev.checks[t.check]
		units := ev.units[t.check]
		if units == nil {
			units = map[string][]Finding{}
			ev.units[t.check] = units
		}
		tg := groups
		if t.groups != nil {
			tg = t.groups
		}
		var removed []Finding
		switch t.mode {
		case full:
			for _, fs := range units {
				removed = append(removed, fs...)
			}
			clear(units)
		case byObject, byNamespace:
			// A check keeps a unit per object or namespace it reported on; a change replaces
			// few of them, so those are looked up rather than every unit tested.
			replaced := keys
			if t.mode == byNamespace {
				replaced = tg
			}
			for u, ok := range replaced {
				if fs, kept := units[u]; ok && kept {
					removed = append(removed, fs...)
					delete(units, u)
				}
			}
		case byObjectIn:
			for g := range groups {
				fs, ok := units[g]
				if !ok {
					continue
				}
				var left []Finding
				for _, f := range fs {
					if keys[objectKey(&f)] {
						removed = append(removed, f)
					} else {
						left = append(left, f)
					}
				}
				if len(left) == 0 {
					delete(units, g)
				} else if len(left) < len(fs) {
					units[g] = left
				}
			}
		}
		ev.errs[t.check] = errs[i]
		var added []Finding
		if errs[i] == nil {
			added = passes[i].collected()
			if t.groups != nil {
				// The run judged related namespaces too, whose findings stay as they were.
				added = slices.DeleteFunc(added, func(f Finding) bool { return !tg[unitOf(c, &f)] })
			}
			if t.mode == byObjectIn {
				// The objects read with the changed ones are judged as they were.
				added = slices.DeleteFunc(added, func(f Finding) bool { return !keys[objectKey(&f)] })
			}
			// Each unit's slice sized once: they are kept until the unit runs again.
			us := make([]string, len(added))
			n := map[string]int{}
			for j := range added {
				us[j] = unitOf(c, &added[j])
				n[us[j]]++
			}
			for u, k := range n {
				units[u] = slices.Grow(units[u], k)
			}
			for j := range added {
				units[us[j]] = append(units[us[j]], added[j])
			}
		}
		a, r := cancel(added, removed)
		d.Added = append(d.Added, a...)
		d.Removed = append(d.Removed, r...)
	}
	SortFindings(d.Added)
	SortFindings(d.Removed)
	return d
}

// unitOf is the unit a finding of c belongs to.
func unitOf(c *Check, f *Finding) string {
	switch c.Scope {
	case ScopeObject:
		return objectKey(f)
	case ScopeNamespace, ScopeCluster:
		if c.Scope == ScopeCluster && c.Partition == nil {
			return ""
		}
		if f.object != nil {
			return f.object.Group()
		}
		if f.Object.Kind == "Namespace" {
			return f.Object.Name
		}
		return f.Object.Key().Namespace
	}
	return ""
}

// objectKey is the unit of f for a check of ScopeObject: its object's key.
func objectKey(f *Finding) string {
	if f.object != nil {
		return unitKey(f.object.Key())
	}
	return unitKey(f.Object.Key())
}

// readsAny says whether c reads one of kinds besides those it reports on.
func readsAny(c *Check, kinds map[string]bool) bool {
	for k := range kinds {
		if matchKind(c.Reads, k) {
			return true
		}
	}
	return false
}

// withContext is objs with, of the namespaces in groups, the objects that the PerObject
// checks among checks read (Reads).
func withContext(inv *inventory.Inventory, objs []*inventory.Object, groups map[string]bool, checks []*Check) []*inventory.Object {
	var reads []string
	for _, c := range checks {
		if c.PerObject {
			reads = append(reads, c.Reads...)
		}
	}
	in := map[*inventory.Object]bool{}
	for _, o := range objs {
		in[o] = true
	}
	out := slices.Clone(objs)
	for _, o := range namespaceObjects(inv, groups) {
		if !in[o] && matchKind(reads, o.Kind) {
			out = append(out, o)
		}
	}
	return out
}

func unitKey(k inventory.Key) string { return k.Kind + "\x00" + k.Namespace + "\x00" + k.Name }

// changedKinds are the kinds a change touched: those of the objects, any workload kind for
// an object that carries a pod template (a custom resource may), and Namespace when the set
// of namespaces changed (each has a default service account; checks list them).
func changedKinds(changed []*inventory.Object, namespaces bool) map[string]bool {
	kinds := map[string]bool{}
	for _, o := range changed {
		kinds[o.Kind] = true
		if len(o.PodTemplates()) > 0 {
			kinds[WorkloadKinds[0]] = true
		}
	}
	if namespaces {
		kinds["Namespace"] = true
	}
	return kinds
}

// staleFor matches the memoized values a change of kinds makes stale: engines that read one
// of them, and whatever else was memoized (nothing says what it read).
func staleFor(kinds map[string]bool) func(key any) bool { return staleExcept(kinds, nil) }

// staleExcept is staleFor but for the engines kept.
func staleExcept(kinds map[string]bool, kept map[Requirement]bool) func(key any) bool {
	return func(key any) bool {
		ek, ok := key.(engineKey)
		if !ok {
			return true
		}
		r, ok := ek.e.(Requirement)
		if !ok {
			return true
		}
		if kept[r] {
			return false
		}
		for k := range kinds {
			if matchKind(r.EngineReads(), k) {
				return true
			}
		}
		return false
	}
}

// dependsOnAny says whether a change of kinds can change c's findings: c reports on or reads
// one of them, or requires an engine that reads one and was not kept.
func dependsOnAny(c *Check, kinds map[string]bool, kept map[Requirement]bool) bool {
	for k := range kinds {
		if matchKind(c.Kinds, k) || matchKind(c.Reads, k) {
			return true
		}
		for _, r := range c.Requires {
			if !kept[r] && matchKind(r.EngineReads(), k) {
				return true
			}
		}
	}
	return false
}

// kept are the engines that a change of objects in place (replaced: before and after) leaves
// as they were although they read a changed kind: each says so of every object (Keeps).
func (ev *Evaluator) kept(kinds map[string]bool, replaced [][2]*inventory.Object) map[Requirement]bool {
	if len(replaced) == 0 {
		return nil
	}
	env := Env{Inv: ev.inv, Config: ev.cfg, Facts: ev.facts}
	var out map[Requirement]bool
	seen := map[Requirement]bool{}
	for _, c := range ev.checks {
		for _, r := range c.Requires {
			if seen[r] {
				continue
			}
			seen[r] = true
			reads := false
			for k := range kinds {
				reads = reads || matchKind(r.EngineReads(), k)
			}
			if !reads {
				continue
			}
			keep := true
			for _, p := range replaced {
				if !r.EngineKeeps(env, p[0], p[1]) {
					keep = false
					break
				}
			}
			if keep {
				if out == nil {
					out = map[Requirement]bool{}
				}
				out[r] = true
			}
		}
	}
	return out
}

// clusterScopedChange says whether a check of namespace scope depends on a changed object
// that belongs to no namespace (nor is one): then no set of namespaces bounds what changes.
func clusterScopedChange(c *Check, changed []*inventory.Object) bool {
	for _, o := range changed {
		if o.Group() == "" && c.DependsOn(o.Kind) {
			return true
		}
	}
	return false
}

// unpartitioned says whether a check with a Partition depends on a changed object of a
// kind its partition does not answer for.
func unpartitioned(c *Check, changed []*inventory.Object) bool {
	for _, o := range changed {
		if c.DependsOn(o.Kind) && !matchKind(c.Partition.Kinds, o.Kind) &&
			!(len(o.PodTemplates()) > 0 && slices.Contains(c.Partition.Kinds, Workloads)) {
			return true
		}
	}
	return false
}

// namespaceObjects are the objects of groups: each namespace's Namespace objects, then the
// objects in it, in inventory order within each.
func namespaceObjects(inv *inventory.Inventory, groups map[string]bool) []*inventory.Object {
	names := make([]string, 0, len(groups))
	for g := range groups {
		if g != "" {
			names = append(names, g)
		}
	}
	sort.Strings(names)
	var out []*inventory.Object
	for _, o := range inv.ByKind("Namespace") {
		if groups[o.Group()] && o.Group() != "" {
			out = append(out, o)
		}
	}
	for _, g := range names {
		out = append(out, inv.InNamespace(g)...)
	}
	return out
}

// cancel drops the findings that are both added and removed: reported again, unchanged, on
// the same object.
func cancel(added, removed []Finding) (a, r []Finding) {
	if len(added) == 0 || len(removed) == 0 {
		return added, removed
	}
	old := make(map[same][]int, len(removed))
	for i := range removed {
		k := sameKey(&removed[i])
		old[k] = append(old[k], i)
	}
	gone := make([]bool, len(removed))
	// Findings of one check often share their fixes (a namespace's generated policies, on
	// each of its workloads): compare each pair of fix lists once.
	type pair struct {
		a, b *SuggestedFix
		n    int
	}
	same := map[pair]bool{}
	sameFixes := func(a, b []SuggestedFix) bool {
		if len(a) != len(b) {
			return false
		}
		if len(a) == 0 {
			return (a == nil) == (b == nil)
		}
		p := pair{&a[0], &b[0], len(a)}
		eq, ok := same[p]
		if !ok {
			eq = reflect.DeepEqual(a, b)
			same[p] = eq
		}
		return eq
	}
	for i := range added {
		f := &added[i]
		k := sameKey(f)
		idx := old[k]
		// A finding on an object replaced since is reported again, so that whoever keeps the
		// delta's findings reads the object as it is now (its exception annotations).
		j := slices.IndexFunc(idx, func(j int) bool { return removed[j].object == f.object && sameFixes(f.Fixes, removed[j].Fixes) })
		if j < 0 {
			a = append(a, *f)
			continue
		}
		gone[idx[j]] = true
		old[k] = slices.Delete(idx, j, j+1)
	}
	for i := range removed {
		if !gone[i] {
			r = append(r, removed[i])
		}
	}
	return a, r
}

// same is what makes two findings one, fixes aside: a comparable key, so that cancelling
// the findings of a check that ran again over the whole cluster hashes fields rather than
// building a string per finding.
type same struct {
	check                        string
	object                       inventory.Ref
	file, path, msg, remediation string
	line                         int
	severity                     Severity
	suppressed, rendered         bool
}

func sameKey(f *Finding) same {
	return same{f.Check, f.Object, f.File, f.Path, f.Message, f.Remediation, f.Line, f.Severity, f.Suppressed, f.Rendered}
}
