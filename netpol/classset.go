package netpol

import (
	"math/bits"
	"slices"
)

// classSet is a set of class indices: the sorted indices while they are few, a bitset over
// every class once that takes less memory. Most peers match a few classes of one
// namespace; a bitset for each made the engine's memory grow with classes × peers (673 MB
// at 100,000 workloads), where sorted indices grow with what the peers actually match.
type classSet struct {
	sparse []int32 // sorted, when dense is nil
	dense  bitset
}

// denseRatio: a set takes a bitset when it holds more than one class in denseRatio, where
// the bitset (n/8 bytes) becomes smaller than the indices (4 bytes each).
const denseRatio = 32

// classSetOf is the set of the sorted indices idx, out of n classes. It keeps no reference
// to idx.
func classSetOf(idx []int32, n int) *classSet {
	if len(idx)*denseRatio > n {
		b := newBitset(n)
		for _, i := range idx {
			b.set(int(i))
		}
		return &classSet{dense: b}
	}
	return &classSet{sparse: slices.Clone(idx)}
}

func (s *classSet) has(i int) bool {
	if s == nil {
		return false
	}
	if s.dense != nil {
		return s.dense.has(i)
	}
	_, ok := slices.BinarySearch(s.sparse, int32(i))
	return ok
}

// set adds i; n is the number of classes, which decides when a bitset is smaller.
func (s *classSet) set(i, n int) {
	if s.dense != nil {
		if i/64 >= len(s.dense) {
			s.dense = append(s.dense, make(bitset, i/64+1-len(s.dense))...)
		}
		s.dense.set(i)
		return
	}
	at, ok := slices.BinarySearch(s.sparse, int32(i))
	if ok {
		return
	}
	s.sparse = slices.Insert(s.sparse, at, int32(i))
	if len(s.sparse)*denseRatio > n && n > i {
		*s = *classSetOf(s.sparse, n)
	}
}

func (s *classSet) unset(i int) {
	if s.dense != nil {
		if i/64 < len(s.dense) {
			s.dense.unset(i)
		}
		return
	}
	if at, ok := slices.BinarySearch(s.sparse, int32(i)); ok {
		s.sparse = slices.Delete(s.sparse, at, at+1)
	}
}

func (s *classSet) empty() bool {
	if s == nil {
		return true
	}
	if s.dense != nil {
		return s.dense.empty()
	}
	return len(s.sparse) == 0
}

// each calls f with every index of the set, in increasing order.
func (s *classSet) each(f func(int)) {
	if s == nil {
		return
	}
	if s.dense != nil {
		s.dense.each(f)
		return
	}
	for _, i := range s.sparse {
		f(int(i))
	}
}

// unionOf is the union of sets, out of n classes: a new set, or the one set when there is
// one (the rule with a single pod peer shares the peer's).
func unionOf(sets []*classSet, n int) *classSet {
	switch len(sets) {
	case 0:
		return &classSet{}
	case 1:
		return sets[0]
	}
	size := 0
	for _, s := range sets {
		if s.dense != nil {
			size = n
			break
		}
		size += len(s.sparse)
	}
	if size*denseRatio > n {
		b := newBitset(n)
		for _, s := range sets {
			if s.dense != nil {
				b.or(s.dense)
				continue
			}
			for _, i := range s.sparse {
				b.set(int(i))
			}
		}
		return &classSet{dense: b}
	}
	idx := make([]int32, 0, size)
	for _, s := range sets {
		idx = append(idx, s.sparse...)
	}
	slices.Sort(idx)
	return &classSet{sparse: slices.Compact(idx)}
}

// bitset is a set of class indices, one bit each.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) unset(i int)    { b[i/64] &^= 1 << (i % 64) }
func (b bitset) has(i int) bool { return i/64 < len(b) && b[i/64]&(1<<(i%64)) != 0 }

func (b bitset) empty() bool {
	for _, w := range b {
		if w != 0 {
			return false
		}
	}
	return true
}

func (b bitset) or(o bitset) {
	for i := range o {
		b[i] |= o[i]
	}
}

func (b bitset) each(f func(int)) {
	for i, w := range b {
		for w != 0 {
			t := bits.TrailingZeros64(w)
			f(i*64 + t)
			w &= w - 1
		}
	}
}
