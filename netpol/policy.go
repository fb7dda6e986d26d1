package netpol

import (
	"fmt"
	"net/netip"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubeharden/kubeharden/inventory"
)

// Direction is ingress (traffic into the selected pods) or egress (traffic out of them).
type Direction uint8

// The two directions a policy can isolate.
const (
	Ingress Direction = iota
	Egress
)

func (d Direction) String() string {
	if d == Egress {
		return "Egress"
	}
	return "Ingress"
}

// Policy is a compiled NetworkPolicy.
type Policy struct {
	Namespace, Name string
	// Object is the inventory object the policy came from; nil when built from a bare spec.
	Object *inventory.Object
	Spec   *networkingv1.NetworkPolicy
	// Types are the effective policy types: spec.policyTypes, or as the API server defaults
	// them (Ingress always; Egress when the policy has egress rules).
	Types [2]bool
	// Defaulted says that spec.policyTypes was empty and Types are the defaults.
	Defaulted bool
	// Rules by direction, in spec order.
	Rules [2][]*Rule
	// Problems are the reasons the API server would reject the policy. A policy with
	// problems does not exist in a cluster, so it takes no part in any decision.
	Problems []Problem

	selector   labels.Selector
	selectsAll bool
	index      int
	// selected lists the classes the policy selects.
	selected []int
}

// Problem is one reason a policy is invalid: the field and what is wrong with it.
type Problem struct {
	Path    string // "spec.ingress[0].from[1]"
	Message string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// ID is "namespace/name".
func (p *Policy) ID() string { return p.Namespace + "/" + p.Name }

// Valid reports whether the API server would accept the policy.
func (p *Policy) Valid() bool { return len(p.Problems) == 0 }

// Affects reports whether the policy isolates the pods it selects in direction d.
func (p *Policy) Affects(d Direction) bool { return p.Types[d] }

// SelectsAll reports whether spec.podSelector is empty: the policy selects every pod of its
// namespace, including pods created later.
func (p *Policy) SelectsAll() bool { return p.selectsAll }

// Selects reports whether the policy's podSelector matches a pod with the given labels (in
// the policy's namespace). Invalid policies select nothing.
func (p *Policy) Selects(l labels.Set) bool {
	return p.Valid() && p.selector != nil && (p.selectsAll || p.selector.Matches(l))
}

// Selected returns the classes the policy selects.
func (p *Policy) Selected(e *Engine) []*Class {
	out := make([]*Class, len(p.selected))
	for i, c := range p.selected {
		out[i] = e.classes[c]
	}
	return out
}

// Rule is one ingress or egress rule of a policy.
type Rule struct {
	Policy    *Policy
	Direction Direction
	Index     int
	// AllPeers: the rule has no from/to (or an empty list), so it matches every source or
	// destination, in and outside the cluster.
	AllPeers bool
	Peers    []*Peer
	// AllPorts: the rule has no ports, so it matches all traffic, whatever the protocol.
	AllPorts bool

	ports portSpec
	id    int
	// pods is the union of the classes its pod peers match.
	pods *classSet
	// ips is the union of its ipBlock peers.
	ips IPSet
}

// Path is the rule's field path: "spec.ingress[0]".
func (r *Rule) Path() string {
	if r.Direction == Egress {
		return "spec.egress[" + strconv.Itoa(r.Index) + "]"
	}
	return "spec.ingress[" + strconv.Itoa(r.Index) + "]"
}

// Ports is the rule's port set towards a destination pod of class dst (nil: an address
// outside the cluster, where named ports match nothing).
func (r *Rule) Ports(dst *Class) PortSet {
	if dst == nil {
		return r.ports.resolve(nil)
	}
	return r.ports.resolve(dst.Ports)
}

// IPs is the union of the rule's ipBlock peers.
func (r *Rule) IPs() IPSet { return r.ips }

// OpenToAll reports whether the rule's peers are everyone: no from/to, or peers that
// together match every pod of every namespace and every IPv4 and IPv6 address.
func (r *Rule) OpenToAll() bool {
	if r.AllPeers {
		return true
	}
	allPods := false
	for _, pe := range r.Peers {
		if pe.IPBlock == nil && pe.NamespaceSelector != nil && pe.NamespaceSelector.Empty() && pe.PodSelector.Empty() {
			allPods = true
		}
	}
	return allPods && r.ips.Covers(everywhere)
}

// AllowsEverything reports whether the rule matches every peer on every port.
func (r *Rule) AllowsEverything() bool { return r.AllPeers && r.AllPorts }

// Peer is one entry of a rule's from/to list.
type Peer struct {
	Rule  *Rule
	Index int
	// IPBlock is the addresses of an ipBlock peer (cidr minus except); nil for pod peers.
	IPBlock *IPSet
	// NamespaceSelector is nil when the peer has none: it then selects pods of the policy's
	// own namespace. PodSelector is labels.Everything() when the peer has none.
	NamespaceSelector labels.Selector
	PodSelector       labels.Selector

	pods *classSet
}

// Path is the peer's field path: "spec.ingress[0].from[1]".
func (p *Peer) Path() string {
	if p.Rule.Direction == Egress {
		return p.Rule.Path() + ".to[" + strconv.Itoa(p.Index) + "]"
	}
	return p.Rule.Path() + ".from[" + strconv.Itoa(p.Index) + "]"
}

// MatchesPod reports whether the peer matches a pod with podLabels in namespace ns (with
// nsLabels). It is what the engine precomputes per class; checks use it to probe pods
// that are not in the inventory.
func (p *Peer) MatchesPod(ns string, nsLabels, podLabels labels.Set) bool {
	if p.IPBlock != nil {
		return false
	}
	if p.NamespaceSelector == nil {
		if ns != p.Rule.Policy.Namespace {
			return false
		}
	} else if !p.NamespaceSelector.Matches(nsLabels) {
		return false
	}
	return p.PodSelector.Matches(podLabels)
}

// Classes returns the classes the peer matches.
func (p *Peer) Classes(e *Engine) []*Class { return e.classList(p.pods) }

// MatchesSome reports whether the peer matches some class: Classes without listing them.
func (p *Peer) MatchesSome() bool { return !p.pods.empty() }

// compile turns a NetworkPolicy into a Policy. Invalid policies get Problems and no rules.
func compile(np *networkingv1.NetworkPolicy, ns string, obj *inventory.Object) *Policy {
	p := &Policy{Namespace: ns, Name: np.Name, Object: obj, Spec: np}
	for _, e := range validate(np) {
		p.Problems = append(p.Problems, Problem{e.Field, e.ErrorBody()})
	}
	if len(p.Problems) > 0 {
		return p
	}
	spec := &np.Spec
	if len(spec.PolicyTypes) == 0 {
		p.Defaulted = true
		p.Types[Ingress] = true
		p.Types[Egress] = len(spec.Egress) > 0
	}
	for _, t := range spec.PolicyTypes {
		if t == networkingv1.PolicyTypeEgress {
			p.Types[Egress] = true
		} else {
			p.Types[Ingress] = true
		}
	}
	var err error
	if p.selector, err = metav1.LabelSelectorAsSelector(&spec.PodSelector); err != nil {
		p.Problems = append(p.Problems, Problem{"spec.podSelector", err.Error()})
		return p
	}
	p.selectsAll = isEmptySelector(&spec.PodSelector)
	for i := range spec.Ingress {
		in := &spec.Ingress[i]
		p.Rules[Ingress] = append(p.Rules[Ingress], compileRule(p, Ingress, i, in.Ports, in.From))
	}
	for i := range spec.Egress {
		eg := &spec.Egress[i]
		p.Rules[Egress] = append(p.Rules[Egress], compileRule(p, Egress, i, eg.Ports, eg.To))
	}
	if len(p.Problems) > 0 { // a selector validation let through but the conversion refused
		p.Rules = [2][]*Rule{}
	}
	return p
}

func isEmptySelector(s *metav1.LabelSelector) bool {
	return len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0
}

func compileRule(p *Policy, d Direction, i int, ports []networkingv1.NetworkPolicyPort, peers []networkingv1.NetworkPolicyPeer) *Rule {
	// An empty list means the same as a missing one: the API serialises both alike, and the
	// API reference defines "empty or missing" together.
	r := &Rule{Policy: p, Direction: d, Index: i, AllPeers: len(peers) == 0, AllPorts: len(ports) == 0}
	r.ports.all = r.AllPorts
	for _, pp := range ports {
		proto := TCP
		if pp.Protocol != nil {
			proto, _ = ParseProtocol(string(*pp.Protocol))
		}
		switch {
		case pp.Port == nil:
			r.ports.numeric = r.ports.numeric.Union(portRange(proto, 1, 65535))
		case pp.Port.Type == intstr.String:
			r.ports.named = append(r.ports.named, namedRef{name: pp.Port.StrVal, proto: proto})
		default:
			lo, hi := uint16(pp.Port.IntVal), uint16(pp.Port.IntVal)
			if pp.EndPort != nil {
				hi = uint16(*pp.EndPort)
			}
			r.ports.numeric = r.ports.numeric.Union(portRange(proto, lo, hi))
		}
	}
	for j := range peers {
		peer := &peers[j]
		pe := &Peer{Rule: r, Index: j}
		if peer.IPBlock != nil {
			set := ipBlockSet(peer.IPBlock)
			pe.IPBlock = &set
			r.ips = r.ips.Union(set)
		} else {
			pe.PodSelector = labels.Everything()
			var err error
			if peer.PodSelector != nil {
				if pe.PodSelector, err = metav1.LabelSelectorAsSelector(peer.PodSelector); err != nil {
					p.Problems = append(p.Problems, Problem{pe.Path() + ".podSelector", err.Error()})
				}
			}
			if peer.NamespaceSelector != nil {
				if pe.NamespaceSelector, err = metav1.LabelSelectorAsSelector(peer.NamespaceSelector); err != nil {
					p.Problems = append(p.Problems, Problem{pe.Path() + ".namespaceSelector", err.Error()})
				}
			}
		}
		r.Peers = append(r.Peers, pe)
	}
	return r
}

// ipBlockSet is cidr minus except. Validation has checked every CIDR.
func ipBlockSet(b *networkingv1.IPBlock) IPSet {
	cidr, _ := netip.ParsePrefix(b.CIDR)
	s := PrefixSet(cidr)
	var ex []netip.Prefix
	for _, e := range b.Except {
		p, _ := netip.ParsePrefix(e)
		ex = append(ex, p)
	}
	return s.Minus(PrefixSet(ex...))
}

// validate returns what the API server's validation of networking.k8s.io/v1 NetworkPolicy
// would reject (strict IP/CIDR validation, on by default since 1.36).
func validate(np *networkingv1.NetworkPolicy) field.ErrorList {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	opts := metav1validation.LabelSelectorValidationOptions{}
	errs = append(errs, metav1validation.ValidateLabelSelector(&np.Spec.PodSelector, opts, spec.Child("podSelector"))...)
	for i, in := range np.Spec.Ingress {
		path := spec.Child("ingress").Index(i)
		for j := range in.Ports {
			errs = append(errs, validatePort(&in.Ports[j], path.Child("ports").Index(j))...)
		}
		for j := range in.From {
			errs = append(errs, validatePeer(&in.From[j], opts, path.Child("from").Index(j))...)
		}
	}
	for i, eg := range np.Spec.Egress {
		path := spec.Child("egress").Index(i)
		for j := range eg.Ports {
			errs = append(errs, validatePort(&eg.Ports[j], path.Child("ports").Index(j))...)
		}
		for j := range eg.To {
			errs = append(errs, validatePeer(&eg.To[j], opts, path.Child("to").Index(j))...)
		}
	}
	types := spec.Child("policyTypes")
	if len(np.Spec.PolicyTypes) > 2 {
		errs = append(errs, field.Invalid(types, np.Spec.PolicyTypes, "may not specify more than two policyTypes"))
	} else {
		for i, t := range np.Spec.PolicyTypes {
			if t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress {
				errs = append(errs, field.NotSupported(types.Index(i), t, []string{"Ingress", "Egress"}))
			}
		}
	}
	return errs
}

func validatePort(p *networkingv1.NetworkPolicyPort, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	if p.Protocol != nil {
		if _, ok := ParseProtocol(string(*p.Protocol)); !ok {
			errs = append(errs, field.NotSupported(path.Child("protocol"), *p.Protocol, []string{string(corev1.ProtocolTCP), string(corev1.ProtocolUDP), string(corev1.ProtocolSCTP)}))
		}
	}
	switch {
	case p.Port == nil:
		if p.EndPort != nil {
			errs = append(errs, field.Invalid(path.Child("endPort"), *p.EndPort, "may not be specified when `port` is not specified"))
		}
	case p.Port.Type == intstr.Int:
		for _, msg := range validation.IsValidPortNum(int(p.Port.IntVal)) {
			errs = append(errs, field.Invalid(path.Child("port"), p.Port.IntVal, msg))
		}
		if p.EndPort != nil {
			if *p.EndPort < p.Port.IntVal {
				errs = append(errs, field.Invalid(path.Child("endPort"), *p.EndPort, "must be greater than or equal to `port`"))
			}
			for _, msg := range validation.IsValidPortNum(int(*p.EndPort)) {
				errs = append(errs, field.Invalid(path.Child("endPort"), *p.EndPort, msg))
			}
		}
	default:
		if p.EndPort != nil {
			errs = append(errs, field.Invalid(path.Child("endPort"), *p.EndPort, "may not be specified when `port` is non-numeric"))
		}
		for _, msg := range validation.IsValidPortName(p.Port.StrVal) {
			errs = append(errs, field.Invalid(path.Child("port"), p.Port.StrVal, msg))
		}
	}
	return errs
}

func validatePeer(p *networkingv1.NetworkPolicyPeer, opts metav1validation.LabelSelectorValidationOptions, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	n := 0
	if p.PodSelector != nil {
		n++
		errs = append(errs, metav1validation.ValidateLabelSelector(p.PodSelector, opts, path.Child("podSelector"))...)
	}
	if p.NamespaceSelector != nil {
		n++
		errs = append(errs, metav1validation.ValidateLabelSelector(p.NamespaceSelector, opts, path.Child("namespaceSelector"))...)
	}
	if p.IPBlock != nil {
		n++
		errs = append(errs, validateIPBlock(p.IPBlock, path.Child("ipBlock"))...)
	}
	switch {
	case n == 0:
		errs = append(errs, field.Required(path, "must specify a peer"))
	case n > 1 && p.IPBlock != nil:
		errs = append(errs, field.Forbidden(path, "may not specify both ipBlock and another peer"))
	}
	return errs
}

func validateIPBlock(b *networkingv1.IPBlock, path *field.Path) field.ErrorList {
	if b.CIDR == "" {
		return field.ErrorList{field.Required(path.Child("cidr"), "")}
	}
	errs := validation.IsValidCIDRForLegacyField(path.Child("cidr"), b.CIDR, true, nil)
	cidr, err := netip.ParsePrefix(b.CIDR)
	if len(errs) > 0 {
		return errs
	}
	if err != nil {
		return field.ErrorList{field.Invalid(path.Child("cidr"), b.CIDR, err.Error())}
	}
	for i, e := range b.Except {
		ep := path.Child("except").Index(i)
		if es := validation.IsValidCIDRForLegacyField(ep, e, true, nil); len(es) > 0 {
			errs = append(errs, es...)
			continue
		}
		ex, err := netip.ParsePrefix(e)
		if err != nil {
			errs = append(errs, field.Invalid(ep, e, err.Error()))
			continue
		}
		if ex.Addr().BitLen() != cidr.Addr().BitLen() || !cidr.Contains(ex.Addr()) || cidr.Bits() >= ex.Bits() {
			errs = append(errs, field.Invalid(ep, e, "must be a strict subset of `cidr`"))
		}
	}
	return errs
}

// policyFrom reads a NetworkPolicy from an inventory object (typed or unstructured).
func policyFrom(o *inventory.Object) (*networkingv1.NetworkPolicy, error) {
	switch np := o.Obj.(type) {
	case *networkingv1.NetworkPolicy:
		return np, nil
	}
	u, ok := o.Unstructured()
	if !ok {
		return nil, fmt.Errorf("%s is not a NetworkPolicy", o.Ref)
	}
	var np networkingv1.NetworkPolicy
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &np); err != nil {
		return nil, fmt.Errorf("%s: %v", o.Ref, err)
	}
	return &np, nil
}
