package netpol

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
)

// Endpoint is one end of a connection: the pods of a workload or class, a pod that is not in
// the inventory (a probe), or addresses outside the cluster.
type Endpoint struct {
	// Name is how the endpoint is shown: "shop/web", "internet", "10.0.0.0/8".
	Name     string
	Workload *Workload
	Class    *Class
	Probe    *Probe
	// Addrs, when set, are addresses outside the cluster. Pods never match ipBlock peers
	// (pod IPs are not known from manifests); only these addresses do.
	Addrs *IPSet
}

// Probe is a hypothetical pod: a pod that could be created, in a namespace that may not
// exist yet. Checks use probes to ask "could any pod elsewhere reach this?".
type Probe struct {
	Namespace       string
	NamespaceLabels labels.Set
	Labels          labels.Set
}

// WorkloadEndpoint is the pods of w.
func WorkloadEndpoint(w *Workload) Endpoint {
	return Endpoint{Name: w.ID(), Workload: w, Class: w.class}
}

// ClassEndpoint is the pods of class c.
func ClassEndpoint(c *Class) Endpoint { return Endpoint{Name: c.Name(), Class: c} }

// AddrEndpoint is a set of addresses outside the cluster.
func AddrEndpoint(name string, s IPSet) Endpoint { return Endpoint{Name: name, Addrs: &s} }

// InternetEndpoint is the public address space.
func InternetEndpoint() Endpoint { return AddrEndpoint("internet", Internet) }

// IsExternal reports whether the endpoint is addresses outside the cluster.
func (ep Endpoint) IsExternal() bool { return ep.Addrs != nil }

// Verdict is the answer to "may from reach to (on port)?", with the policies and rules that
// decide it.
type Verdict struct {
	From, To Endpoint
	// Port is the port asked about; nil asks about any traffic.
	Port *Port
	// Allowed: the traffic is allowed (with no port: some traffic is). For an endpoint that
	// is a range of addresses, it is allowed for every address of the range.
	Allowed bool
	// Partial: for a range of addresses, allowed for some addresses but not all.
	Partial bool
	// Ports is what is allowed (for every address of a range); SomePorts what is allowed for
	// at least one address. They differ only for ranges.
	Ports, SomePorts PortSet
	// Egress is the source's side, Ingress the destination's.
	Egress, Ingress Side
}

// Side is how one direction's policies judge the traffic.
type Side struct {
	Direction Direction
	// Governed is false when this end is outside the cluster, where no policy applies.
	Governed bool
	// Isolated: some policy selects the pod for this direction; only what a rule of those
	// policies allows may pass. Not isolated means everything passes.
	Isolated bool
	// Allowed: this side lets the traffic through.
	Allowed bool
	// Ports the side allows towards the destination.
	Ports PortSet
	// Policies are the policies that isolate the pod in this direction, each with the rules
	// that allow the traffic (none when the policy only isolates).
	Policies []PolicyVerdict
	// Cluster are the cluster network policy rules that decided ports of the traffic, in
	// evaluation order (Admin tier, then Baseline tier).
	Cluster []ClusterDecision
}

// PolicyVerdict is a policy that takes part in a decision and its rules that allow it.
type PolicyVerdict struct {
	Policy *Policy
	Rules  []*Rule
}

// end is an endpoint reduced to one thing policies can judge: a class, a probe pod, or one
// external address.
type end struct {
	class *Class
	probe *Probe
	addr  netip.Addr
}

func (x end) external() bool { return x.class == nil && x.probe == nil }

func (e *Engine) policiesOf(x end, d Direction) []*Policy {
	switch {
	case x.class != nil:
		return x.class.policies[d]
	case x.probe != nil:
		var out []*Policy
		for _, p := range e.polByNS[x.probe.Namespace] {
			if p.Valid() && p.Types[d] && (p.selectsAll || p.selector.Matches(x.probe.Labels)) {
				out = append(out, p)
			}
		}
		return out
	}
	return nil
}

func (e *Engine) nsLabels(p *Probe) labels.Set {
	if p.NamespaceLabels != nil {
		return p.NamespaceLabels
	}
	if ns := e.nsByName[p.Namespace]; ns != nil {
		return ns.Labels
	}
	return labels.Set{NamespaceNameLabel: p.Namespace}
}

// ruleMatches reports whether rule r's peers include x.
func (e *Engine) ruleMatches(r *Rule, x end) bool {
	if r.AllPeers {
		return true
	}
	switch {
	case x.class != nil:
		return r.pods.has(x.class.Index)
	case x.probe != nil:
		nl := e.nsLabels(x.probe)
		for _, pe := range r.Peers {
			if pe.MatchesPod(x.probe.Namespace, nl, x.probe.Labels) {
				return true
			}
		}
		return false
	}
	return r.ips.Contains(x.addr)
}

func namedPortsOf(x end) []NamedPort {
	if x.class != nil {
		return x.class.Ports
	}
	return nil
}

// side evaluates direction d for subject (the pod whose policies apply) against peer. dst is
// the destination, whose named ports resolve port names. Cluster network policies decide
// around NetworkPolicies: the Admin tier first, then NetworkPolicies for what it passed or
// left, then the Baseline tier for what no NetworkPolicy isolates.
func (e *Engine) side(d Direction, subject, peer, dst end, port *Port) Side {
	s := Side{Direction: d, Governed: !subject.external(), Ports: AllPorts}
	if !s.Governed {
		s.Allowed = true
		return s
	}
	named := namedPortsOf(dst)
	ports := AllPorts // what is still to be decided, and then what is allowed
	allowed := NoPorts
	admin := e.evalTier(e.clusterRulesOf(subject, AdminTier, d), peer, named, AllPorts)
	if len(admin.decisions) > 0 {
		s.Cluster = append(s.Cluster, admin.decisions...)
		allowed = admin.accepted
		ports = admin.passed.Union(admin.undecided)
	}
	pols := e.policiesOf(subject, d)
	if len(pols) == 0 {
		base := e.evalTier(e.clusterRulesOf(subject, BaselineTier, d), peer, named, ports)
		s.Cluster = append(s.Cluster, base.decisions...)
		s.Ports = allowed.Union(base.accepted).Union(base.undecided)
		s.Isolated = len(s.Cluster) > 0
		s.Allowed = e.portAllowed(s.Ports, port, named)
		return s
	}
	s.Isolated = true
	npPorts := NoPorts
	for _, p := range pols {
		pv := PolicyVerdict{Policy: p}
		for _, r := range p.Rules[d] {
			if !e.ruleMatches(r, peer) {
				continue
			}
			rp := r.ports.resolve(named)
			npPorts = npPorts.Union(rp)
			if rp.IsEmpty() || (port != nil && !r.ports.matches(*port, named)) {
				continue
			}
			pv.Rules = append(pv.Rules, r)
		}
		s.Policies = append(s.Policies, pv)
	}
	s.Ports = allowed.Union(npPorts.Intersect(ports))
	s.Allowed = e.portAllowed(s.Ports, port, named)
	return s
}

// portAllowed reports whether ps allows port (nil: any traffic).
func (e *Engine) portAllowed(ps PortSet, port *Port, named []NamedPort) bool {
	if port == nil {
		return !ps.IsEmpty()
	}
	if port.Name != "" {
		for _, np := range named {
			if np.Name == port.Name && np.Protocol == port.Protocol && ps.Contains(np.Protocol, np.Port) {
				return true
			}
		}
		return false
	}
	return ps.Contains(port.Protocol, port.Number)
}

func endOf(ep Endpoint) end {
	switch {
	case ep.Class != nil:
		return end{class: ep.Class}
	case ep.Workload != nil:
		return end{class: ep.Workload.class}
	case ep.Probe != nil:
		return end{probe: ep.Probe}
	}
	return end{}
}

// Reach decides whether from may open connections to to, on port (nil: on any port), and
// says which policies and rules decide it. Both the source's egress and the destination's
// ingress must allow the traffic; a side no policy isolates allows everything.
func (e *Engine) Reach(from, to Endpoint, port *Port) (*Verdict, error) {
	if from.IsExternal() && to.IsExternal() {
		return nil, errors.New("at least one end must be in the cluster: NetworkPolicy does not govern traffic between outside addresses")
	}
	if (from.IsExternal() && from.Addrs.IsEmpty()) || (to.IsExternal() && to.Addrs.IsEmpty()) {
		return nil, errors.New("empty address range")
	}
	for _, ep := range []Endpoint{from, to} {
		switch {
		case ep.Workload != nil && ep.Workload.class == nil:
			return nil, fmt.Errorf("%s uses hostNetwork: no NetworkPolicy applies to it", ep.Workload.ID())
		case ep.Class == nil && ep.Workload == nil && ep.Probe == nil && ep.Addrs == nil:
			return nil, errors.New("empty endpoint")
		}
	}
	if port != nil && port.Name != "" {
		if to.IsExternal() {
			return nil, fmt.Errorf("port %s: named ports exist only on pods", port)
		}
		found := false
		for _, np := range namedPortsOf(endOf(to)) {
			found = found || (np.Name == port.Name && np.Protocol == port.Protocol)
		}
		if !found {
			return nil, fmt.Errorf("port %s: %s has no container port of that name and protocol", port, to.Name)
		}
	}
	v := &Verdict{From: from, To: to, Port: port}
	if !from.IsExternal() && !to.IsExternal() {
		src, dst := endOf(from), endOf(to)
		v.Egress = e.side(Egress, src, dst, dst, port)
		v.Ingress = e.side(Ingress, dst, src, dst, port)
		v.Ports = v.Egress.Ports.Intersect(v.Ingress.Ports)
		v.SomePorts = v.Ports
		v.Allowed = v.Egress.Allowed && v.Ingress.Allowed
		if port == nil {
			v.Allowed = !v.Ports.IsEmpty()
		}
		return v, nil
	}
	// One end is a range of outside addresses. Split it where some rule's ipBlocks begin or
	// end: within a piece every address is treated alike, so one address speaks for it.
	var pod end
	var addrs IPSet
	d := Ingress
	if to.IsExternal() {
		pod, addrs, d = endOf(from), *to.Addrs, Egress
	} else {
		pod, addrs = endOf(to), *from.Addrs
	}
	points := e.clusterBoundaries(pod, d, addrs.boundaries(nil))
	for _, p := range e.policiesOf(pod, d) {
		for _, r := range p.Rules[d] {
			points = r.ips.boundaries(points)
		}
	}
	first, all, some := true, true, false
	for _, piece := range addrs.pieces(points) {
		ext := end{addr: piece.lo}
		var s Side
		if d == Ingress {
			s = e.side(Ingress, pod, ext, pod, port)
		} else {
			s = e.side(Egress, pod, ext, ext, port)
		}
		ok := s.Allowed
		all, some = all && ok, some || ok
		if first {
			v.Ports, v.SomePorts, first = s.Ports, s.Ports, false
			setSide(v, d, s)
			continue
		}
		v.Ports, v.SomePorts = v.Ports.Intersect(s.Ports), v.SomePorts.Union(s.Ports)
		mergeSide(sideOf(v, d), s)
	}
	other := Side{Direction: Egress, Ports: AllPorts, Allowed: true}
	if d == Egress {
		other.Direction = Ingress
	}
	setSide(v, other.Direction, other)
	sideOf(v, d).Allowed = all
	v.Allowed, v.Partial = all, some && !all
	return v, nil
}

func sideOf(v *Verdict, d Direction) *Side {
	if d == Egress {
		return &v.Egress
	}
	return &v.Ingress
}

func setSide(v *Verdict, d Direction, s Side) { *sideOf(v, d) = s }

// mergeSide adds the rules that allow the traffic for another piece of an address range.
func mergeSide(into *Side, s Side) {
	into.Ports = into.Ports.Intersect(s.Ports)
	for i := range into.Policies {
		have := map[*Rule]bool{}
		for _, r := range into.Policies[i].Rules {
			have[r] = true
		}
		for _, r := range s.Policies[i].Rules {
			if !have[r] {
				into.Policies[i].Rules = append(into.Policies[i].Rules, r)
			}
		}
	}
}

// Explain says in a sentence why the side lets the traffic through or not.
func (s Side) Explain(subject string) string {
	if len(s.Cluster) == 0 {
		return s.explainNP(subject)
	}
	var parts []string
	for _, cd := range s.Cluster {
		what := [...]string{Accept: "accepts", Deny: "denies", Pass: "passes to NetworkPolicies"}[cd.Rule.Action]
		on := ""
		if !cd.Ports.IsAll() {
			on = " on " + cd.Ports.String()
		}
		parts = append(parts, fmt.Sprintf("%s %s%s", cd.Rule, what, on))
	}
	out := strings.Join(parts, "; ")
	if len(s.Policies) > 0 || !s.Isolated {
		out += "; then " + s.explainNP(subject)
	}
	if s.Allowed {
		return out + " (allowed: " + s.Ports.String() + ")"
	}
	return out + " (denied)"
}

func (s Side) explainNP(subject string) string {
	dir := strings.ToLower(s.Direction.String())
	switch {
	case !s.Governed:
		return "no policy governs " + dir + " of addresses outside the cluster"
	case !s.Isolated:
		return fmt.Sprintf("no policy selects %s for %s, so all %s is allowed", subject, dir, dir)
	}
	var allow, only []string
	for _, pv := range s.Policies {
		if len(pv.Rules) == 0 {
			only = append(only, pv.Policy.ID())
			continue
		}
		for _, r := range pv.Rules {
			allow = append(allow, pv.Policy.ID()+" "+r.Path())
		}
	}
	if s.Allowed {
		return "allowed by " + strings.Join(allow, ", ")
	}
	if len(allow) > 0 {
		return fmt.Sprintf("allowed only for part of the range, by %s", strings.Join(allow, ", "))
	}
	if !s.Ports.IsEmpty() {
		return fmt.Sprintf("%s is isolated for %s by %s; its rules allow this peer only on %s", subject, dir, strings.Join(only, ", "), s.Ports)
	}
	return fmt.Sprintf("%s is isolated for %s by %s and no rule allows it", subject, dir, strings.Join(only, ", "))
}
