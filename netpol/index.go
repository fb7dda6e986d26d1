package netpol

import (
	"slices"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
)

// labelIndex lists items (namespaces, classes) by their labels, so that a selector is
// tried only on the items that can match it: those carrying the value an Equals or In
// requirement asks, or the key an Exists requirement asks. Trying every selector on every
// item made matching the policies of a large cluster grow with policies × namespaces.
type labelIndex struct {
	n    int
	kv   map[string]map[string][]int32
	keys map[string][]int32
}

func newLabelIndex() *labelIndex {
	return &labelIndex{kv: map[string]map[string][]int32{}, keys: map[string][]int32{}}
}

// add adds item i, which must be greater than every item added before, with labels l.
func (x *labelIndex) add(i int, l labels.Set) {
	for k, v := range l {
		vs := x.kv[k]
		if vs == nil {
			vs = map[string][]int32{}
			x.kv[k] = vs
		}
		vs[v] = append(vs[v], int32(i))
		x.keys[k] = append(x.keys[k], int32(i))
	}
	x.n = i + 1
}

// candidates returns, in increasing order, the items sel can match: a superset of those it
// matches, to be tried with sel.Matches. all says no requirement of sel narrows them (the
// candidates are then every item). The slice may be the index's own: not to be changed.
func (x *labelIndex) candidates(sel labels.Selector) (c []int32, all bool) {
	reqs, selectable := sel.Requirements()
	if !selectable {
		return nil, false // labels.Nothing()
	}
	all = true
	for _, r := range reqs {
		var got []int32
		switch r.Operator() {
		case selection.Equals, selection.DoubleEquals, selection.In:
			vs := x.kv[r.Key()]
			values := r.Values()
			if len(values) == 1 {
				for v := range values {
					got = vs[v]
				}
				break
			}
			for v := range values {
				got = append(got, vs[v]...)
			}
			slices.Sort(got)
			got = slices.Compact(got)
		case selection.Exists:
			got = x.keys[r.Key()]
		default:
			continue
		}
		if all || len(got) < len(c) {
			c, all = got, false
		}
	}
	return c, all
}

// move updates item i, whose labels changed from before to after, keeping the lists
// sorted: an update in place changes one class or namespace, where building the index
// again costs every item.
func (x *labelIndex) move(i int, before, after labels.Set) {
	id := int32(i)
	for k, v := range before {
		if w, ok := after[k]; ok && w == v {
			continue
		}
		x.kv[k][v] = remove32(x.kv[k][v], id)
		if len(x.kv[k][v]) == 0 {
			delete(x.kv[k], v)
		}
		if _, ok := after[k]; !ok {
			x.keys[k] = remove32(x.keys[k], id)
		}
	}
	for k, v := range after {
		if w, ok := before[k]; ok && w == v {
			continue
		}
		vs := x.kv[k]
		if vs == nil {
			vs = map[string][]int32{}
			x.kv[k] = vs
		}
		vs[v] = insert32(vs[v], id)
		if _, ok := before[k]; !ok {
			x.keys[k] = insert32(x.keys[k], id)
		}
	}
}

func remove32(s []int32, v int32) []int32 {
	if at, ok := slices.BinarySearch(s, v); ok {
		return slices.Delete(s, at, at+1)
	}
	return s
}

func insert32(s []int32, v int32) []int32 {
	at, ok := slices.BinarySearch(s, v)
	if ok {
		return s
	}
	return slices.Insert(s, at, v)
}

// remap numbers the items again: item i becomes to[i], or goes when to[i] is -1; n is the
// number of items after.
func (x *labelIndex) remap(to []int32, n int) {
	re := func(s []int32) []int32 {
		out := s[:0]
		for _, i := range s {
			if j := to[i]; j >= 0 {
				out = append(out, j)
			}
		}
		slices.Sort(out)
		return out
	}
	for k, vs := range x.kv {
		for v, s := range vs {
			if s = re(s); len(s) == 0 {
				delete(vs, v)
			} else {
				vs[v] = s
			}
		}
		if len(vs) == 0 {
			delete(x.kv, k)
		}
	}
	for k, s := range x.keys {
		if s = re(s); len(s) == 0 {
			delete(x.keys, k)
		} else {
			x.keys[k] = s
		}
	}
	x.n = n
}
