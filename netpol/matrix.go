package netpol

import (
	"strconv"
	"strings"
)

// Matrix is what every class may send to every other class, and to and from the internet.
// Cells are interned port sets. Without cluster network policies a cell is not stored but
// read as the intersection of two shared vectors (the source's egress, the destination's
// ingress), so the matrix takes memory for its distinct policy groups, not for n² cells.
// Reading it interns new sets: it is not safe for concurrent use.
type Matrix struct {
	classes []*Class
	pos     []int      // class index → row/column, or -1
	cells   []uint32   // with cluster network policies: every cell
	in, out [][]uint32 // otherwise: in[d][s], out[s][d]; nil when not isolated
	// Row's index of the distinct ingress vectors, made on first use.
	rowIn    map[*uint32]int
	rowInIdx []int
	rowVecs  [][]uint32
	rowCol   []uint32
	table    *portTable
	// Internet traffic per class: ports allowed for every public address, and for some.
	fromNet, fromNetSome, toNet, toNetSome []uint32
}

// Matrix computes the reachability matrix of the classes of the given namespaces (all
// classes when none are given).
//
// It never evaluates a pair of pods twice: destinations whose ingress is decided by the
// same policies share one vector over sources, sources whose egress is decided by the same
// policies share one vector over destinations, and each cell is the intersection of the two.
func (e *Engine) Matrix(namespaces ...string) *Matrix {
	m := &Matrix{table: newPortTable(), pos: make([]int, len(e.classes))}
	want := map[string]bool{}
	for _, ns := range namespaces {
		want[ns] = true
	}
	for i, c := range e.classes {
		m.pos[i] = -1
		if len(want) == 0 || want[c.Namespace] {
			m.pos[i] = len(m.classes)
			m.classes = append(m.classes, c)
		}
	}
	n := len(m.classes)
	t := m.table
	resolved := map[uint64]uint32{}
	ruleTo := func(r *Rule, dst *Class) uint32 {
		if len(r.ports.named) == 0 {
			k := uint64(r.id) << 32
			id, ok := resolved[k]
			if !ok {
				id = t.id(r.ports.resolve(nil))
				resolved[k] = id
			}
			return id
		}
		k := uint64(r.id)<<32 | uint64(dst.portSig+1)
		id, ok := resolved[k]
		if !ok {
			id = t.id(r.ports.resolve(dst.Ports))
			resolved[k] = id
		}
		return id
	}
	// each calls f with the row/column of every class the rule's peers match.
	each := func(r *Rule, f func(pos int)) {
		if r.AllPeers {
			for i := 0; i < n; i++ {
				f(i)
			}
			return
		}
		r.pods.each(func(ci int) {
			if p := m.pos[ci]; p >= 0 {
				f(p)
			}
		})
	}

	// Ingress: in[d][s] is what d's ingress policies let in from s; nil when d is not isolated.
	in := make([][]uint32, n)
	groups := map[string][]uint32{}
	for di, d := range m.classes {
		pols := d.policies[Ingress]
		if len(pols) == 0 {
			continue
		}
		key := groupKey(pols, Ingress, d)
		if v, ok := groups[key]; ok {
			in[di] = v
			continue
		}
		v := make([]uint32, n)
		for _, p := range pols {
			for _, r := range p.Rules[Ingress] {
				id := ruleTo(r, d)
				if id == idNone {
					continue
				}
				each(r, func(s int) { v[s] = t.unionID(v[s], id) })
			}
		}
		groups[key] = v
		in[di] = v
	}

	// Egress: out[s][d] is what s's egress policies let out to d; nil when s is not isolated.
	out := make([][]uint32, n)
	groups = map[string][]uint32{}
	for si, s := range m.classes {
		pols := s.policies[Egress]
		if len(pols) == 0 {
			continue
		}
		key := groupKey(pols, Egress, nil)
		if v, ok := groups[key]; ok {
			out[si] = v
			continue
		}
		v := make([]uint32, n)
		for _, p := range pols {
			for _, r := range p.Rules[Egress] {
				each(r, func(d int) { v[d] = t.unionID(v[d], ruleTo(r, m.classes[d])) })
			}
		}
		groups[key] = v
		out[si] = v
	}

	if len(e.sortedCluster) > 0 {
		m.cells = make([]uint32, n*n)
		// Cluster network policies decide per pair and per port, in tiers around the
		// NetworkPolicies: every cell is evaluated as Reach would.
		for s := 0; s < n; s++ {
			src := end{class: m.classes[s]}
			for d := 0; d < n; d++ {
				dst := end{class: m.classes[d]}
				eg := e.side(Egress, src, dst, dst, nil)
				in := e.side(Ingress, dst, src, dst, nil)
				m.cells[s*n+d] = t.id(eg.Ports.Intersect(in.Ports))
			}
		}
		m.internet(e)
		return m
	}
	m.in, m.out = in, out
	m.internet(e)
	return m
}

// internet fills in what each class may send to and receive from the internet.
func (m *Matrix) internet(e *Engine) {
	n, t := len(m.classes), m.table
	m.fromNet, m.fromNetSome = make([]uint32, n), make([]uint32, n)
	m.toNet, m.toNetSome = make([]uint32, n), make([]uint32, n)
	net := InternetEndpoint()
	for i, c := range m.classes {
		ce := ClassEndpoint(c)
		v, _ := e.Reach(net, ce, nil)
		m.fromNet[i], m.fromNetSome[i] = t.id(v.Ports), t.id(v.SomePorts)
		v, _ = e.Reach(ce, net, nil)
		m.toNet[i], m.toNetSome[i] = t.id(v.Ports), t.id(v.SomePorts)
	}
}

// groupKey names the policies that decide a direction for a class; with named ports, the
// destination's ports take part too.
func groupKey(pols []*Policy, d Direction, dst *Class) string {
	var b strings.Builder
	named := false
	for _, p := range pols {
		b.WriteString(strconv.Itoa(p.index))
		b.WriteByte(',')
		for _, r := range p.Rules[d] {
			named = named || len(r.ports.named) > 0
		}
	}
	if named && dst != nil {
		b.WriteByte('|')
		b.WriteString(strconv.Itoa(dst.portSig))
	}
	return b.String()
}

// Classes are the matrix's rows and columns, in engine order.
func (m *Matrix) Classes() []*Class { return m.classes }

// Ports is what from may send to to. Both must be classes of the matrix.
func (m *Matrix) Ports(from, to *Class) PortSet {
	p, _ := m.Cell(from, to)
	return p
}

// Cell is Ports with a key for the set: two cells have the same key exactly when their port
// sets are equal, so that a writer can render each distinct set once.
func (m *Matrix) Cell(from, to *Class) (PortSet, uint32) {
	s, d := m.pos[from.Index], m.pos[to.Index]
	if s < 0 || d < 0 {
		return NoPorts, idNone
	}
	id := m.cell(s, d)
	return m.table.sets[id], id
}

func (m *Matrix) cell(s, d int) uint32 {
	if m.cells != nil {
		return m.cells[s*len(m.classes)+d]
	}
	a, b := idAll, idAll
	if eg := m.out[s]; eg != nil {
		a = eg[d]
	}
	if in := m.in[d]; in != nil {
		b = in[s]
	}
	return m.table.interID(a, b)
}

// FromInternet is what every public address may send to c, and what some may.
func (m *Matrix) FromInternet(c *Class) (every, some PortSet) {
	i := m.pos[c.Index]
	if i < 0 {
		return NoPorts, NoPorts
	}
	return m.table.sets[m.fromNet[i]], m.table.sets[m.fromNetSome[i]]
}

// ToInternet is what c may send to every public address, and to some.
func (m *Matrix) ToInternet(c *Class) (every, some PortSet) {
	i := m.pos[c.Index]
	if i < 0 {
		return NoPorts, NoPorts
	}
	return m.table.sets[m.toNet[i]], m.table.sets[m.toNetSome[i]]
}

// InternetKeys are keys (as Cell's) of what every and some public addresses may send to c,
// and of what c may send to every and some.
func (m *Matrix) InternetKeys(c *Class) [4]uint32 {
	i := m.pos[c.Index]
	if i < 0 {
		return [4]uint32{}
	}
	return [4]uint32{m.fromNet[i], m.fromNetSome[i], m.toNet[i], m.toNetSome[i]}
}

// Alike partitions the matrix's classes into groups that the matrix cannot tell apart:
// equal rows, equal columns and equal traffic with the internet. Groups come in the order
// of their first class; classes keep their order within a group.
//
// Without cluster network policies two classes are put together when each policy group
// treats them alike (the same egress and ingress vectors, the same entry in every other
// vector): enough for equal rows and columns, and read in O(classes × policy groups) rather
// than O(classes²). With them, rows and columns are compared cell by cell.
func (m *Matrix) Alike() [][]*Class {
	n := len(m.classes)
	var sig func(c int, f func(uint32))
	if m.cells != nil {
		sig = func(c int, f func(uint32)) {
			for d := 0; d < n; d++ {
				f(m.cells[c*n+d])
				f(m.cells[d*n+c])
			}
		}
	} else {
		// The distinct vectors, by their first element's address (shared vectors are one
		// slice), and each class's own.
		vecs := func(vs [][]uint32) (distinct [][]uint32, idx []uint32) {
			seen := map[*uint32]uint32{}
			idx = make([]uint32, n)
			for i, v := range vs {
				if v == nil {
					continue
				}
				k, ok := seen[&v[0]]
				if !ok {
					k = uint32(len(distinct) + 1)
					seen[&v[0]] = k
					distinct = append(distinct, v)
				}
				idx[i] = k
			}
			return distinct, idx
		}
		ins, inIdx := vecs(m.in)
		outs, outIdx := vecs(m.out)
		sig = func(c int, f func(uint32)) {
			f(inIdx[c])
			f(outIdx[c])
			for _, v := range ins {
				f(v[c])
			}
			for _, v := range outs {
				f(v[c])
			}
		}
	}
	full := func(c int, f func(uint32)) {
		for _, x := range [4]uint32{m.fromNet[c], m.fromNetSome[c], m.toNet[c], m.toNetSome[c]} {
			f(x)
		}
		sig(c, f)
	}
	hash := func(c int) [2]uint64 {
		h1, h2 := uint64(14695981039346656037), uint64(0x9e3779b97f4a7c15)
		full(c, func(x uint32) {
			h1 = (h1 ^ uint64(x)) * 1099511628211
			h2 = (h2 ^ uint64(x)) * 0xff51afd7ed558ccd
		})
		return [2]uint64{h1, h2}
	}
	equal := func(a, b int) bool {
		var xs []uint32
		full(a, func(x uint32) { xs = append(xs, x) })
		i, same := 0, true
		full(b, func(x uint32) {
			same = same && xs[i] == x
			i++
		})
		return same
	}
	byHash := map[[2]uint64][]int{} // hash → indexes into out
	var out [][]*Class
	var first []int
	for c := 0; c < n; c++ {
		h := hash(c)
		g := -1
		for _, k := range byHash[h] {
			if equal(first[k], c) {
				g = k
				break
			}
		}
		if g < 0 {
			g = len(out)
			byHash[h] = append(byHash[h], g)
			out = append(out, nil)
			first = append(first, c)
		}
		out[g] = append(out[g], m.classes[c])
	}
	return out
}

// Row fills keys (as Cell's, see Set) with what from may send to each class of the matrix,
// by position in Classes, and returns it. Reading a matrix row by row this way touches
// each shared ingress vector once per row instead of once per cell.
func (m *Matrix) Row(from *Class, keys []uint32) []uint32 {
	n := len(m.classes)
	keys = append(keys[:0], make([]uint32, n)...)
	s := m.pos[from.Index]
	if s < 0 {
		return keys
	}
	if m.cells != nil {
		copy(keys, m.cells[s*n:(s+1)*n])
		return keys
	}
	if m.rowIn == nil {
		m.rowIn = map[*uint32]int{}
		m.rowInIdx = make([]int, n)
		for d, v := range m.in {
			m.rowInIdx[d] = -1
			if v == nil {
				continue
			}
			k, ok := m.rowIn[&v[0]]
			if !ok {
				k = len(m.rowVecs)
				m.rowIn[&v[0]] = k
				m.rowVecs = append(m.rowVecs, v)
			}
			m.rowInIdx[d] = k
		}
		m.rowCol = make([]uint32, len(m.rowVecs))
	}
	for k, v := range m.rowVecs {
		m.rowCol[k] = v[s]
	}
	eg := m.out[s]
	for d := 0; d < n; d++ {
		a, b := idAll, idAll
		if eg != nil {
			a = eg[d]
		}
		if k := m.rowInIdx[d]; k >= 0 {
			b = m.rowCol[k]
		}
		keys[d] = m.table.interID(a, b)
	}
	return keys
}

// Pos is c's position in Classes, or -1.
func (m *Matrix) Pos(c *Class) int { return m.pos[c.Index] }

// Set is the port set of a key.
func (m *Matrix) Set(key uint32) PortSet { return m.table.sets[key] }
