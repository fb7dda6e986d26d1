package netpol

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubeharden/kubeharden/inventory"
)

// NamespaceNameLabel is the label the API server puts on every namespace, set to its name.
const NamespaceNameLabel = "kubernetes.io/metadata.name"

// Namespace is a namespace with its labels, which namespaceSelectors match.
type Namespace struct {
	Name   string
	Labels labels.Set
	// Object is the Namespace object, nil when the namespace was not loaded (its labels are
	// then only NamespaceNameLabel, which every namespace has).
	Object *inventory.Object

	classes []int
	// pos is the namespace's place in the engine's namespaces.
	pos int
}

// Workload is a set of pods with one pod template: a Deployment, StatefulSet, Job, bare
// Pod and so on. Replicas behave alike, so a workload is one endpoint.
type Workload struct {
	Namespace, Name string
	Kind            string
	Labels          labels.Set
	// Ports are the pods' named container ports, for policies that name ports.
	Ports []NamedPort
	// Object and Template are where the workload came from; both may be nil.
	Object   *inventory.Object
	Template *inventory.PodTemplate
	// HostNetwork pods use the node's network: no NetworkPolicy selects or matches them
	// (their traffic carries the node's address). The engine keeps them out of its classes.
	HostNetwork bool

	class *Class
	// clash: another workload of the namespace has the same name.
	clash bool
}

// ID is "namespace/name", or "namespace/kind/name" when another workload of the namespace
// has the same name.
func (w *Workload) ID() string {
	if w.clash {
		return w.Namespace + "/" + strings.ToLower(w.Kind) + "/" + w.Name
	}
	return w.Namespace + "/" + w.Name
}

// Class is the class of pods that the workload's pods belong to.
func (w *Workload) Class() *Class { return w.class }

// Class is a set of pods that no policy can tell apart: same namespace, same labels, same
// named ports. The engine evaluates classes, so its cost grows with classes, not pods.
type Class struct {
	Index     int
	Namespace string
	Labels    labels.Set
	Ports     []NamedPort
	Workloads []*Workload

	ns *Namespace
	// portSig numbers the distinct sets of named ports, so that named-port resolutions
	// can be shared between classes.
	portSig int
	// policies select the class, by direction they isolate (valid policies only).
	policies [2][]*Policy
	// cluster are the rules of the cluster network policies that select the class, by tier
	// and direction, in evaluation order.
	cluster [2][2][]*ClusterRule
}

// Policies returns the valid policies that select the class and isolate it in direction d.
func (c *Class) Policies(d Direction) []*Policy { return c.policies[d] }

// Isolated reports whether some policy isolates the class in direction d.
func (c *Class) Isolated(d Direction) bool { return len(c.policies[d]) > 0 }

// Selected reports whether any policy (of either direction) selects the class.
func (c *Class) Selected() bool { return c.Isolated(Ingress) || c.Isolated(Egress) }

// Name is a label for humans: the first workload's ID, or namespace and labels.
func (c *Class) Name() string {
	if len(c.Workloads) > 0 {
		return c.Workloads[0].ID()
	}
	return c.Namespace + "/{" + c.Labels.String() + "}"
}

// PolicyInput is a NetworkPolicy to evaluate, with the object it came from (may be nil).
type PolicyInput struct {
	Policy *networkingv1.NetworkPolicy
	Object *inventory.Object
}

// Input is what the engine evaluates.
type Input struct {
	Namespaces []Namespace
	Workloads  []Workload
	Policies   []PolicyInput
	// ClusterPolicies are AdminNetworkPolicies, BaselineAdminNetworkPolicies and
	// ClusterNetworkPolicies (compiled by ClusterPolicyFrom).
	ClusterPolicies []*ClusterPolicy
}

// Engine answers reachability questions about a fixed set of namespaces, workloads and
// NetworkPolicies, with the semantics of networking.k8s.io/v1. It is safe for concurrent use.
type Engine struct {
	namespaces []*Namespace
	nsByName   map[string]*Namespace
	workloads  []*Workload
	wlByNS     map[string][]*Workload
	classes    []*Class
	policies   []*Policy
	polByNS    map[string][]*Policy
	// Problems are inputs the engine could not use (policies it could not read).
	problems []string
	// rules counts the rules of valid policies, which are numbered for caches.
	rules int
	// hostNet are the hostNetwork workloads, which policies cannot see.
	hostNet []*Workload
	// cluster are the cluster network policies in input order; sortedCluster the valid
	// ones in evaluation order.
	cluster, sortedCluster []*ClusterPolicy
	// classKeys are the classes' keys (namespace, labels, named ports), by index: what an
	// update in place looks a changed workload's class up by.
	classKeys []string
	// keyIndex indexes classKeys, built by the first update that needs it.
	keyIndex map[string]int
	// nsIndex and classIdx list namespaces (by pos) and classes by their labels, for
	// matching selectors; nil when out of date (namespaceIndex and classLabelIndex build them).
	nsIndex, classIdx *labelIndex
}

// New builds an engine: it groups pods into classes, compiles the policies, and works out
// which classes each policy selects and each peer matches.
func New(in Input) *Engine {
	e := &Engine{nsByName: map[string]*Namespace{}, polByNS: map[string][]*Policy{}, wlByNS: map[string][]*Workload{}}
	for i := range in.Namespaces {
		n := in.Namespaces[i]
		e.namespace(n.Name, n.Labels, n.Object)
	}
	classKey := map[string]*Class{}
	portSigs := map[string]int{}
	for i := range in.Workloads {
		w := in.Workloads[i]
		ns := e.namespace(w.Namespace, nil, nil)
		if w.HostNetwork {
			e.hostNet = append(e.hostNet, &w)
			continue
		}
		ports := sortedPorts(w.Ports)
		k := classKeyOf(w.Namespace, w.Labels, ports)
		c := classKey[k]
		if c == nil {
			c = &Class{Index: len(e.classes), Namespace: w.Namespace, Labels: w.Labels, Ports: ports, ns: ns}
			sig := classKeyOf("", nil, ports)
			if _, ok := portSigs[sig]; !ok {
				portSigs[sig] = len(portSigs)
			}
			c.portSig = portSigs[sig]
			e.classes = append(e.classes, c)
			e.classKeys = append(e.classKeys, k)
			classKey[k] = c
			ns.classes = append(ns.classes, c.Index)
		}
		wp := &w
		wp.class = c
		c.Workloads = append(c.Workloads, wp)
		e.workloads = append(e.workloads, wp)
		e.wlByNS[wp.Namespace] = append(e.wlByNS[wp.Namespace], wp)
	}
	seen := map[[2]string]*Workload{}
	for _, w := range e.workloads {
		k := [2]string{w.Namespace, w.Name}
		if other := seen[k]; other != nil {
			other.clash, w.clash = true, true
		}
		seen[k] = w
	}
	for _, pi := range in.Policies {
		e.addPolicy(pi)
	}
	for _, p := range e.policies {
		e.selectAndMatch(p)
	}
	e.addClusterPolicies(in.ClusterPolicies)
	// Built now, the indexes are shared by the engines WithPolicies derives and kept up to
	// date by the tracker's updates.
	e.namespaceIndex()
	e.classLabelIndex()
	return e
}

// addPolicy compiles pi into the engine's policies, adding its namespace when new. Its
// selections and matches are left to selectAndMatch.
func (e *Engine) addPolicy(pi PolicyInput) *Policy {
	ns := pi.Policy.Namespace
	if pi.Object != nil {
		ns = pi.Object.EffectiveNamespace()
	}
	if ns == "" {
		ns = inventory.DefaultNamespace
	}
	e.namespace(ns, nil, nil)
	p := compile(pi.Policy, ns, pi.Object)
	p.index = len(e.policies)
	e.policies = append(e.policies, p)
	e.polByNS[ns] = append(e.polByNS[ns], p)
	return p
}

// selectAndMatch works out the classes a valid policy selects and those its peers match,
// and adds the policy to the classes it selects.
func (e *Engine) selectAndMatch(p *Policy) {
	e.matchPolicy(p)
	for _, ci := range p.selected {
		c := e.classes[ci]
		for d := Ingress; d <= Egress; d++ {
			if p.Types[d] {
				c.policies[d] = append(c.policies[d], p)
			}
		}
	}
}

// matchPolicy works out the classes a valid policy selects and those its peers match, and
// numbers its rules.
func (e *Engine) matchPolicy(p *Policy) {
	n := len(e.classes)
	if !p.Valid() {
		return
	}
	if ns := e.nsByName[p.Namespace]; ns != nil {
		for _, ci := range ns.classes {
			if p.selectsAll || p.selector.Matches(e.classes[ci].Labels) {
				p.selected = append(p.selected, ci)
			}
		}
	}
	var buf []int32
	var sets []*classSet
	for _, rules := range p.Rules {
		for _, r := range rules {
			r.id = e.rules
			e.rules++
			sets = sets[:0]
			for _, pe := range r.Peers {
				if pe.IPBlock != nil {
					continue
				}
				pe.pods, buf = e.matchPeer(pe, buf)
				sets = append(sets, pe.pods)
			}
			r.pods = unionOf(sets, n)
		}
	}
}

func classKeyOf(ns string, l labels.Set, ports []NamedPort) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(ns)
	for _, k := range keys {
		b.WriteByte(0)
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(l[k])
	}
	b.WriteByte(1)
	for _, p := range ports {
		b.WriteByte(0)
		b.WriteString(p.Name)
		b.WriteByte('/')
		b.WriteString(p.Protocol.String())
		b.WriteByte('/')
		b.WriteString(strconv.Itoa(int(p.Port)))
	}
	return b.String()
}

// namespace returns the namespace named name, adding it when new. The API server labels
// every namespace with its name; that label cannot be changed, so it is set here too.
func (e *Engine) namespace(name string, l labels.Set, obj *inventory.Object) *Namespace {
	ns := e.nsByName[name]
	if ns == nil {
		ns = &Namespace{Name: name, Labels: labels.Set{NamespaceNameLabel: name}, pos: len(e.namespaces)}
		e.nsByName[name] = ns
		e.namespaces = append(e.namespaces, ns)
		e.nsIndex = nil
	}
	if l != nil || obj != nil {
		e.nsIndex = nil
		set := labels.Set{}
		for k, v := range l {
			set[k] = v
		}
		set[NamespaceNameLabel] = name
		ns.Labels, ns.Object = set, obj
	}
	return ns
}

// matchPeer returns the classes a pod peer matches, using buf for scratch and returning it.
func (e *Engine) matchPeer(pe *Peer, buf []int32) (*classSet, []int32) {
	n := len(e.classes)
	idx := buf[:0]
	if pe.NamespaceSelector == nil {
		if ns := e.nsByName[pe.Rule.Policy.Namespace]; ns != nil {
			for _, ci := range ns.classes {
				if pe.PodSelector.Matches(e.classes[ci].Labels) {
					idx = append(idx, int32(ci))
				}
			}
		}
		return classSetOf(idx, n), idx
	}
	// Try the classes the podSelector can match, or those of the namespaces the
	// namespaceSelector can match, whichever are fewer.
	pods, allPods := e.classLabelIndex().candidates(pe.PodSelector)
	nss, allNS := e.namespaceIndex().candidates(pe.NamespaceSelector)
	byPods := !allPods
	if byPods && !allNS {
		inNS := 0
		for _, pos := range nss {
			inNS += len(e.namespaces[pos].classes)
		}
		byPods = len(pods) < inNS
	}
	switch {
	case byPods:
		for _, ci := range pods {
			c := e.classes[ci]
			if pe.NamespaceSelector.Matches(c.ns.Labels) && pe.PodSelector.Matches(c.Labels) {
				idx = append(idx, ci)
			}
		}
	default:
		match := func(ns *Namespace) {
			if !pe.NamespaceSelector.Matches(ns.Labels) {
				return
			}
			for _, ci := range ns.classes {
				if pe.PodSelector.Matches(e.classes[ci].Labels) {
					idx = append(idx, int32(ci))
				}
			}
		}
		if allNS {
			for _, ns := range e.namespaces {
				match(ns)
			}
		} else {
			for _, pos := range nss {
				match(e.namespaces[pos])
			}
		}
		slices.Sort(idx)
	}
	return classSetOf(idx, n), idx
}

// namespaceIndex returns the index of the namespaces' labels, building it when out of date.
func (e *Engine) namespaceIndex() *labelIndex {
	return current(&e.nsIndex, len(e.namespaces), func(i int) labels.Set { return e.namespaces[i].Labels })
}

// classLabelIndex returns the index of the classes' labels, building it when out of date.
func (e *Engine) classLabelIndex() *labelIndex {
	return current(&e.classIdx, len(e.classes), func(i int) labels.Set { return e.classes[i].Labels })
}

// current returns *x, first building it again from the n label sets labelsOf gives when it
// indexes another number of them.
func current(x **labelIndex, n int, labelsOf func(i int) labels.Set) *labelIndex {
	if *x == nil || (*x).n != n {
		y := newLabelIndex()
		for i := range n {
			y.add(i, labelsOf(i))
		}
		y.n = n
		*x = y
	}
	return *x
}

// NamespacesMatching returns the namespaces whose labels sel matches, in Namespaces' order.
func (e *Engine) NamespacesMatching(sel labels.Selector) []*Namespace {
	var out []*Namespace
	x := e.nsIndex
	if x == nil || x.n != len(e.namespaces) {
		// Out of date (only while an update runs): try every namespace.
		for _, ns := range e.namespaces {
			if sel.Matches(ns.Labels) {
				out = append(out, ns)
			}
		}
		return out
	}
	c, all := x.candidates(sel)
	if all {
		for _, ns := range e.namespaces {
			if sel.Matches(ns.Labels) {
				out = append(out, ns)
			}
		}
		return out
	}
	for _, pos := range c {
		if ns := e.namespaces[pos]; sel.Matches(ns.Labels) {
			out = append(out, ns)
		}
	}
	return out
}

// FromInventory builds an engine from every Namespace, workload and NetworkPolicy in inv.
// A workload controlled by another loaded object (a ReplicaSet of a Deployment, the Pods of
// a ReplicaSet) is represented by its top-most controller; PodTemplate objects run nothing
// and are left out. hostNetwork workloads are listed by HostNetworkWorkloads.
func FromInventory(inv *inventory.Inventory) *Engine {
	var in Input
	for _, o := range inv.ByKind("Namespace") {
		if o.APIVersion == "v1" {
			in.Namespaces = append(in.Namespaces, Namespace{Name: o.Name, Labels: o.Labels(), Object: o})
		}
	}
	for _, t := range inv.PodTemplates() {
		if runsPods(inv, t) {
			in.Workloads = append(in.Workloads, workloadOf(t))
		}
	}
	var unread []*Policy
	for _, o := range inv.ByKind("NetworkPolicy") {
		if !isNetworkPolicy(o) {
			continue
		}
		np, err := policyFrom(o)
		if err != nil {
			unread = append(unread, unreadPolicy(o, err))
			continue
		}
		in.Policies = append(in.Policies, PolicyInput{Policy: np, Object: o})
	}
	for _, o := range clusterPolicyObjects(inv) {
		in.ClusterPolicies = append(in.ClusterPolicies, ClusterPolicyFrom(o))
	}
	e := New(in)
	for _, p := range unread {
		p.index = len(e.policies)
		e.policies = append(e.policies, p)
		e.polByNS[p.Namespace] = append(e.polByNS[p.Namespace], p)
	}
	e.listProblems()
	return e
}

// listProblems lists the problems of FromInventory's input: cluster policies it could not
// read, then NetworkPolicies it could not decode.
func (e *Engine) listProblems() {
	e.problems = nil
	for _, p := range e.cluster {
		for _, pr := range p.Problems {
			e.problems = append(e.problems, p.ID()+": "+pr.String())
		}
	}
	for _, p := range e.policies {
		if p.Spec == nil {
			e.problems = append(e.problems, p.ID()+": "+p.Problems[0].Message)
		}
	}
}

// runsPods says whether FromInventory takes t as a workload: a PodTemplate object runs
// nothing, and a workload whose controller is loaded is represented by the controller.
func runsPods(inv *inventory.Inventory, t inventory.PodTemplate) bool {
	return t.Owner.Kind != "PodTemplate" && !controlledInInventory(inv, t.Owner)
}

// workloadOf is the workload of the pods of t.
func workloadOf(t inventory.PodTemplate) Workload {
	return Workload{
		Namespace:   t.Namespace(),
		Name:        t.Owner.Name,
		Kind:        t.Owner.Kind,
		Labels:      t.Labels(),
		Ports:       NamedPorts(t.Spec),
		Object:      t.Owner,
		Template:    &t,
		HostNetwork: t.Spec.HostNetwork,
	}
}

// isNetworkPolicy says whether FromInventory reads o as a NetworkPolicy.
func isNetworkPolicy(o *inventory.Object) bool {
	return strings.HasPrefix(o.APIVersion, "networking.k8s.io/")
}

// unreadPolicy stands for a NetworkPolicy object that could not be decoded.
func unreadPolicy(o *inventory.Object, err error) *Policy {
	return &Policy{Namespace: o.EffectiveNamespace(), Name: o.Name, Object: o,
		Problems: []Problem{{Message: "cannot be read as a networking.k8s.io/v1 NetworkPolicy: " + err.Error()}}}
}

// clusterPolicyObjects are the cluster network policies of inv, in the order FromInventory
// reads them.
func clusterPolicyObjects(inv *inventory.Inventory) []*inventory.Object {
	var out []*inventory.Object
	for _, kind := range []string{ANPKind, BANPKind, CNPKind} {
		for _, o := range inv.ByKind(kind) {
			if IsClusterPolicy(o.APIVersion, o.Kind) {
				out = append(out, o)
			}
		}
	}
	return out
}

// controlledInInventory reports whether o's controller is itself loaded.
func controlledInInventory(inv *inventory.Inventory, o *inventory.Object) bool {
	for _, ref := range o.Meta.GetOwnerReferences() {
		if ref.Controller != nil && *ref.Controller && inv.Get(ref.Kind, o.EffectiveNamespace(), ref.Name) != nil {
			return true
		}
	}
	return false
}

// NamedPorts lists the named ports of a pod spec's containers and sidecars (init containers
// that keep running), which is where named ports are looked up.
func NamedPorts(spec *corev1.PodSpec) []NamedPort {
	var out []NamedPort
	add := func(c *corev1.Container) {
		for _, p := range c.Ports {
			if p.Name == "" || p.ContainerPort < 1 || p.ContainerPort > 65535 {
				continue
			}
			proto := TCP
			if p.Protocol != "" {
				var ok bool
				if proto, ok = ParseProtocol(string(p.Protocol)); !ok {
					continue
				}
			}
			out = append(out, NamedPort{p.Name, proto, uint16(p.ContainerPort)})
		}
	}
	for i := range spec.Containers {
		add(&spec.Containers[i])
	}
	for i := range spec.InitContainers {
		c := &spec.InitContainers[i]
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			add(c)
		}
	}
	return out
}

// Namespaces returns every namespace the engine knows, in input order.
func (e *Engine) Namespaces() []*Namespace { return e.namespaces }

// Namespace returns the namespace named name, or nil.
func (e *Engine) Namespace(name string) *Namespace { return e.nsByName[name] }

// Workloads returns every workload, in input order.
func (e *Engine) Workloads() []*Workload { return e.workloads }

// WorkloadsIn returns the workloads of namespace ns.
func (e *Engine) WorkloadsIn(ns string) []*Workload {
	return slices.Clip(e.wlByNS[ns])
}

// HostNetworkWorkloads returns the workloads whose pods use the node's network, which
// NetworkPolicy cannot select or match.
func (e *Engine) HostNetworkWorkloads() []*Workload { return e.hostNet }

// Classes returns every class.
func (e *Engine) Classes() []*Class { return e.classes }

// Policies returns every policy, invalid ones included, in input order.
func (e *Engine) Policies() []*Policy { return e.policies }

// PoliciesIn returns the policies of namespace ns.
func (e *Engine) PoliciesIn(ns string) []*Policy { return e.polByNS[ns] }

// Problems lists inputs that could not be used, such as NetworkPolicies that failed to decode.
func (e *Engine) Problems() []string { return e.problems }

// DefaultDeny returns the valid policies of namespace ns that deny direction d by default:
// they select every pod of the namespace (present and future) with an empty podSelector,
// isolate d, and have no rule that lets everything through.
func (e *Engine) DefaultDeny(ns string, d Direction) []*Policy {
	var out []*Policy
	for _, p := range e.polByNS[ns] {
		if !p.Valid() || !p.selectsAll || !p.Types[d] {
			continue
		}
		open := false
		for _, r := range p.Rules[d] {
			if r.AllowsEverything() {
				open = true
			}
		}
		if !open {
			out = append(out, p)
		}
	}
	return out
}

func (e *Engine) classList(b *classSet) []*Class {
	var out []*Class
	b.each(func(i int) { out = append(out, e.classes[i]) })
	return out
}
