package rbac

import (
	"maps"
	"slices"
	"sync"

	"github.com/kubeharden/kubeharden/inventory"
)

// Tracker keeps the engine of one inventory that changes in place (a monitor's), deriving
// each engine from the last where only bindings changed instead of reading every RBAC
// object again:
//
//   - the roles (the same Role and ClusterRole objects) and the rule index are shared;
//   - bindings read from the same objects are shared; those added or changed are read;
//   - the principals the bindings added or removed name are made again, the others
//     shared;
//   - an escalation graph (WithEnvironmentOf) keeps what each set of principals not made
//     again may do (the costly part), and searches again.
//
// Anything else (a role changed, a binding of the default policy changed, the order of
// bindings changed) builds the engine again. Either way the engine equals FromInventory of
// the inventory as it stands, and engines returned before are left as they were: the
// derived engine shares only what neither changes.
//
// The inventory's objects must not change in place: a changed object is a new one (as
// inventory.Upsert takes it).
type Tracker struct {
	mu   sync.Mutex
	inv  *inventory.Inventory
	last *Engine // the last engine Engine returned for inv
	// esc is the last engine WithEnvironmentOf returned, for x and the engine whose gen is
	// escBase.
	esc     *Engine
	escX    *Environment
	escBase uint64
	gen     uint64
}

// NewTracker returns a tracker that follows the first inventory it is asked about (not a
// Subset of another).
func NewTracker() *Tracker { return &Tracker{} }

// Engine returns FromInventory(inv, opts). The inventory the tracker follows gets an engine
// derived from the last one where it can; any other (a copy judged apart) is built afresh.
func (t *Tracker) Engine(inv *inventory.Inventory, opts Options) *Engine {
	t.mu.Lock()
	if t.inv == nil && inv.Root() == inv {
		t.inv = inv
	}
	if inv != t.inv {
		t.mu.Unlock()
		return FromInventory(inv, opts)
	}
	defer t.mu.Unlock()
	var e *Engine
	if t.last != nil && t.last.src.opts == opts {
		e = t.last.derive(sourcesOf(inv, opts))
		if e != nil && !opts.NoEnvironment {
			e.env = envFrom(inv, e)
		}
	}
	if e == nil {
		e = FromInventory(inv, opts)
	}
	t.gen++
	e.gen = t.gen
	t.last = e
	return e
}

// WithEnvironmentOf returns e.WithEnvironmentOf(x). When e is the engine the last call was
// given, or one derived from it, its escalation graphs start from what the last call's
// graphs computed that is still true.
func (t *Tracker) WithEnvironmentOf(e *Engine, x *Environment) *Engine {
	c := e.WithEnvironmentOf(x)
	t.mu.Lock()
	defer t.mu.Unlock()
	if e.gen == 0 {
		return c // not one of the tracker's
	}
	if t.esc != nil && (e.gen == t.escBase || e.base == t.escBase) {
		replaced := e.replaced
		if e.gen == t.escBase {
			replaced = nil
		}
		prev := t.esc.graphs
		prev.mu.Lock()
		c.graphs.prev, c.graphs.prevMemo = maps.Clone(prev.m), prev.memo
		prev.mu.Unlock()
		c.graphs.replaced = replaced
	}
	t.esc, t.escX, t.escBase = c, x, e.gen
	return c
}

// defaultBindingKeys are the keys of the default policy's bindings: adding or removing an
// input binding with one of them changes which defaults an engine adds, or reconciles.
var defaultBindingKeys = sync.OnceValue(func() map[roleKey]bool {
	p := DefaultPolicy()
	out := map[roleKey]bool{}
	for i := range p.ClusterRoleBindings {
		out[clusterRoleBindingFrom(&p.ClusterRoleBindings[i], nil).key()] = true
	}
	for i := range p.RoleBindings {
		out[roleBindingFrom(&p.RoleBindings[i], nil).key()] = true
	}
	return out
})

// derive returns the engine of src built from e's where only bindings changed, or nil
// when it cannot (see Tracker).
func (e0 *Engine) derive(src *sources) *Engine {
	old := e0.src
	if old == nil || !slices.Equal(old.roles, src.roles) {
		return nil
	}
	was := make(map[*inventory.Object]*Binding, len(old.bindings))
	for i, o := range old.bindings {
		was[o] = old.read[i]
	}
	var fresh, input []*Binding
	for i, o := range src.bindings {
		b, ok := was[o]
		if !ok {
			b = readBinding(o)
			if b != nil {
				fresh = append(fresh, b)
			}
		}
		delete(was, o)
		src.read[i] = b
		if b != nil {
			input = append(input, b)
		}
	}
	var gone []*Binding
	for _, b := range was {
		if b != nil {
			gone = append(gone, b)
		}
	}
	if src.opts.Defaults {
		keys := defaultBindingKeys()
		for _, bs := range [][]*Binding{fresh, gone} {
			for _, b := range bs {
				if keys[b.key()] {
					return nil
				}
			}
		}
		// The defaults added are those the input lacks, as before.
		for _, b := range e0.bindings {
			if b.Builtin {
				input = append(input, b)
			}
		}
	}

	// The bindings as build keeps them: a later one of the same key replaces an earlier.
	var bindings []*Binding
	seen := make(map[roleKey]int, len(input))
	for _, b := range input {
		k := b.key()
		if i, dup := seen[k]; dup {
			bindings[i] = b
			continue
		}
		seen[k] = len(bindings)
		bindings = append(bindings, b)
	}
	before := make(map[*Binding]bool, len(e0.bindings))
	for _, b := range e0.bindings {
		before[b] = true
	}
	after := make(map[*Binding]bool, len(bindings))
	var added, removed []*Binding
	for _, b := range bindings {
		after[b] = true
		if !before[b] {
			added = append(added, b)
		}
	}
	for _, b := range e0.bindings {
		if !after[b] {
			removed = append(removed, b)
		}
	}
	// The bindings kept must keep their order: principals and roles list them so.
	i := 0
	for _, b := range bindings {
		if !before[b] {
			continue
		}
		for i < len(e0.bindings) && !after[e0.bindings[i]] {
			i++
		}
		if i == len(e0.bindings) || e0.bindings[i] != b {
			return nil
		}
		i++
	}

	e := &Engine{
		roles:    e0.roles,
		bindings: bindings,
		byKey:    e0.byKey,
		users:    e0.users,
		groups:   e0.groups,
		bound:    e0.bound,
		nextID:   e0.nextID,
		index:    e0.index,
		graphs:   &graphs{},
		src:      src,
		base:     e0.gen,
		subs:     e0.subs,
	}
	if len(added) == 0 && len(removed) == 0 {
		return e
	}
	e.subs = &subjectList{}
	for _, b := range added {
		e.resolve(b)
	}
	// The roles whose bindings changed list them again.
	roles := map[*Role]bool{}
	for _, bs := range [][]*Binding{added, removed} {
		for _, b := range bs {
			if b.role != nil {
				roles[b.role] = true
			}
		}
	}
	if len(roles) > 0 {
		e.bound = slices.Clone(e0.bound)
		for r := range roles {
			e.bound[r.idx] = roleBindings{}
		}
		for _, b := range bindings {
			if b.role != nil && roles[b.role] {
				e.bound[b.role.idx].add(b)
			}
		}
	}
	// The principals those bindings name are made again.
	changed := [2]map[string]bool{{}, {}} // users, groups
	for _, bs := range [][]*Binding{added, removed} {
		for _, b := range bs {
			if b.role == nil {
				continue
			}
			for i := range b.Subjects {
				if s, ok := b.Subject(i); ok {
					if name, group, ok := principalName(s); ok {
						changed[index(group)][name] = true
					}
				}
			}
		}
	}
	if len(changed[0])+len(changed[1]) == 0 {
		return e
	}
	e.replaced = map[*principal]bool{}
	if len(changed[0]) > 0 {
		e.users = without(e0.users, changed[0], e.replaced)
	}
	if len(changed[1]) > 0 {
		e.groups = without(e0.groups, changed[1], e.replaced)
	}
	for _, b := range bindings {
		if b.role == nil {
			continue
		}
		for i := range b.Subjects {
			s, ok := b.Subject(i)
			if !ok {
				continue
			}
			if name, group, ok := principalName(s); ok && changed[index(group)][name] {
				e.principal(e.named(group), name).addRef(b, i)
			}
		}
	}
	return e
}

// index is 1 for groups, 0 for users.
func index(group bool) int {
	if group {
		return 1
	}
	return 0
}

// without is a copy of m without the principals named in names, which it notes in replaced.
func without(m map[string]*principal, names map[string]bool, replaced map[*principal]bool) map[string]*principal {
	out := maps.Clone(m)
	for name := range names {
		if p := out[name]; p != nil {
			replaced[p] = true
			delete(out, name)
		}
	}
	return out
}
