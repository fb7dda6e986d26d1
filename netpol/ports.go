package netpol

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Protocol is a transport protocol a NetworkPolicy port can name.
type Protocol uint8

// The protocols NetworkPolicy ports accept; TCP is the default.
const (
	TCP Protocol = iota
	UDP
	SCTP
	numProtocols
)

var protocolNames = [numProtocols]string{"TCP", "UDP", "SCTP"}

func (p Protocol) String() string {
	if p < numProtocols {
		return protocolNames[p]
	}
	return "Protocol(" + strconv.Itoa(int(p)) + ")"
}

// ParseProtocol reads TCP, UDP or SCTP. The API server is case-sensitive; so is this.
func ParseProtocol(s string) (Protocol, bool) {
	for i, n := range protocolNames {
		if n == s {
			return Protocol(i), true
		}
	}
	return 0, false
}

// Port is one destination port of one protocol, as a connection uses it.
type Port struct {
	Protocol Protocol
	Number   uint16
	// Name, when set instead of Number, is a named container port of the destination pod.
	Name string
}

func (p Port) String() string {
	if p.Name != "" {
		return p.Name + "/" + p.Protocol.String()
	}
	return strconv.Itoa(int(p.Number)) + "/" + p.Protocol.String()
}

// ParsePort reads "8080", "8080/TCP", "53/udp" or a named port "http/TCP". The protocol
// defaults to TCP, as in NetworkPolicy.
func ParsePort(s string) (Port, error) {
	num, proto, hasProto := strings.Cut(s, "/")
	p := Port{Protocol: TCP}
	if hasProto {
		pr, ok := ParseProtocol(strings.ToUpper(proto))
		if !ok {
			return p, fmt.Errorf("port %q: protocol must be TCP, UDP or SCTP", s)
		}
		p.Protocol = pr
	}
	if n, err := strconv.Atoi(num); err == nil {
		if n < 1 || n > 65535 {
			return p, fmt.Errorf("port %q: number must be between 1 and 65535", s)
		}
		p.Number = uint16(n)
		return p, nil
	}
	if num == "" || len(num) > 15 || strings.ToLower(num) != num {
		return p, fmt.Errorf("port %q: want a number or a port name (lower case, at most 15 characters)", s)
	}
	p.Name = num
	return p, nil
}

// span is an inclusive range of port numbers.
type span struct{ lo, hi uint16 }

// PortSet is a set of (protocol, port) pairs. The set of a rule without ports also covers
// traffic that has no ports at all (ICMP and other protocols), so "all" is kept apart from
// "every port of TCP, UDP and SCTP".
type PortSet struct {
	all bool
	// other is traffic without ports (ICMP and other protocols) in a set that is not all:
	// what is left of "all" once a cluster network policy rule decides some ports.
	other bool
	spans [numProtocols][]span
}

// AllPorts is every kind of traffic.
var AllPorts = PortSet{all: true}

// NoPorts is the empty set.
var NoPorts = PortSet{}

// IsAll reports whether the set allows every kind of traffic.
func (s PortSet) IsAll() bool { return s.all }

// IsEmpty reports whether the set allows nothing.
func (s PortSet) IsEmpty() bool {
	if s.all || s.other {
		return false
	}
	for _, sp := range s.spans {
		if len(sp) > 0 {
			return false
		}
	}
	return true
}

// Contains reports whether port (a number, not a name) is in the set.
func (s PortSet) Contains(proto Protocol, port uint16) bool {
	if s.all {
		return true
	}
	if proto >= numProtocols {
		return false
	}
	sp := s.spans[proto]
	i := sort.Search(len(sp), func(i int) bool { return sp[i].hi >= port })
	return i < len(sp) && sp[i].lo <= port
}

// Union returns s ∪ t.
func (s PortSet) Union(t PortSet) PortSet {
	if s.all || t.all {
		return AllPorts
	}
	var out PortSet
	for p := range s.spans {
		out.spans[p] = mergeSpans(append(append([]span(nil), s.spans[p]...), t.spans[p]...))
	}
	out.other = s.other || t.other
	return out.canonical()
}

// fullSpan is every port of a protocol (0 is not a port connections can use).
var fullSpan = []span{{1, 65535}}

// expanded writes "all" as its parts: every port of each protocol and other traffic.
func (s PortSet) expanded() PortSet {
	if !s.all {
		return s
	}
	out := PortSet{other: true}
	for p := range out.spans {
		out.spans[p] = fullSpan
	}
	return out
}

// canonical turns a set that holds every part of "all" into AllPorts.
func (s PortSet) canonical() PortSet {
	if s.all || !s.other {
		return s
	}
	for _, sp := range s.spans {
		if len(sp) != 1 || sp[0] != fullSpan[0] {
			return s
		}
	}
	return AllPorts
}

// Subtract returns s \ t.
func (s PortSet) Subtract(t PortSet) PortSet {
	if t.all {
		return NoPorts
	}
	if t.IsEmpty() {
		return s
	}
	a := s.expanded()
	var out PortSet
	out.other = a.other && !t.other
	for p := range a.spans {
		var r []span
		for _, x := range a.spans[p] {
			lo := uint32(x.lo)
			for _, y := range t.spans[p] {
				if uint32(y.hi) < lo || y.lo > x.hi {
					continue
				}
				if uint32(y.lo) > lo {
					r = append(r, span{uint16(lo), y.lo - 1})
				}
				lo = uint32(y.hi) + 1
			}
			if lo <= uint32(x.hi) {
				r = append(r, span{uint16(lo), x.hi})
			}
		}
		out.spans[p] = r
	}
	return out.canonical()
}

// HasOther reports whether the set holds traffic without ports (ICMP and other protocols):
// always for AllPorts, and for what remains of it after a cluster network policy rule
// decided some ports.
func (s PortSet) HasOther() bool { return s.all || s.other }

// Intersect returns s ∩ t.
func (s PortSet) Intersect(t PortSet) PortSet {
	if s.all {
		return t
	}
	if t.all {
		return s
	}
	var out PortSet
	out.other = s.other && t.other
	for p := range s.spans {
		a, b := s.spans[p], t.spans[p]
		var r []span
		for i, j := 0, 0; i < len(a) && j < len(b); {
			lo, hi := max(a[i].lo, b[j].lo), min(a[i].hi, b[j].hi)
			if lo <= hi {
				r = append(r, span{lo, hi})
			}
			if a[i].hi < b[j].hi {
				i++
			} else {
				j++
			}
		}
		out.spans[p] = r
	}
	return out
}

// Equal reports whether s and t hold the same ports.
func (s PortSet) Equal(t PortSet) bool { return s.key() == t.key() }

// PortRange is a contiguous range of ports of one protocol.
type PortRange struct {
	Protocol Protocol
	From, To uint16
}

func (r PortRange) String() string {
	if r.From == r.To {
		return strconv.Itoa(int(r.From)) + "/" + r.Protocol.String()
	}
	return strconv.Itoa(int(r.From)) + "-" + strconv.Itoa(int(r.To)) + "/" + r.Protocol.String()
}

// Ranges lists the set's ranges by protocol, then port. It is empty for the "all" set.
func (s PortSet) Ranges() []PortRange {
	var out []PortRange
	for p, sp := range s.spans {
		for _, r := range sp {
			out = append(out, PortRange{Protocol(p), r.lo, r.hi})
		}
	}
	return out
}

// String renders the set: "all", "none", or ranges such as "80/TCP, 8000-8080/TCP, 53/UDP".
func (s PortSet) String() string {
	if s.all {
		return "all"
	}
	rs := s.Ranges()
	if len(rs) == 0 && !s.other {
		return "none"
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.String()
	}
	if s.other {
		parts = append(parts, "other protocols")
	}
	return strings.Join(parts, ", ")
}

// key is a canonical encoding, for interning.
func (s PortSet) key() string {
	if s.all {
		return "*"
	}
	var b []byte
	if s.other {
		b = append(b, 'o')
	}
	for p, sp := range s.spans {
		b = append(b, byte(p), byte(len(sp)>>8), byte(len(sp)))
		for _, r := range sp {
			b = append(b, byte(r.lo>>8), byte(r.lo), byte(r.hi>>8), byte(r.hi))
		}
	}
	return string(b)
}

// PortsOf is the set of the given ranges.
func PortsOf(rs ...PortRange) PortSet {
	var s PortSet
	for _, r := range rs {
		if r.Protocol < numProtocols && r.From <= r.To {
			s = s.Union(portRange(r.Protocol, r.From, r.To))
		}
	}
	return s
}

func portRange(proto Protocol, lo, hi uint16) PortSet {
	var s PortSet
	s.spans[proto] = []span{{lo, hi}}
	return s
}

// mergeSpans sorts and coalesces overlapping and adjacent spans.
func mergeSpans(sp []span) []span {
	if len(sp) < 2 {
		return sp
	}
	sort.Slice(sp, func(i, j int) bool { return sp[i].lo < sp[j].lo })
	out := sp[:1]
	for _, r := range sp[1:] {
		last := &out[len(out)-1]
		if uint32(r.lo) <= uint32(last.hi)+1 {
			last.hi = max(last.hi, r.hi)
			continue
		}
		out = append(out, r)
	}
	return out
}

// NamedPort is a named container port of a pod, which policies may refer to by name.
type NamedPort struct {
	Name     string
	Protocol Protocol
	Port     uint16
}

// portSpec is the ports of one rule before named ports are resolved against a destination.
type portSpec struct {
	all     bool
	numeric PortSet
	named   []namedRef
}

type namedRef struct {
	name  string
	proto Protocol
	// anyProto: a cluster network policy's named port, which matches by name alone.
	anyProto bool
}

// resolve is the rule's port set towards a destination with the given named ports. Named
// ports match a container port of the same name and protocol, as kube-proxy and the network
// plugins resolve them; towards an address outside the cluster (dst nil) they match nothing.
func (ps *portSpec) resolve(dst []NamedPort) PortSet {
	if ps.all {
		return AllPorts
	}
	if len(ps.named) == 0 {
		return ps.numeric
	}
	out := ps.numeric
	for _, ref := range ps.named {
		for _, np := range dst {
			if np.Name == ref.name && (ref.anyProto || np.Protocol == ref.proto) {
				out = out.Union(portRange(np.Protocol, np.Port, np.Port))
			}
		}
	}
	return out
}

// matches reports whether the rule's ports admit port towards a destination with dst's named
// ports. A named query port matches a rule that names the same port, or whose numbers cover
// the number that name resolves to.
func (ps *portSpec) matches(p Port, dst []NamedPort) bool {
	if ps.all {
		return true
	}
	if p.Name != "" {
		for _, np := range dst {
			if np.Name == p.Name && np.Protocol == p.Protocol && ps.resolve(dst).Contains(np.Protocol, np.Port) {
				return true
			}
		}
		return false
	}
	return ps.resolve(dst).Contains(p.Protocol, p.Number)
}

// portTable interns port sets so that matrix cells are small integers, and memoises unions
// and intersections, which repeat a great deal.
type portTable struct {
	sets  []PortSet
	ids   map[string]uint32
	union map[uint64]uint32
	inter map[uint64]uint32
}

// Interned ids of the empty set and of everything.
const (
	idNone uint32 = 0
	idAll  uint32 = 1
)

func newPortTable() *portTable {
	t := &portTable{ids: map[string]uint32{}, union: map[uint64]uint32{}, inter: map[uint64]uint32{}}
	t.id(NoPorts)
	t.id(AllPorts)
	return t
}

func (t *portTable) id(s PortSet) uint32 {
	k := s.key()
	if id, ok := t.ids[k]; ok {
		return id
	}
	id := uint32(len(t.sets))
	t.sets = append(t.sets, s)
	t.ids[k] = id
	return id
}

func pairKey(a, b uint32) uint64 {
	if a > b {
		a, b = b, a
	}
	return uint64(a)<<32 | uint64(b)
}

func (t *portTable) unionID(a, b uint32) uint32 {
	switch {
	case a == b || b == idNone:
		return a
	case a == idNone:
		return b
	case a == idAll || b == idAll:
		return idAll
	}
	k := pairKey(a, b)
	if id, ok := t.union[k]; ok {
		return id
	}
	id := t.id(t.sets[a].Union(t.sets[b]))
	t.union[k] = id
	return id
}

func (t *portTable) interID(a, b uint32) uint32 {
	switch {
	case a == b || b == idAll:
		return a
	case a == idAll:
		return b
	case a == idNone || b == idNone:
		return idNone
	}
	k := pairKey(a, b)
	if id, ok := t.inter[k]; ok {
		return id
	}
	id := t.id(t.sets[a].Intersect(t.sets[b]))
	t.inter[k] = id
	return id
}
