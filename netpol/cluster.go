package netpol

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	anpv1alpha1 "sigs.k8s.io/network-policy-api/apis/v1alpha1"
	cnpv1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
	cnpv1beta1 "sigs.k8s.io/network-policy-api/apis/v1beta1"

	"github.com/kubeharden/kubeharden/inventory"
)

// Cluster network policies (sigs.k8s.io/network-policy-api) are decided around
// NetworkPolicies, for each direction of a connection:
//
//  1. the Admin tier (AdminNetworkPolicy, ClusterNetworkPolicy tier Admin): the rules of the
//     policies that select the pod, by priority (lowest first), each policy's rules in order;
//     the first rule whose peers and ports match decides: Accept (Allow) and Deny are final,
//     Pass hands the traffic to the next layer;
//  2. NetworkPolicies, as always: if any selects the pod for the direction, they decide;
//  3. the Baseline tier (BaselineAdminNetworkPolicy, ClusterNetworkPolicy tier Baseline),
//     first matching rule as in the Admin tier;
//  4. nothing decided: allowed.
//
// Decisions are made per port: a rule decides the ports it names and leaves the others to
// the rules after it.

// Tier is the layer a cluster network policy belongs to.
type Tier uint8

// The two tiers.
const (
	AdminTier Tier = iota
	BaselineTier
)

func (t Tier) String() string {
	if t == AdminTier {
		return "Admin"
	}
	return "Baseline"
}

// Action is what a cluster network policy rule does with the traffic it matches.
type Action uint8

// The actions. AdminNetworkPolicy's Allow is Accept.
const (
	Accept Action = iota
	Deny
	Pass
)

func (a Action) String() string { return [...]string{"Accept", "Deny", "Pass"}[a] }

// ClusterPolicy is a compiled AdminNetworkPolicy, BaselineAdminNetworkPolicy or
// ClusterNetworkPolicy.
type ClusterPolicy struct {
	Kind, APIVersion, Name string
	Tier                   Tier
	Priority               int32
	Object                 *inventory.Object
	Rules                  [2][]*ClusterRule
	// Problems make the policy invalid (it is then left out).
	Problems []Problem
	// Unevaluated lists peers the engine cannot judge (nodes, domain names): they match
	// nothing here.
	Unevaluated []string

	subjectNS, subjectPodNS, subjectPod labels.Selector
	selected                            []int
	index                               int
}

// ID is "Kind/name".
func (p *ClusterPolicy) ID() string { return p.Kind + "/" + p.Name }

// Valid reports whether the policy could be read.
func (p *ClusterPolicy) Valid() bool { return len(p.Problems) == 0 }

// Selected returns the classes the policy's subject selects.
func (p *ClusterPolicy) Selected(e *Engine) []*Class {
	out := make([]*Class, len(p.selected))
	for i, ci := range p.selected {
		out[i] = e.classes[ci]
	}
	return out
}

// selects reports whether the subject selects a pod with labels l in a namespace with
// labels nl.
func (p *ClusterPolicy) selects(nl, l labels.Set) bool {
	if p.subjectNS != nil {
		return p.subjectNS.Matches(nl)
	}
	return p.subjectPodNS != nil && p.subjectPodNS.Matches(nl) && p.subjectPod.Matches(l)
}

// ClusterRule is one rule of a cluster network policy.
type ClusterRule struct {
	Policy    *ClusterPolicy
	Direction Direction
	Index     int
	Name      string
	Action    Action
	// AllPorts: the rule names no ports (or protocols) and matches all traffic.
	AllPorts bool

	ports    portSpec
	peers    []clusterPeer
	networks IPSet
	pods     *classSet
}

type clusterPeer struct {
	ns, pod labels.Selector // pod nil: every pod of the namespaces
}

// Path is "spec.ingress[2]".
func (r *ClusterRule) Path() string {
	return fmt.Sprintf("spec.%s[%d]", strings.ToLower(r.Direction.String()), r.Index)
}

// String is "AdminNetworkPolicy/x spec.ingress[0] (deny-slytherin)".
func (r *ClusterRule) String() string {
	s := r.Policy.ID() + " " + r.Path()
	if r.Name != "" {
		s += " (" + r.Name + ")"
	}
	return s
}

func (r *ClusterRule) matchesPod(nl, l labels.Set) bool {
	for _, pe := range r.peers {
		if pe.ns.Matches(nl) && (pe.pod == nil || pe.pod.Matches(l)) {
			return true
		}
	}
	return false
}

// Cluster network policy kinds and their API group.
const (
	ANPKind  = "AdminNetworkPolicy"
	BANPKind = "BaselineAdminNetworkPolicy"
	CNPKind  = "ClusterNetworkPolicy"
	// PolicyGroup is the API group of the three kinds.
	PolicyGroup = "policy.networking.k8s.io"
)

// IsClusterPolicy reports whether apiVersion and kind name a cluster network policy the
// engine evaluates.
func IsClusterPolicy(apiVersion, kind string) bool {
	switch apiVersion + " " + kind {
	case PolicyGroup + "/v1alpha1 " + ANPKind, PolicyGroup + "/v1alpha1 " + BANPKind,
		PolicyGroup + "/v1alpha2 " + CNPKind, PolicyGroup + "/v1beta1 " + CNPKind:
		return true
	}
	return false
}

// ClusterPolicyFrom compiles an inventory object that IsClusterPolicy accepts.
func ClusterPolicyFrom(o *inventory.Object) *ClusterPolicy {
	p := &ClusterPolicy{Kind: o.Kind, APIVersion: o.APIVersion, Name: o.Name, Object: o}
	u, ok := o.Unstructured()
	if !ok {
		p.Problems = append(p.Problems, Problem{"", "not readable as " + o.Kind})
		return p
	}
	conv := func(out any) bool {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, out, true); err != nil {
			p.Problems = append(p.Problems, Problem{"", err.Error()})
			return false
		}
		return true
	}
	switch {
	case o.Kind == ANPKind:
		var x anpv1alpha1.AdminNetworkPolicy
		if conv(&x) {
			compileANP(p, AdminTier, x.Spec.Priority, x.Spec.Subject, x.Spec.Ingress, x.Spec.Egress)
		}
	case o.Kind == BANPKind:
		var x anpv1alpha1.BaselineAdminNetworkPolicy
		if conv(&x) {
			in := make([]anpv1alpha1.AdminNetworkPolicyIngressRule, len(x.Spec.Ingress))
			for i, r := range x.Spec.Ingress {
				in[i] = anpv1alpha1.AdminNetworkPolicyIngressRule{Name: r.Name, Action: anpv1alpha1.AdminNetworkPolicyRuleAction(r.Action), From: r.From, Ports: r.Ports}
			}
			eg := make([]anpv1alpha1.AdminNetworkPolicyEgressRule, len(x.Spec.Egress))
			for i, r := range x.Spec.Egress {
				var to []anpv1alpha1.AdminNetworkPolicyEgressPeer
				for _, pe := range r.To {
					to = append(to, anpv1alpha1.AdminNetworkPolicyEgressPeer{Namespaces: pe.Namespaces, Pods: pe.Pods, Nodes: pe.Nodes, Networks: pe.Networks})
				}
				eg[i] = anpv1alpha1.AdminNetworkPolicyEgressRule{Name: r.Name, Action: anpv1alpha1.AdminNetworkPolicyRuleAction(r.Action), To: to, Ports: r.Ports}
			}
			compileANP(p, BaselineTier, 0, x.Spec.Subject, in, eg)
		}
	case o.APIVersion == PolicyGroup+"/v1alpha2":
		var x cnpv1alpha2.ClusterNetworkPolicy
		if conv(&x) {
			// v1alpha2 and v1beta1 have the same fields; read one through the other.
			var y cnpv1beta1.ClusterNetworkPolicy
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &y); err == nil {
				compileCNP(p, &y.Spec)
			}
		}
	default:
		var x cnpv1beta1.ClusterNetworkPolicy
		if conv(&x) {
			compileCNP(p, &x.Spec)
		}
	}
	if len(p.Problems) > 0 {
		p.Rules = [2][]*ClusterRule{}
	}
	return p
}

func (p *ClusterPolicy) selector(path string, s *metav1.LabelSelector) labels.Selector {
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		p.Problems = append(p.Problems, Problem{path, err.Error()})
		return labels.Nothing()
	}
	return sel
}

func (p *ClusterPolicy) subject(ns *metav1.LabelSelector, pods *cnpv1beta1.NamespacedPod) {
	switch {
	case ns != nil && pods == nil:
		p.subjectNS = p.selector("spec.subject.namespaces", ns)
	case pods != nil && ns == nil:
		p.subjectPodNS = p.selector("spec.subject.pods.namespaceSelector", &pods.NamespaceSelector)
		p.subjectPod = p.selector("spec.subject.pods.podSelector", &pods.PodSelector)
	default:
		p.Problems = append(p.Problems, Problem{"spec.subject", "exactly one of namespaces and pods must be set"})
	}
}

func (p *ClusterPolicy) peer(path string, ns *metav1.LabelSelector, pods *cnpv1beta1.NamespacedPod) (clusterPeer, bool) {
	switch {
	case ns != nil:
		return clusterPeer{ns: p.selector(path+".namespaces", ns)}, true
	case pods != nil:
		return clusterPeer{ns: p.selector(path+".pods.namespaceSelector", &pods.NamespaceSelector), pod: p.selector(path+".pods.podSelector", &pods.PodSelector)}, true
	}
	return clusterPeer{}, false
}

func (p *ClusterPolicy) networks(path string, cidrs []string) IPSet {
	var s IPSet
	for i, c := range cidrs {
		pf, err := ParseCIDR(c)
		if err != nil {
			p.Problems = append(p.Problems, Problem{fmt.Sprintf("%s.networks[%d]", path, i), err.Error()})
			continue
		}
		s = s.Union(PrefixSet(pf))
	}
	return s
}

func anpAction(a anpv1alpha1.AdminNetworkPolicyRuleAction) (Action, bool) {
	switch a {
	case anpv1alpha1.AdminNetworkPolicyRuleActionAllow:
		return Accept, true
	case anpv1alpha1.AdminNetworkPolicyRuleActionDeny:
		return Deny, true
	case anpv1alpha1.AdminNetworkPolicyRuleActionPass:
		return Pass, true
	}
	return 0, false
}

func nsp(p *anpv1alpha1.NamespacedPod) *cnpv1beta1.NamespacedPod {
	if p == nil {
		return nil
	}
	return &cnpv1beta1.NamespacedPod{NamespaceSelector: p.NamespaceSelector, PodSelector: p.PodSelector}
}

func compileANP(p *ClusterPolicy, tier Tier, prio int32, subj anpv1alpha1.AdminNetworkPolicySubject,
	in []anpv1alpha1.AdminNetworkPolicyIngressRule, eg []anpv1alpha1.AdminNetworkPolicyEgressRule) {
	p.Tier, p.Priority = tier, prio
	p.subject(subj.Namespaces, nsp(subj.Pods))
	rule := func(d Direction, i int, name string, a anpv1alpha1.AdminNetworkPolicyRuleAction, ports *[]anpv1alpha1.AdminNetworkPolicyPort) *ClusterRule {
		r := &ClusterRule{Policy: p, Direction: d, Index: i, Name: name}
		act, ok := anpAction(a)
		if !ok || (tier == BaselineTier && act == Pass) {
			p.Problems = append(p.Problems, Problem{r.Path() + ".action", fmt.Sprintf("unsupported action %q", a)})
		}
		r.Action = act
		r.AllPorts = ports == nil
		r.ports.all = r.AllPorts
		if ports != nil {
			for j, pp := range *ports {
				switch {
				case pp.PortNumber != nil:
					proto, ok := ParseProtocol(string(pp.PortNumber.Protocol))
					if !ok {
						p.Problems = append(p.Problems, Problem{fmt.Sprintf("%s.ports[%d].portNumber.protocol", r.Path(), j), "unsupported protocol"})
					}
					r.ports.numeric = r.ports.numeric.Union(portRange(proto, uint16(pp.PortNumber.Port), uint16(pp.PortNumber.Port)))
				case pp.PortRange != nil:
					proto := TCP
					if pp.PortRange.Protocol != "" {
						proto, _ = ParseProtocol(string(pp.PortRange.Protocol))
					}
					if pp.PortRange.Start <= pp.PortRange.End {
						r.ports.numeric = r.ports.numeric.Union(portRange(proto, uint16(pp.PortRange.Start), uint16(pp.PortRange.End)))
					}
				case pp.NamedPort != nil:
					r.ports.named = append(r.ports.named, namedRef{name: *pp.NamedPort, anyProto: true})
				}
			}
		}
		return r
	}
	for i := range in {
		r := rule(Ingress, i, in[i].Name, in[i].Action, in[i].Ports)
		for j, pe := range in[i].From {
			if cp, ok := p.peer(fmt.Sprintf("%s.from[%d]", r.Path(), j), pe.Namespaces, nsp(pe.Pods)); ok {
				r.peers = append(r.peers, cp)
			}
		}
		p.Rules[Ingress] = append(p.Rules[Ingress], r)
	}
	for i := range eg {
		r := rule(Egress, i, eg[i].Name, eg[i].Action, eg[i].Ports)
		for j, pe := range eg[i].To {
			egressPeer(r, j, pe.Namespaces, nsp(pe.Pods), pe.Networks, pe.Nodes != nil, len(pe.DomainNames) > 0)
		}
		p.Rules[Egress] = append(p.Rules[Egress], r)
	}
}

func compileCNP(p *ClusterPolicy, spec *cnpv1beta1.ClusterNetworkPolicySpec) {
	switch spec.Tier {
	case cnpv1beta1.AdminTier:
		p.Tier = AdminTier
	case cnpv1beta1.BaselineTier:
		p.Tier = BaselineTier
	default:
		p.Problems = append(p.Problems, Problem{"spec.tier", fmt.Sprintf("unsupported tier %q", spec.Tier)})
	}
	p.Priority = spec.Priority
	p.subject(spec.Subject.Namespaces, spec.Subject.Pods)
	rule := func(d Direction, i int, name string, a cnpv1beta1.ClusterNetworkPolicyRuleAction, protos []cnpv1beta1.ClusterNetworkPolicyProtocol) *ClusterRule {
		r := &ClusterRule{Policy: p, Direction: d, Index: i, Name: name}
		switch a {
		case cnpv1beta1.ClusterNetworkPolicyRuleActionAccept:
			r.Action = Accept
		case cnpv1beta1.ClusterNetworkPolicyRuleActionDeny:
			r.Action = Deny
		case cnpv1beta1.ClusterNetworkPolicyRuleActionPass:
			r.Action = Pass
		default:
			p.Problems = append(p.Problems, Problem{r.Path() + ".action", fmt.Sprintf("unsupported action %q", a)})
		}
		r.AllPorts = len(protos) == 0
		r.ports.all = r.AllPorts
		for _, pr := range protos {
			add := func(proto Protocol, dp *cnpv1beta1.Port) {
				switch {
				case dp == nil:
					r.ports.numeric = r.ports.numeric.Union(portRange(proto, 1, 65535))
				case dp.Range != nil:
					if dp.Range.Start <= dp.Range.End {
						r.ports.numeric = r.ports.numeric.Union(portRange(proto, uint16(dp.Range.Start), uint16(dp.Range.End)))
					}
				default:
					r.ports.numeric = r.ports.numeric.Union(portRange(proto, uint16(dp.Number), uint16(dp.Number)))
				}
			}
			switch {
			case pr.TCP != nil:
				add(TCP, pr.TCP.DestinationPort)
			case pr.UDP != nil:
				add(UDP, pr.UDP.DestinationPort)
			case pr.SCTP != nil:
				add(SCTP, pr.SCTP.DestinationPort)
			case pr.DestinationNamedPort != "":
				r.ports.named = append(r.ports.named, namedRef{name: pr.DestinationNamedPort, anyProto: true})
			}
		}
		return r
	}
	for i := range spec.Ingress {
		in := &spec.Ingress[i]
		r := rule(Ingress, i, in.Name, in.Action, in.Protocols)
		for j, pe := range in.From {
			if cp, ok := p.peer(fmt.Sprintf("%s.from[%d]", r.Path(), j), pe.Namespaces, pe.Pods); ok {
				r.peers = append(r.peers, cp)
			}
		}
		p.Rules[Ingress] = append(p.Rules[Ingress], r)
	}
	for i := range spec.Egress {
		eg := &spec.Egress[i]
		r := rule(Egress, i, eg.Name, eg.Action, eg.Protocols)
		for j, pe := range eg.To {
			egressPeer(r, j, pe.Namespaces, pe.Pods, pe.Networks, pe.Nodes != nil, len(pe.DomainNames) > 0)
		}
		p.Rules[Egress] = append(p.Rules[Egress], r)
	}
}

// egressPeer adds to r the j-th peer of its egress rule, the same in both APIs: pods or
// namespaces, networks, and the node and domain-name peers that are not evaluated.
func egressPeer[CIDR ~string](r *ClusterRule, j int, ns *metav1.LabelSelector, pods *cnpv1beta1.NamespacedPod, networks []CIDR, nodes, domains bool) {
	p := r.Policy
	path := fmt.Sprintf("%s.to[%d]", r.Path(), j)
	if cp, ok := p.peer(path, ns, pods); ok {
		r.peers = append(r.peers, cp)
	}
	if len(networks) > 0 {
		cidrs := make([]string, len(networks))
		for k, c := range networks {
			cidrs[k] = string(c)
		}
		r.networks = r.networks.Union(p.networks(path, cidrs))
	}
	if nodes {
		p.Unevaluated = append(p.Unevaluated, path+".nodes")
	}
	if domains {
		p.Unevaluated = append(p.Unevaluated, path+".domainNames")
	}
}

// sortClusterPolicies orders policies as they are evaluated: Admin before Baseline, then by
// priority, lowest first. Two policies of one tier with the same priority have no defined
// order in the API; they are taken by name, so that answers are stable.
func sortClusterPolicies(ps []*ClusterPolicy) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if a.Tier != b.Tier {
			return a.Tier < b.Tier
		}
		if a.Priority != b.Priority {
			return a.Priority < b.Priority
		}
		return a.Name < b.Name
	})
}

// addClusterPolicies compiles cluster policies into the engine: which classes each subject
// selects, which classes each rule's pod peers match, and each class's ordered rules.
func (e *Engine) addClusterPolicies(ps []*ClusterPolicy) {
	var valid []*ClusterPolicy
	for _, p := range ps {
		p.index = len(e.cluster)
		e.cluster = append(e.cluster, p)
		if p.Valid() {
			valid = append(valid, p)
		}
	}
	sortClusterPolicies(valid)
	n := len(e.classes)
	var idx []int32
	for _, p := range valid {
		for _, c := range e.classes {
			if p.selects(c.ns.Labels, c.Labels) {
				p.selected = append(p.selected, c.Index)
			}
		}
		for d := Ingress; d <= Egress; d++ {
			for _, r := range p.Rules[d] {
				idx = idx[:0]
				for _, c := range e.classes {
					if r.matchesPod(c.ns.Labels, c.Labels) {
						idx = append(idx, int32(c.Index))
					}
				}
				r.pods = classSetOf(idx, n)
				for _, ci := range p.selected {
					c := e.classes[ci]
					c.cluster[p.Tier][d] = append(c.cluster[p.Tier][d], r)
				}
			}
		}
	}
	e.sortedCluster = valid
}

// ClusterPolicies returns the cluster network policies of the input, valid or not.
func (e *Engine) ClusterPolicies() []*ClusterPolicy { return e.cluster }

// clusterRulesOf returns the ordered rules of tier t, direction d, that apply to x.
func (e *Engine) clusterRulesOf(x end, t Tier, d Direction) []*ClusterRule {
	switch {
	case x.class != nil:
		return x.class.cluster[t][d]
	case x.probe != nil:
		nl, l := e.nsLabels(x.probe), x.probe.Labels
		var out []*ClusterRule
		for _, p := range e.sortedCluster {
			if p.Tier == t && p.selects(nl, l) {
				out = append(out, p.Rules[d]...)
			}
		}
		return out
	}
	return nil
}

// clusterRuleMatches reports whether rule r's peers include x.
func (e *Engine) clusterRuleMatches(r *ClusterRule, x end) bool {
	switch {
	case x.class != nil:
		return r.pods.has(x.class.Index)
	case x.probe != nil:
		return r.matchesPod(e.nsLabels(x.probe), x.probe.Labels)
	}
	return r.networks.Contains(x.addr)
}

// ClusterDecision is a cluster network policy rule that decided some ports of a connection.
type ClusterDecision struct {
	Rule *ClusterRule
	// Ports are the ports the rule decided (those no earlier rule had).
	Ports PortSet
}

// tierResult is what one tier decides of the ports it is given.
type tierResult struct {
	accepted, passed, undecided PortSet
	decisions                   []ClusterDecision
}

// evalTier runs the rules of one tier over ports, first match wins per port.
func (e *Engine) evalTier(rules []*ClusterRule, peer end, named []NamedPort, ports PortSet) tierResult {
	res := tierResult{accepted: NoPorts, passed: NoPorts, undecided: ports}
	for _, r := range rules {
		if res.undecided.IsEmpty() {
			break
		}
		if !e.clusterRuleMatches(r, peer) {
			continue
		}
		rp := r.ports.resolve(named).Intersect(res.undecided)
		if rp.IsEmpty() {
			continue
		}
		res.decisions = append(res.decisions, ClusterDecision{Rule: r, Ports: rp})
		switch r.Action {
		case Accept:
			res.accepted = res.accepted.Union(rp)
		case Pass:
			res.passed = res.passed.Union(rp)
		}
		res.undecided = res.undecided.Subtract(rp)
	}
	return res
}

// addrBoundaries adds the boundaries of the networks of the cluster rules of x in d.
func (e *Engine) clusterBoundaries(x end, d Direction, points []netip.Addr) []netip.Addr {
	for t := AdminTier; t <= BaselineTier; t++ {
		for _, r := range e.clusterRulesOf(x, t, d) {
			points = r.networks.boundaries(points)
		}
	}
	return points
}

// ClusterDefaultDeny returns the valid cluster network policies that deny direction d to
// every pod of namespace ns, present and future: the subject covers the whole namespace and
// a Deny rule matches every peer on every port (for egress, every address outside the
// cluster too). Rules before it may accept some traffic, as NetworkPolicies would on top of
// a default deny. Baseline policies come first: they are what a namespace's own
// NetworkPolicies refine.
func (e *Engine) ClusterDefaultDeny(ns string, d Direction) []*ClusterPolicy {
	nl := labels.Set{NamespaceNameLabel: ns}
	if n := e.nsByName[ns]; n != nil {
		nl = n.Labels
	}
	var out []*ClusterPolicy
	for t := BaselineTier; ; t-- {
		for _, p := range e.sortedCluster {
			if p.Tier != t || !p.coversNamespace(nl) {
				continue
			}
			for _, r := range p.Rules[d] {
				if r.Action == Pass || (r.Action == Accept && r.denyAllPeers(d)) {
					break // hands everything on, or accepts everything, before any deny
				}
				if r.Action == Deny && r.denyAllPeers(d) {
					out = append(out, p)
					break
				}
			}
		}
		if t == AdminTier {
			break
		}
	}
	return out
}

// coversNamespace reports whether the subject selects every pod of a namespace with labels
// nl.
func (p *ClusterPolicy) coversNamespace(nl labels.Set) bool {
	if p.subjectNS != nil {
		return p.subjectNS.Matches(nl)
	}
	return p.subjectPodNS != nil && p.subjectPodNS.Matches(nl) && p.subjectPod.Empty()
}

// denyAllPeers reports whether the rule matches every peer on every port: a peer selecting
// every pod of every namespace and, for egress, networks covering every address.
func (r *ClusterRule) denyAllPeers(d Direction) bool {
	if !r.AllPorts {
		return false
	}
	pods := false
	for _, pe := range r.peers {
		pods = pods || (pe.ns.Empty() && (pe.pod == nil || pe.pod.Empty()))
	}
	return pods && (d == Ingress || r.networks.Covers(everywhere))
}

// ClusterSelected reports whether some cluster network policy selects the class.
func (c *Class) ClusterSelected() bool {
	for t := range c.cluster {
		for d := range c.cluster[t] {
			if len(c.cluster[t][d]) > 0 {
				return true
			}
		}
	}
	return false
}
