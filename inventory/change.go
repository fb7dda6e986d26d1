package inventory

import (
	"maps"
	"slices"
	"sort"
)

// Change is a set of objects added or changed (Upsert) and removed (Delete), as a watch
// delivers them.
type Change struct {
	Upsert []*Object
	Delete []Ref
}

// Key is the identity of an object in an inventory: kind, effective namespace and name.
type Key struct{ Kind, Namespace, Name string }

// Key returns the object's identity.
func (o *Object) Key() Key { return Key{o.Kind, o.EffectiveNamespace(), o.Name} }

// Key returns the identity of the object r names: its namespace defaulted as an object's is.
func (r Ref) Key() Key {
	ns := r.Namespace
	if ns == "" && !ClusterScoped(r.APIVersion, r.Kind) {
		ns = DefaultNamespace
	}
	return Key{r.Kind, ns, r.Name}
}

// Group is the namespace an object belongs to for checks that read an object with its
// namespace: its effective namespace, a Namespace's own name, "" for other cluster-scoped
// objects.
func (o *Object) Group() string {
	if o.Kind == "Namespace" && o.APIVersion == "v1" {
		return o.Name
	}
	return o.EffectiveNamespace()
}

// Lookup returns the object with key k.
func (inv *Inventory) Lookup(k Key) *Object { return inv.byKey[key{k.Kind, k.Namespace, k.Name}] }

// Upsert adds o, or replaces the object with o's key in place, keeping its position in All,
// ByKind, InNamespace and PodTemplates, so that the inventory equals Build of its objects.
// It returns the object replaced, or nil. Memoized values (Memo) are kept: whoever memoizes
// on an inventory that changes forgets what the change makes stale (see Forget). Upsert must
// not run while others read the inventory.
func (inv *Inventory) Upsert(o *Object) (old *Object) {
	inv.own()
	k := key{o.Kind, o.EffectiveNamespace(), o.Name}
	old = inv.byKey[k]
	inv.byKey[k] = o
	if old == nil && inv.order != nil {
		inv.objects = insertSorted(inv.objects, o, inv.order)
		inv.byKind[o.Kind] = insertSorted(inv.byKind[o.Kind], o, inv.order)
		if k.ns != "" {
			inv.byNS[k.ns] = insertSorted(inv.byNS[k.ns], o, inv.order)
		}
		inv.replacePods(nil, o)
		inv.namespacesChanged()
		return nil
	}
	if old == nil {
		inv.objects = append(inv.objects, o)
		inv.byKind[o.Kind] = append(inv.byKind[o.Kind], o)
		if k.ns != "" {
			inv.byNS[k.ns] = append(inv.byNS[k.ns], o)
		}
		inv.pods = appendPodTemplates(inv.pods, o)
		inv.podsIn.Store(nil)
		inv.namespacesChanged()
		return nil
	}
	replace(inv.objects, old, o)
	replace(inv.byKind[o.Kind], old, o)
	if k.ns != "" {
		replace(inv.byNS[k.ns], old, o)
	}
	inv.replacePods(old, o)
	if o.Group() != old.Group() || o.Kind == "Namespace" {
		inv.namespacesChanged()
	}
	return old
}

// Delete removes the object r names and returns it, or nil when there is none. Like Upsert,
// it keeps the inventory equal to Build of its objects.
func (inv *Inventory) Delete(r Ref) (old *Object) {
	rk := r.Key()
	k := key{rk.Kind, rk.Namespace, rk.Name}
	old = inv.byKey[k]
	if old == nil {
		return nil
	}
	inv.own()
	inv.objects = remove(inv.objects, old)
	inv.byKind[k.kind] = remove(inv.byKind[k.kind], old)
	if len(inv.byKind[k.kind]) == 0 {
		delete(inv.byKind, k.kind)
	}
	if k.ns != "" {
		inv.byNS[k.ns] = remove(inv.byNS[k.ns], old)
		if len(inv.byNS[k.ns]) == 0 {
			delete(inv.byNS, k.ns)
		}
	}
	inv.replacePods(old, nil)
	// Build keeps the last of objects with one key: another with this key now stands for it.
	delete(inv.byKey, k)
	for i := len(inv.byKind[k.kind]) - 1; i >= 0; i-- {
		if o := inv.byKind[k.kind][i]; o.EffectiveNamespace() == k.ns && o.Name == k.name {
			inv.byKey[k] = o
			break
		}
	}
	inv.namespacesChanged()
	return old
}

// Apply applies a change: deletions first, then upserts.
func (inv *Inventory) Apply(c Change) {
	for _, r := range c.Delete {
		inv.Delete(r)
	}
	for _, o := range c.Upsert {
		inv.Upsert(o)
	}
}

// Subset is an inventory of objs (objects of inv, in inv's order) that shares inv's image
// data and, through Root, the values memoized for no particular set of objects.
func (inv *Inventory) Subset(objs []*Object) *Inventory {
	s := Build(objs)
	s.images = inv.images
	s.root = inv.Root()
	return s
}

// Root is the inventory a Subset was taken from, or inv itself.
func (inv *Inventory) Root() *Inventory {
	if inv.root != nil {
		return inv.root
	}
	return inv
}

// Memos are memoized values taken out of an inventory by Forget.
type Memos map[any]*memoEntry

// Forget removes the memoized values whose keys match, so that the next Memo builds them
// again, and returns them for Restore.
func (inv *Inventory) Forget(match func(key any) bool) Memos {
	inv.memoMu.Lock()
	defer inv.memoMu.Unlock()
	out := Memos{}
	for k, e := range inv.memo {
		if match(k) {
			out[k] = e
			delete(inv.memo, k)
		}
	}
	return out
}

// Restore puts back values that Forget took out, replacing what was memoized since.
func (inv *Inventory) Restore(m Memos) {
	inv.memoMu.Lock()
	defer inv.memoMu.Unlock()
	if inv.memo == nil {
		inv.memo = map[any]*memoEntry{}
	}
	for k, e := range m {
		inv.memo[k] = e
	}
}

// namespacesChanged recomputes Namespaces as Build does.
func (inv *Inventory) namespacesChanged() {
	names := make([]string, 0, len(inv.byNS)+1)
	for ns := range inv.byNS {
		names = append(names, ns)
	}
	for _, o := range inv.byKind["Namespace"] {
		if o.APIVersion == "v1" {
			if _, ok := inv.byNS[o.Name]; !ok && !slices.Contains(names, o.Name) {
				names = append(names, o.Name)
			}
		}
	}
	sort.Strings(names)
	inv.nsNames = names
}

func replace(objs []*Object, old, o *Object) {
	if i := slices.Index(objs, old); i >= 0 {
		objs[i] = o
	}
}

func remove(objs []*Object, old *Object) []*Object {
	if i := slices.Index(objs, old); i >= 0 {
		return slices.Delete(objs, i, i+1)
	}
	return objs
}

// own copies the object list Build was given before the first change, so that changes do
// not write into the caller's slice.
func (inv *Inventory) own() {
	if !inv.owned {
		inv.objects = slices.Clone(inv.objects)
		inv.owned = true
	}
}

// replacePods replaces the pod templates of old with those of o (nil: none), where Build
// would put them: the templates of objects are contiguous and in object order. o, when
// given, is already in old's place in inv.objects.
func (inv *Inventory) replacePods(old, o *Object) {
	inv.podsIn.Store(nil)
	var with []PodTemplate
	if o != nil {
		with = appendPodTemplates(nil, o)
	}
	at := o
	if at == nil {
		at = old
	}
	i, j := inv.podSpan(old, at)
	if i < j || len(with) > 0 {
		inv.pods = slices.Replace(inv.pods, i, j, with...)
	}
}

// podSpan returns where the templates of old are in inv.pods, [i, j), or, when it has none
// (or old is nil), where those of at go (i == j). at is old, or the object in old's place
// in inv.objects. With an order (SetOrder) the templates are sorted by it, and a monitor
// creating objects one by one finds the place by binary search rather than by a walk over
// every object.
func (inv *Inventory) podSpan(old, at *Object) (i, j int) {
	if inv.order != nil {
		pods := inv.pods
		i = sort.Search(len(pods), func(n int) bool { return inv.order(pods[n].Owner, at) >= 0 })
		j = i + sort.Search(len(pods)-i, func(n int) bool { return inv.order(pods[i+n].Owner, at) > 0 })
		switch {
		case i == j:
			return i, i
		case old == nil:
			// Upsert puts a new object after those that sort equal to it.
			return j, j
		case !slices.ContainsFunc(pods[i:j], func(p PodTemplate) bool { return p.Owner != old }):
			return i, j
		}
		// Objects the order does not tell apart: their templates are in object order.
	}
	if old != nil {
		if i = slices.IndexFunc(inv.pods, func(p PodTemplate) bool { return p.Owner == old }); i >= 0 {
			j = i
			for j < len(inv.pods) && inv.pods[j].Owner == old {
				j++
			}
			return i, j
		}
	}
	// The templates of the objects before at come first.
	i = 0
	for _, x := range inv.objects {
		if x == at {
			break
		}
		for i < len(inv.pods) && inv.pods[i].Owner == x {
			i++
		}
	}
	return i, i
}

// With returns a new inventory: inv with change c applied, leaving inv as it was, and with
// the values memoized on inv that keep (those stale matches not, already built). It costs a
// copy of inv's indexes, not a Build, and the engines that c does not make stale are not
// built again: what admission needs to judge an object with the rest of a cluster while
// other requests read the same inventory. It only reads inv, so many may run at once. The
// two share the lists c did not touch: once either is changed again, the other must be
// dropped.
func (inv *Inventory) With(c Change, stale func(key any) bool) *Inventory {
	n := &Inventory{
		objects: slices.Clone(inv.objects),
		owned:   true,
		byKind:  maps.Clone(inv.byKind),
		byKey:   maps.Clone(inv.byKey),
		byNS:    maps.Clone(inv.byNS),
		nsNames: inv.nsNames,
		pods:    slices.Clone(inv.pods),
		images:  inv.images,
		order:   inv.order,
	}
	// Upsert and Delete change the lists of an object's kind and namespace in place: those
	// the change touches get their own copy.
	touch := func(kind, ns string) {
		if objs, ok := n.byKind[kind]; ok {
			n.byKind[kind] = slices.Clone(objs)
		}
		if objs, ok := n.byNS[ns]; ok {
			n.byNS[ns] = slices.Clone(objs)
		}
	}
	for _, r := range c.Delete {
		k := r.Key()
		touch(k.Kind, k.Namespace)
	}
	for _, o := range c.Upsert {
		touch(o.Kind, o.EffectiveNamespace())
	}
	n.Apply(c)
	inv.memoMu.Lock()
	for k, e := range inv.memo {
		if e.done.Load() && (stale == nil || !stale(k)) {
			if n.memo == nil {
				n.memo = map[any]*memoEntry{}
			}
			n.memo[k] = e
		}
	}
	inv.memoMu.Unlock()
	return n
}
