package inventory

import "sort"

// SetOrder makes Upsert put a new object where cmp sorts it, in All, ByKind, InNamespace and
// PodTemplates, instead of last. The inventory's objects must already be sorted by cmp. A
// monitor uses it so that an inventory kept current object by object equals the one a full
// read of the cluster builds (some checks list objects in inventory order in their messages).
func (inv *Inventory) SetOrder(cmp func(a, b *Object) int) { inv.order = cmp }

// insertSorted inserts o into objs, sorted by cmp, after the objects that sort equal to it.
func insertSorted(objs []*Object, o *Object, cmp func(a, b *Object) int) []*Object {
	i := sort.Search(len(objs), func(i int) bool { return cmp(objs[i], o) > 0 })
	objs = append(objs, nil)
	copy(objs[i+1:], objs[i:])
	objs[i] = o
	return objs
}
