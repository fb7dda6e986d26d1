package netpol

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// ipRange is an inclusive range of addresses of one family.
type ipRange struct{ lo, hi netip.Addr }

// IPSet is a set of IPv4 and IPv6 addresses, kept as sorted, disjoint, non-adjacent ranges.
type IPSet struct{ r []ipRange }

// ParseCIDR reads a CIDR ("10.0.0.0/8", "2001:db8::/32") or a single address.
func ParseCIDR(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an IP address or CIDR", s)
		}
		return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not a CIDR", s)
	}
	return p.Masked(), nil
}

// PrefixSet is the set of the addresses in the prefixes.
func PrefixSet(ps ...netip.Prefix) IPSet {
	var s IPSet
	for _, p := range ps {
		s.r = append(s.r, prefixRange(p))
	}
	s.normalize()
	return s
}

func prefixRange(p netip.Prefix) ipRange {
	p = p.Masked()
	lo := p.Addr()
	b := lo.AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	hi, _ := netip.AddrFromSlice(b)
	return ipRange{lo, hi}
}

func (s *IPSet) normalize() {
	r := s.r
	sort.Slice(r, func(i, j int) bool { return r[i].lo.Less(r[j].lo) })
	out := r[:0]
	for _, x := range r {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.hi.BitLen() == x.lo.BitLen() && (!last.hi.Less(x.lo) || last.hi.Next() == x.lo) {
				if last.hi.Less(x.hi) {
					last.hi = x.hi
				}
				continue
			}
		}
		out = append(out, x)
	}
	s.r = out
}

// IsEmpty reports whether the set has no address.
func (s IPSet) IsEmpty() bool { return len(s.r) == 0 }

// Contains reports whether a is in the set.
func (s IPSet) Contains(a netip.Addr) bool {
	a = a.Unmap()
	i := sort.Search(len(s.r), func(i int) bool { return !s.r[i].hi.Less(a) })
	return i < len(s.r) && !a.Less(s.r[i].lo)
}

// Union returns s ∪ t.
func (s IPSet) Union(t IPSet) IPSet {
	out := IPSet{r: append(append([]ipRange(nil), s.r...), t.r...)}
	out.normalize()
	return out
}

// Minus returns s − t.
func (s IPSet) Minus(t IPSet) IPSet {
	var out []ipRange
	for _, x := range s.r {
		cur := []ipRange{x}
		for _, y := range t.r {
			var next []ipRange
			for _, c := range cur {
				next = append(next, subtract(c, y)...)
			}
			cur = next
		}
		out = append(out, cur...)
	}
	return IPSet{r: out}
}

// subtract returns c − y as at most two ranges.
func subtract(c, y ipRange) []ipRange {
	if c.lo.BitLen() != y.lo.BitLen() || y.hi.Less(c.lo) || c.hi.Less(y.lo) {
		return []ipRange{c}
	}
	var out []ipRange
	if c.lo.Less(y.lo) {
		out = append(out, ipRange{c.lo, y.lo.Prev()})
	}
	if y.hi.Less(c.hi) {
		out = append(out, ipRange{y.hi.Next(), c.hi})
	}
	return out
}

// Intersect returns s ∩ t.
func (s IPSet) Intersect(t IPSet) IPSet {
	return s.Minus(s.Minus(t))
}

// Covers reports whether every address of t is in s.
func (s IPSet) Covers(t IPSet) bool { return t.Minus(s).IsEmpty() }

// Overlaps reports whether s and t share an address.
func (s IPSet) Overlaps(t IPSet) bool { return !s.Intersect(t).IsEmpty() }

// Equal reports whether s and t hold the same addresses.
func (s IPSet) Equal(t IPSet) bool {
	if len(s.r) != len(t.r) {
		return false
	}
	for i := range s.r {
		if s.r[i] != t.r[i] {
			return false
		}
	}
	return true
}

// Prefixes lists the set as the fewest CIDR prefixes that cover exactly its addresses.
func (s IPSet) Prefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, r := range s.r {
		out = appendRangePrefixes(out, r.lo, r.hi)
	}
	return out
}

func appendRangePrefixes(out []netip.Prefix, lo, hi netip.Addr) []netip.Prefix {
	for {
		bits := lo.BitLen()
		// The largest prefix that starts at lo and ends at or before hi.
		for b := 0; b <= bits; b++ {
			p := netip.PrefixFrom(lo, b)
			if p.Masked().Addr() != lo {
				continue
			}
			if last := prefixRange(p).hi; !hi.Less(last) {
				out = append(out, p)
				if last == hi {
					return out
				}
				lo = last.Next()
				break
			}
		}
	}
}

func (s IPSet) String() string {
	ps := s.Prefixes()
	if len(ps) == 0 {
		return "none"
	}
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.String()
	}
	return strings.Join(parts, ", ")
}

// boundaries are the first addresses of the ranges of s and the addresses just after them:
// the points where membership in s can change.
func (s IPSet) boundaries(out []netip.Addr) []netip.Addr {
	for _, r := range s.r {
		out = append(out, r.lo)
		if n := r.hi.Next(); n.IsValid() && n.BitLen() == r.hi.BitLen() {
			out = append(out, n)
		}
	}
	return out
}

// pieces splits s at the given points: within a piece, membership in any set whose
// boundaries are among the points does not change. Each piece is named by its first address.
func (s IPSet) pieces(points []netip.Addr) []ipRange {
	sort.Slice(points, func(i, j int) bool { return points[i].Less(points[j]) })
	var out []ipRange
	for _, r := range s.r {
		lo := r.lo
		i := sort.Search(len(points), func(i int) bool { return lo.Less(points[i]) })
		for ; i < len(points) && !r.hi.Less(points[i]); i++ {
			if points[i].BitLen() != lo.BitLen() || points[i] == lo {
				continue
			}
			out = append(out, ipRange{lo, points[i].Prev()})
			lo = points[i]
		}
		out = append(out, ipRange{lo, r.hi})
	}
	return out
}

// Internet is the public address space: everything but private, loopback, link-local,
// shared (CGNAT), multicast and reserved ranges. It stands for "any client out there".
var Internet = PrefixSet(netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")).Minus(PrefixSet(
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("224.0.0.0/3"),
	netip.MustParsePrefix("::/8"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("ff00::/8"),
))

// everywhere is every address.
var everywhere = PrefixSet(netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0"))

// RangeSet is the addresses from lo to hi, both included (of one family).
func RangeSet(lo, hi netip.Addr) IPSet {
	if hi.Less(lo) || lo.Is4() != hi.Is4() {
		return IPSet{}
	}
	s := IPSet{r: []ipRange{{lo, hi}}}
	s.normalize()
	return s
}
