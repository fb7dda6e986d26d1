package netpol

import (
	"iter"
	"slices"
	"sort"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubeharden/kubeharden/inventory"
)

// Tracker keeps the engine of one inventory that changes in place (a monitor's), updating
// it on each change instead of building it again where it can do so exactly:
//
//   - a workload replaced by one of the same kind, name and namespace whose pods have the
//     same class, or a new class of their own when they were alone in theirs (a changed
//     label): the class is matched again against every policy;
//   - a NetworkPolicy replaced by one of the same name: it is compiled and matched again;
//   - a Namespace whose labels changed: the peers with a namespaceSelector are matched
//     again against its classes;
//   - NetworkPolicies added or removed in namespaces that have a Namespace object or
//     workloads: the policies are compiled and matched, and the classes they select take
//     their policies again;
//   - workloads added or removed in namespaces that have a Namespace object, with no
//     cluster network policy loaded: new classes are matched against every policy, classes
//     that lost their last workload go, and the classes are numbered again;
//   - Namespace objects added or removed, with no cluster network policy loaded: the
//     namespaces are listed again, and those whose labels changed are matched again.
//
// Anything else (several kinds of these changes at once, workloads moving between shared
// classes, cluster network policies added, removed or present for changes that need them
// absent) builds the engine again.
// Either way the engine equals FromInventory of the inventory as it now stands; the engine
// returned before is changed in place, so whoever holds it sees the inventory as it now is.
type Tracker struct {
	mu  sync.Mutex
	inv *inventory.Inventory
	e   *Engine
	// objs and pods are inv.All() and inv.PodTemplates() as they stood when e was last
	// brought up to date; wl are the workloads of pods, nil for the templates FromInventory
	// leaves out.
	objs []*inventory.Object
	pods []inventory.PodTemplate
	wl   []*Workload
	// last says what the last call changed, for Changed.
	last Change
}

// Change is what an update in place changed. All says the engine was built again.
type Change struct {
	All bool
	// Namespaces are those whose labels changed, with their labels before.
	Namespaces []*Namespace
	Before     []labels.Set
	// Workloads are those replaced.
	Workloads []*Workload
	// Policies are the policies replaced, and Previous what they replaced.
	Policies, Previous []*Policy
	// ClassPeers are the peers of other policies whose classes changed; NamespacePeers the
	// peers with a namespaceSelector that now matches, or no longer matches, one of
	// Namespaces.
	ClassPeers, NamespacePeers []*Peer
}

// NewTracker returns a tracker that follows the first inventory it is asked about (not a
// Subset of another).
func NewTracker() *Tracker { return &Tracker{} }

// Engine returns the engine of inv: FromInventory(inv). The inventory the tracker follows
// is updated in place; for any other (a copy judged apart) the engine is built afresh.
func (t *Tracker) Engine(inv *inventory.Inventory) *Engine {
	t.mu.Lock()
	if t.inv == nil && inv.Root() == inv {
		t.inv = inv
	}
	if inv != t.inv {
		// Admission judges on copies, many at once: they need not wait for each other.
		t.mu.Unlock()
		return FromInventory(inv)
	}
	defer t.mu.Unlock()
	if t.e != nil {
		if c, ok := t.update(inv); ok {
			t.last = c
			return t.e
		}
	}
	t.e = FromInventory(inv)
	t.last = Change{All: true}
	t.objs = slices.Clone(inv.All())
	t.pods = slices.Clone(inv.PodTemplates())
	t.wl = make([]*Workload, len(t.pods))
	// FromInventory made the workloads in template order, leaving some templates out.
	wi, hi := 0, 0
	for i, p := range t.pods {
		switch {
		case wi < len(t.e.workloads) && t.e.workloads[wi].Template.Spec == p.Spec:
			t.wl[i] = t.e.workloads[wi]
			wi++
		case hi < len(t.e.hostNet) && t.e.hostNet[hi].Template.Spec == p.Spec:
			t.wl[i] = t.e.hostNet[hi]
			hi++
		}
	}
	return t.e
}

// Changed returns what the last call of Engine for inv changed; All when the tracker
// follows another inventory.
func (t *Tracker) Changed(inv *inventory.Inventory) Change {
	t.mu.Lock()
	defer t.mu.Unlock()
	if inv != t.inv || t.e == nil {
		return Change{All: true}
	}
	return t.last
}

// unmoved handles a change that added or removed objects: when none of them is one the
// engine reads (a Pod that a loaded ReplicaSet controls, a ConfigMap), and the engine's
// input is the same objects as before, the engine stays as it is; the tracker takes note
// of the inventory as it now is. It says whether that was so.
func (t *Tracker) unmoved(inv *inventory.Inventory, before, after [3][]*inventory.Object) bool {
	for k := range before {
		if !slices.Equal(before[k], after[k]) {
			return false
		}
	}
	pods := inv.PodTemplates()
	var ran []*Workload
	for _, w := range t.wl {
		if w != nil {
			ran = append(ran, w)
		}
	}
	wl := make([]*Workload, len(pods))
	n := 0
	for i, p := range pods {
		if !runsPods(inv, p) {
			continue
		}
		if n == len(ran) || ran[n].Template.Owner != p.Owner || ran[n].Template.Spec != p.Spec {
			return false
		}
		wl[i] = ran[n]
		n++
	}
	if n != len(ran) {
		return false
	}
	t.objs = slices.Clone(inv.All())
	t.pods = slices.Clone(pods)
	t.wl = wl
	return true
}

// engineInput lists the objects FromInventory reads besides pod templates: Namespaces,
// NetworkPolicies and cluster network policies.
func engineInput(objs []*inventory.Object) [3][]*inventory.Object {
	var out [3][]*inventory.Object
	for _, o := range objs {
		switch {
		case o.Kind == "Namespace" && o.APIVersion == "v1":
			out[0] = append(out[0], o)
		case o.Kind == "NetworkPolicy" && isNetworkPolicy(o):
			out[1] = append(out[1], o)
		case isClusterKind(o.Kind):
			out[2] = append(out[2], o)
		}
	}
	return out
}

// isClusterKind says whether an object of kind may be a cluster network policy.
func isClusterKind(kind string) bool { return kind == ANPKind || kind == BANPKind || kind == CNPKind }

// update brings the engine up to date with inv in place where it can do so exactly, and
// says what it changed; it returns false, having changed nothing, where it cannot.
func (t *Tracker) update(inv *inventory.Inventory) (Change, bool) {
	var c Change
	e := t.e
	// No object added or removed: every change replaced one in place.
	cur := inv.All()
	if len(cur) != len(t.objs) {
		return t.addedOrRemoved(inv)
	}
	var nsChanged, polChanged [][2]*inventory.Object
	var changed []int
	for i, o := range cur {
		p := t.objs[i]
		if o == p {
			continue
		}
		if o.Key() != p.Key() {
			return t.addedOrRemoved(inv)
		}
		if isClusterKind(o.Kind) {
			return c, false
		}
		changed = append(changed, i)
		switch o.Kind {
		case "Namespace":
			if (o.APIVersion == "v1") != (p.APIVersion == "v1") {
				return c, false
			}
			if o.APIVersion == "v1" {
				nsChanged = append(nsChanged, [2]*inventory.Object{p, o})
			}
		case "NetworkPolicy":
			if isNetworkPolicy(o) != isNetworkPolicy(p) {
				return c, false
			}
			if isNetworkPolicy(o) {
				polChanged = append(polChanged, [2]*inventory.Object{p, o})
			}
		}
	}
	pods := inv.PodTemplates()
	if len(pods) != len(t.pods) {
		return c, false
	}
	var wlChanged, podChanged []int
	for i, n := range pods {
		p := t.pods[i]
		if n.Owner == p.Owner && n.Spec == p.Spec {
			continue
		}
		podChanged = append(podChanged, i)
		runs := runsPods(inv, n)
		if runs != (t.wl[i] != nil) || n.Owner.Key() != p.Owner.Key() || n.Path != p.Path {
			return c, false
		}
		if runs {
			if n.Spec.HostNetwork != p.Spec.HostNetwork {
				return c, false
			}
			wlChanged = append(wlChanged, i)
		}
	}
	var compiled []*Policy
	for _, op := range polChanged {
		prev := e.policyOf(op[0])
		np, err := policyFrom(op[1])
		if prev == nil || (err == nil) != (prev.Spec != nil) {
			return c, false // read before and not now, or the reverse: its place in the list moves
		}
		if err != nil {
			compiled = append(compiled, unreadPolicy(op[1], err))
		} else {
			compiled = append(compiled, compile(np, prev.Namespace, op[1]))
		}
	}
	clustered := len(e.sortedCluster) > 0

	// Namespaces: a namespace's labels decide which namespaceSelectors match its classes.
	var relabelled []*Namespace
	for _, op := range nsChanged {
		o := op[1]
		ns := e.nsByName[o.Name]
		if ns == nil || ns.Object != op[0] {
			return c, false
		}
		if !labelsEqual(namespaceLabels(o.Name, o.Labels()), ns.Labels) {
			if clustered {
				return c, false
			}
			relabelled = append(relabelled, ns)
		}
	}
	// Workloads: check that every change keeps the classes' numbering before changing any.
	type move struct {
		pos   int
		w     *Workload
		key   string
		ports []NamedPort
	}
	var moves []move
	claimed := map[string]bool{}
	wl := t.wl
	for _, i := range wlChanged {
		prev := wl[i]
		nw := workloadOf(pods[i])
		if nw.HostNetwork {
			moves = append(moves, move{pos: i, w: &nw})
			continue
		}
		ports := sortedPorts(nw.Ports)
		k := classKeyOf(nw.Namespace, nw.Labels, ports)
		cl := prev.class
		if k != e.classKeys[cl.Index] {
			// Pods that leave a class they shared, or join another, renumber the classes.
			if len(cl.Workloads) != 1 || !slices.Equal(ports, cl.Ports) || clustered {
				return c, false
			}
			if _, taken := e.classIndex(k); taken || claimed[k] {
				return c, false
			}
			claimed[k] = true
		}
		moves = append(moves, move{pos: i, w: &nw, key: k, ports: ports})
	}
	// Two changes to one class (only possible with several templates in one object) are
	// left to a rebuild.
	seen := map[*Class]bool{}
	for _, m := range moves {
		if m.w.HostNetwork {
			continue
		}
		cl := wl[m.pos].class
		if seen[cl] {
			return c, false
		}
		seen[cl] = true
	}

	// From here on the update cannot fail.
	for _, i := range changed {
		t.objs[i] = cur[i]
	}
	for _, i := range podChanged {
		t.pods[i] = pods[i]
	}
	for _, op := range nsChanged {
		e.nsByName[op[1].Name].Object = op[1]
	}
	for _, ns := range relabelled {
		c.Namespaces = append(c.Namespaces, ns)
		c.Before = append(c.Before, ns.Labels)
		ns.Labels = namespaceLabels(ns.Name, ns.Object.Labels())
		e.namespaceIndex().move(ns.pos, c.Before[len(c.Before)-1], ns.Labels)
		c.NamespacePeers = e.rematchNamespace(ns, c.Before[len(c.Before)-1], c.NamespacePeers)
	}
	for _, m := range moves {
		prev := wl[m.pos]
		w := m.w
		w.clash = prev.clash
		wl[m.pos] = w
		c.Workloads = append(c.Workloads, w)
		if w.HostNetwork {
			e.hostNet[slices.Index(e.hostNet, prev)] = w
			continue
		}
		cl := prev.class
		w.class = cl
		e.workloads[slices.Index(e.workloads, prev)] = w
		inNS := e.wlByNS[w.Namespace]
		inNS[slices.Index(inNS, prev)] = w
		cl.Workloads[slices.Index(cl.Workloads, prev)] = w
		if m.key != e.classKeys[cl.Index] {
			if e.keyIndex != nil {
				delete(e.keyIndex, e.classKeys[cl.Index])
				e.keyIndex[m.key] = cl.Index
			}
			e.classKeys[cl.Index] = m.key
			e.classLabelIndex().move(cl.Index, cl.Labels, w.Labels)
			cl.Labels = w.Labels
			c.ClassPeers = e.rematchClass(cl, c.ClassPeers)
		}
	}
	for j, op := range polChanged {
		prev := e.policyOf(op[0])
		pol := compiled[j]
		e.replacePolicy(prev, pol)
		c.Policies = append(c.Policies, pol)
		c.Previous = append(c.Previous, prev)
	}
	if len(polChanged) > 0 {
		e.numberRules()
		e.listProblems()
	}
	e.namespaceIndex()
	return c, true
}

// policyOf returns the engine's policy of object o.
func (e *Engine) policyOf(o *inventory.Object) *Policy {
	for _, p := range e.polByNS[o.EffectiveNamespace()] {
		if p.Object == o {
			return p
		}
	}
	return nil
}

// classIndex returns the index of the class with key k.
func (e *Engine) classIndex(k string) (int, bool) {
	if e.keyIndex == nil {
		e.keyIndex = make(map[string]int, len(e.classKeys))
		for i, ck := range e.classKeys {
			e.keyIndex[ck] = i
		}
	}
	i, ok := e.keyIndex[k]
	return i, ok
}

// namespaceLabels are the labels a namespace named name with labels l has in the engine.
func namespaceLabels(name string, l map[string]string) map[string]string {
	set := make(map[string]string, len(l)+1)
	for k, v := range l {
		set[k] = v
	}
	set[NamespaceNameLabel] = name
	return set
}

func labelsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func sortedPorts(ps []NamedPort) []NamedPort {
	ports := append([]NamedPort(nil), ps...)
	sort.Slice(ports, func(i, j int) bool {
		a, b := ports[i], ports[j]
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		if a.Protocol != b.Protocol {
			return a.Protocol < b.Protocol
		}
		return a.Port < b.Port
	})
	return ports
}

// validRules yields the rules of the valid policies, with their policies, in order.
func (e *Engine) validRules() iter.Seq2[*Policy, *Rule] {
	return func(yield func(*Policy, *Rule) bool) {
		for _, p := range e.policies {
			if !p.Valid() {
				continue
			}
			for _, rules := range p.Rules {
				for _, r := range rules {
					if !yield(p, r) {
						return
					}
				}
			}
		}
	}
}

// rematchNamespace matches the peers that have a namespaceSelector against the classes of
// ns again, after its labels changed from before, and adds to peers those whose match of ns
// changed.
func (e *Engine) rematchNamespace(ns *Namespace, before labels.Set, peers []*Peer) []*Peer {
	for _, r := range e.validRules() {
		touched := false
		for _, pe := range r.Peers {
			if pe.IPBlock != nil || pe.NamespaceSelector == nil {
				continue
			}
			in := pe.NamespaceSelector.Matches(ns.Labels)
			if in == pe.NamespaceSelector.Matches(before) {
				continue
			}
			touched = true
			peers = append(peers, pe)
			for _, ci := range ns.classes {
				if in && pe.PodSelector.Matches(e.classes[ci].Labels) {
					pe.pods.set(ci, len(e.classes))
				} else {
					pe.pods.unset(ci)
				}
			}
		}
		if touched {
			for _, ci := range ns.classes {
				r.rematch(ci, len(e.classes))
			}
		}
	}
	return peers
}

// rematchClass matches class c against every policy again, after its labels changed, and
// adds to peers those whose match of c changed.
func (e *Engine) rematchClass(c *Class, peers []*Peer) []*Peer {
	ns := c.ns
	c.policies = [2][]*Policy{}
	for _, p := range e.polByNS[c.Namespace] {
		if !p.Valid() {
			continue
		}
		sel := p.selectsAll || p.selector.Matches(c.Labels)
		i, had := slices.BinarySearch(p.selected, c.Index)
		switch {
		case sel && !had:
			p.selected = slices.Insert(p.selected, i, c.Index)
		case !sel && had:
			p.selected = slices.Delete(p.selected, i, i+1)
		}
		if sel {
			for d := Ingress; d <= Egress; d++ {
				if p.Types[d] {
					c.policies[d] = append(c.policies[d], p)
				}
			}
		}
	}
	for p, r := range e.validRules() {
		for _, pe := range r.Peers {
			if pe.IPBlock != nil {
				continue
			}
			var in bool
			if pe.NamespaceSelector == nil {
				in = p.Namespace == c.Namespace
			} else {
				in = pe.NamespaceSelector.Matches(ns.Labels)
			}
			in = in && pe.PodSelector.Matches(c.Labels)
			if in == pe.pods.has(c.Index) {
				continue
			}
			peers = append(peers, pe)
			if in {
				pe.pods.set(c.Index, len(e.classes))
			} else {
				pe.pods.unset(c.Index)
			}
		}
		r.rematch(c.Index, len(e.classes))
	}
	return peers
}

// rematch sets class ci of the rule's classes from its peers', out of n classes.
func (r *Rule) rematch(ci, n int) {
	for _, pe := range r.Peers {
		if pe.IPBlock == nil && pe.pods.has(ci) {
			r.pods.set(ci, n)
			return
		}
	}
	r.pods.unset(ci)
}

// replacePolicy puts pol in prev's place, matches it, and lists the policies of the
// classes either selects again.
func (e *Engine) replacePolicy(prev, pol *Policy) {
	pol.index = prev.index
	e.policies[prev.index] = pol
	inNS := e.polByNS[prev.Namespace]
	inNS[slices.Index(inNS, prev)] = pol
	if pol.Spec == nil {
		return
	}
	e.matchPolicy(pol)
	touched := map[int]bool{}
	for _, ci := range prev.selected {
		touched[ci] = true
	}
	for _, ci := range pol.selected {
		touched[ci] = true
	}
	for ci := range touched {
		c := e.classes[ci]
		c.policies = [2][]*Policy{}
		for _, p := range inNS {
			if !p.Valid() || !slices.Contains(p.selected, ci) {
				continue
			}
			for d := Ingress; d <= Egress; d++ {
				if p.Types[d] {
					c.policies[d] = append(c.policies[d], p)
				}
			}
		}
	}
}

// numberRules numbers the rules of valid policies in order, as New does.
func (e *Engine) numberRules() {
	e.rules = 0
	for _, r := range e.validRules() {
		r.id = e.rules
		e.rules++
	}
}

// addedOrRemoved handles a change that added or removed objects: nothing the engine reads
// (unmoved), or NetworkPolicies, Namespaces or workloads alone.
func (t *Tracker) addedOrRemoved(inv *inventory.Inventory) (Change, bool) {
	before, after := engineInput(t.objs), engineInput(inv.All())
	if t.unmoved(inv, before, after) {
		return Change{}, true
	}
	if c, ok := t.policiesAddedOrRemoved(inv, before, after); ok {
		return c, true
	}
	if c, ok := t.namespacesAddedOrRemoved(inv, before, after); ok {
		return c, true
	}
	return t.workloadsAddedOrRemoved(inv, before, after)
}

// samePods says whether inv's pod templates (pods) are those the tracker read last, each running
// pods as it did.
func (t *Tracker) samePods(inv *inventory.Inventory, pods []inventory.PodTemplate) bool {
	if len(pods) != len(t.pods) {
		return false
	}
	for i, n := range pods {
		p := t.pods[i]
		if n.Owner != p.Owner || n.Spec != p.Spec || runsPods(inv, n) != (t.wl[i] != nil) {
			return false
		}
	}
	return true
}

// policiesAddedOrRemoved updates the engine in place when the only objects it reads that
// were added or removed are NetworkPolicies, each in a namespace that has a Namespace
// object or workloads (the namespaces that policies alone make known are numbered after
// those, in the order of their first policy: adding or removing one would renumber them).
// The pod templates must be those of before. It says whether it could.
func (t *Tracker) policiesAddedOrRemoved(inv *inventory.Inventory, before, after [3][]*inventory.Object) (Change, bool) {
	var c Change
	e := t.e
	if !slices.Equal(before[0], after[0]) || !slices.Equal(before[2], after[2]) {
		return c, false
	}
	pods := inv.PodTemplates()
	if !t.samePods(inv, pods) {
		return c, false
	}
	old := map[*inventory.Object]*Policy{}
	for _, p := range e.policies {
		if p.Object != nil {
			old[p.Object] = p
		}
	}
	if len(old) != len(e.policies) {
		return c, false
	}
	var read, unread []*Policy
	kept := map[*Policy]bool{}
	for _, o := range after[1] {
		p := old[o]
		if p != nil {
			kept[p] = true
		} else {
			ns := o.EffectiveNamespace()
			if ns == "" {
				ns = inventory.DefaultNamespace
			}
			if !e.anchored(ns) {
				return c, false
			}
			if np, err := policyFrom(o); err != nil {
				p = unreadPolicy(o, err)
			} else {
				p = compile(np, ns, o)
			}
			c.Policies = append(c.Policies, p)
		}
		if p.Spec == nil {
			unread = append(unread, p)
		} else {
			read = append(read, p)
		}
	}
	for _, p := range e.policies {
		if !kept[p] {
			if !e.anchored(p.Namespace) {
				return c, false
			}
			c.Previous = append(c.Previous, p)
		}
	}

	// From here on the update cannot fail.
	touched := map[string]map[int]bool{}
	touch := func(p *Policy) {
		if touched[p.Namespace] == nil {
			touched[p.Namespace] = map[int]bool{}
		}
		for _, ci := range p.selected {
			touched[p.Namespace][ci] = true
		}
	}
	for _, p := range c.Previous {
		touch(p)
	}
	e.policies = append(read, unread...)
	for i, p := range e.policies {
		p.index = i
	}
	for _, p := range c.Policies {
		if p.Spec != nil {
			e.matchPolicy(p)
		}
		touch(p)
	}
	for ns := range touched {
		delete(e.polByNS, ns)
	}
	for _, p := range e.policies {
		if touched[p.Namespace] != nil {
			e.polByNS[p.Namespace] = append(e.polByNS[p.Namespace], p)
		}
	}
	for ns, classes := range touched {
		for ci := range classes {
			e.classPolicies(e.classes[ci], e.polByNS[ns])
		}
	}
	e.numberRules()
	e.listProblems()
	t.objs = slices.Clone(inv.All())
	t.pods = slices.Clone(pods)
	return c, true
}

// anchored reports whether namespace ns has a Namespace object or workloads: what makes it
// known to the engine before any policy.
func (e *Engine) anchored(ns string) bool {
	n := e.nsByName[ns]
	if n == nil {
		return false
	}
	if n.Object != nil || len(e.wlByNS[ns]) > 0 {
		return true
	}
	for _, w := range e.hostNet {
		if w.Namespace == ns {
			return true
		}
	}
	return false
}

// classPolicies lists again the policies of c, from inNS, the policies of its namespace in
// order.
func (e *Engine) classPolicies(c *Class, inNS []*Policy) {
	c.policies = [2][]*Policy{}
	for _, p := range inNS {
		if !p.Valid() {
			continue
		}
		if _, ok := slices.BinarySearch(p.selected, c.Index); !ok {
			continue
		}
		for d := Ingress; d <= Egress; d++ {
			if p.Types[d] {
				c.policies[d] = append(c.policies[d], p)
			}
		}
	}
}

// workloadsAddedOrRemoved updates the engine in place when the only objects it reads that
// were added or removed run pods, each in a namespace that has a Namespace object, and no
// cluster network policy is loaded: new workloads join their class or make a new one,
// classes that lose their last workload go, and the classes are numbered again in the
// order of their first workloads, as New numbers them. It says whether it could.
func (t *Tracker) workloadsAddedOrRemoved(inv *inventory.Inventory, before, after [3][]*inventory.Object) (Change, bool) {
	var c Change
	e := t.e
	if len(e.cluster) > 0 {
		return c, false
	}
	for k := range before {
		if !slices.Equal(before[k], after[k]) {
			return c, false
		}
	}
	// The templates still there keep their order, and whether they run pods.
	pods := inv.PodTemplates()
	type tmpl struct {
		o *inventory.Object
		s *corev1.PodSpec
	}
	oldAt := make(map[tmpl]int, len(t.pods))
	for i, p := range t.pods {
		oldAt[tmpl{p.Owner, p.Spec}] = i
	}
	wl := make([]*Workload, len(pods))
	kept := make([]bool, len(t.pods))
	last := -1
	var added []int
	for i, p := range pods {
		runs := runsPods(inv, p)
		if j, ok := oldAt[tmpl{p.Owner, p.Spec}]; ok {
			if j <= last || runs != (t.wl[j] != nil) {
				return c, false
			}
			last, kept[j], wl[i] = j, true, t.wl[j]
			continue
		}
		if runs {
			if ns := e.nsByName[p.Namespace()]; ns == nil || ns.Object == nil {
				return c, false
			}
			added = append(added, i)
		}
	}
	var removed []*Workload
	for j, w := range t.wl {
		if w != nil && !kept[j] {
			if e.nsByName[w.Namespace].Object == nil {
				return c, false
			}
			removed = append(removed, w)
		}
	}

	// From here on the update cannot fail.
	touchedNS := map[string]bool{}
	touched := map[*Class]bool{}
	for _, w := range removed {
		touchedNS[w.Namespace] = true
		if w.class != nil {
			touched[w.class] = true
		}
	}
	fresh := map[string]*Class{} // new classes by key
	freshKey := map[*Class]string{}
	for _, i := range added {
		nw := workloadOf(pods[i])
		w := &nw
		wl[i] = w
		c.Workloads = append(c.Workloads, w)
		touchedNS[w.Namespace] = true
		if w.HostNetwork {
			continue
		}
		ports := sortedPorts(w.Ports)
		k := classKeyOf(w.Namespace, w.Labels, ports)
		var cl *Class
		if ci, ok := e.classIndex(k); ok {
			cl = e.classes[ci]
		} else if cl = fresh[k]; cl == nil {
			cl = &Class{Index: -1, Namespace: w.Namespace, Labels: w.Labels, Ports: ports, ns: e.nsByName[w.Namespace]}
			fresh[k] = cl
			freshKey[cl] = k
		}
		w.class = cl
		touched[cl] = true
	}
	// Workloads, their classes' members, and the classes in the order of their first
	// workload.
	e.workloads, e.hostNet = e.workloads[:0], e.hostNet[:0]
	for cl := range touched {
		cl.Workloads = nil
	}
	var order []*Class
	inOrder := map[*Class]bool{}
	for _, w := range wl {
		if w == nil {
			continue
		}
		if w.HostNetwork {
			e.hostNet = append(e.hostNet, w)
			continue
		}
		e.workloads = append(e.workloads, w)
		cl := w.class
		if touched[cl] {
			cl.Workloads = append(cl.Workloads, w)
		}
		if !inOrder[cl] {
			inOrder[cl] = true
			order = append(order, cl)
		}
	}
	renumber := len(order) != len(e.classes)
	for i, cl := range order {
		renumber = renumber || cl.Index != i
	}
	if renumber {
		c.ClassPeers = e.renumber(order, freshKey, c.ClassPeers)
	}
	had := map[string]bool{}
	for ns := range touchedNS {
		had[ns] = len(e.wlByNS[ns]) > 0
		delete(e.wlByNS, ns)
	}
	for _, w := range e.workloads {
		if touchedNS[w.Namespace] {
			e.wlByNS[w.Namespace] = append(e.wlByNS[w.Namespace], w)
		}
	}
	// Whether a namespace runs workloads is part of what peer-matches-nothing says of the
	// peers whose namespaceSelector matches it.
	var emptied []labels.Set
	for ns := range touchedNS {
		if had[ns] != (len(e.wlByNS[ns]) > 0) {
			emptied = append(emptied, e.nsByName[ns].Labels)
		}
	}
	if len(emptied) > 0 {
		c.NamespacePeers = e.peersMatching(emptied, c.NamespacePeers)
	}
	for ns := range touchedNS {
		seen := map[string]*Workload{}
		for _, w := range e.wlByNS[ns] {
			w.clash = false
			if other := seen[w.Name]; other != nil {
				other.clash, w.clash = true, true
			}
			seen[w.Name] = w
		}
	}
	t.objs = slices.Clone(inv.All())
	t.pods = slices.Clone(pods)
	t.wl = wl
	return c, true
}

// renumber makes order the engine's classes: those of before that are in it keep their
// matches under their new numbers, the new ones (Index -1, with their keys in fresh) are
// matched against every policy. It adds to peers those whose classes changed.
func (e *Engine) renumber(order []*Class, fresh map[*Class]string, peers []*Peer) []*Peer {
	n := len(order)
	to := make([]int32, len(e.classes))
	for i := range to {
		to[i] = -1
	}
	for i, cl := range order {
		if cl.Index >= 0 {
			to[cl.Index] = int32(i)
		}
	}
	var buf []int32
	remap := func(s *classSet) {
		buf = buf[:0]
		s.each(func(i int) {
			if j := to[i]; j >= 0 {
				buf = append(buf, j)
			}
		})
		slices.Sort(buf)
		*s = *classSetOf(buf, n)
	}
	for _, p := range e.policies {
		if !p.Valid() {
			continue
		}
		sel := p.selected[:0]
		for _, ci := range p.selected {
			if j := to[ci]; j >= 0 {
				sel = append(sel, int(j))
			}
		}
		slices.Sort(sel)
		p.selected = sel
		for _, rules := range p.Rules {
			for _, r := range rules {
				shared := false
				for _, pe := range r.Peers {
					if pe.IPBlock != nil {
						continue
					}
					shared = shared || pe.pods == r.pods
					lost := false
					pe.pods.each(func(i int) { lost = lost || to[i] < 0 })
					if lost {
						peers = append(peers, pe)
					}
					remap(pe.pods)
				}
				if !shared {
					remap(r.pods)
				}
			}
		}
	}
	keys := make([]string, n)
	for i, cl := range order {
		if cl.Index >= 0 {
			keys[i] = e.classKeys[cl.Index]
		} else {
			keys[i] = fresh[cl]
		}
	}
	for i, cl := range order {
		cl.Index = i
	}
	if e.classIdx != nil && e.classIdx.n == len(e.classes) {
		e.classIdx.remap(to, n)
		for _, cl := range order {
			if _, ok := fresh[cl]; ok {
				e.classIdx.move(cl.Index, nil, cl.Labels)
			}
		}
	} else {
		e.classIdx = nil
	}
	e.classes, e.classKeys = order, keys
	e.keyIndex = nil
	e.classLabelIndex()
	for _, ns := range e.namespaces {
		ns.classes = nil
	}
	sigs := map[string]int{}
	for _, cl := range order {
		cl.ns.classes = append(cl.ns.classes, cl.Index)
		sig := classKeyOf("", nil, cl.Ports)
		if _, ok := sigs[sig]; !ok {
			sigs[sig] = len(sigs)
		}
		cl.portSig = sigs[sig]
	}
	for _, cl := range order {
		if _, ok := fresh[cl]; ok {
			peers = e.matchNewClass(cl, peers)
		}
	}
	return peers
}

// matchNewClass matches a class new to the engine against every policy, and adds to peers
// those that match it.
func (e *Engine) matchNewClass(c *Class, peers []*Peer) []*Peer {
	n := len(e.classes)
	inNS := e.polByNS[c.Namespace]
	for _, p := range inNS {
		if p.Valid() && (p.selectsAll || p.selector.Matches(c.Labels)) {
			i, _ := slices.BinarySearch(p.selected, c.Index)
			p.selected = slices.Insert(p.selected, i, c.Index)
		}
	}
	e.classPolicies(c, inNS)
	for _, r := range e.validRules() {
		matched := false
		for _, pe := range r.Peers {
			if pe.IPBlock != nil || !pe.MatchesPod(c.Namespace, c.ns.Labels, c.Labels) {
				continue
			}
			matched = true
			peers = append(peers, pe)
			pe.pods.set(c.Index, n)
		}
		if matched {
			r.rematch(c.Index, n)
		}
	}
	return peers
}

// namespacesAddedOrRemoved updates the engine in place when the only objects it reads that
// were added or removed are Namespaces, and no cluster network policy is loaded: the
// namespaces are listed again in New's order (Namespace objects, then those of workloads,
// then those of policies), and the peers with a namespaceSelector are matched again against
// the classes of those whose labels changed. It says whether it could.
func (t *Tracker) namespacesAddedOrRemoved(inv *inventory.Inventory, before, after [3][]*inventory.Object) (Change, bool) {
	var c Change
	e := t.e
	if len(e.cluster) > 0 {
		return c, false
	}
	if !slices.Equal(before[1], after[1]) || !slices.Equal(before[2], after[2]) {
		return c, false
	}
	pods := inv.PodTemplates()
	if !t.samePods(inv, pods) {
		return c, false
	}

	// From here on the update cannot fail.
	type next struct {
		ns  *Namespace
		obj *inventory.Object
	}
	var order []next
	var moved []labels.Set // labels of namespaces added, removed, or listed elsewhere
	at := map[string]int{}
	add := func(name string, obj *inventory.Object) {
		if i, ok := at[name]; ok {
			if obj != nil {
				order[i].obj = obj
			}
			return
		}
		at[name] = len(order)
		order = append(order, next{e.nsByName[name], obj})
	}
	for _, o := range after[0] {
		add(o.Name, o)
	}
	for _, w := range t.wl {
		if w != nil {
			add(w.Namespace, nil)
		}
	}
	for _, p := range e.policies {
		if p.Spec != nil {
			add(p.Namespace, nil)
		}
	}
	gone, inPrev := map[*Namespace]bool{}, map[*Namespace]bool{}
	for _, ns := range e.namespaces {
		gone[ns], inPrev[ns] = true, true
	}
	prev := slices.Clone(e.namespaces)
	e.namespaces = e.namespaces[:0]
	for i, nx := range order {
		ns := nx.ns
		if ns == nil {
			// Only Namespace objects bring names the engine did not know.
			ns = &Namespace{Name: nx.obj.Name, Labels: namespaceLabels(nx.obj.Name, nx.obj.Labels()), Object: nx.obj}
			e.nsByName[ns.Name] = ns
			moved = append(moved, ns.Labels)
		} else {
			delete(gone, ns)
			l := labels.Set{NamespaceNameLabel: ns.Name}
			if nx.obj != nil {
				l = namespaceLabels(ns.Name, nx.obj.Labels())
			}
			ns.Object = nx.obj
			if !labelsEqual(l, ns.Labels) {
				c.Namespaces = append(c.Namespaces, ns)
				c.Before = append(c.Before, ns.Labels)
				prev := ns.Labels
				ns.Labels = l
				c.NamespacePeers = e.rematchNamespace(ns, prev, c.NamespacePeers)
			}
		}
		ns.pos = i
		e.namespaces = append(e.namespaces, ns)
	}
	for ns := range gone {
		delete(e.nsByName, ns.Name)
		moved = append(moved, ns.Labels)
	}
	// Peers list the namespaces they match in the engine's order (peer-matches-nothing
	// names them): those matching a namespace that moved among the others changed too.
	var was, is []*Namespace
	for _, ns := range prev {
		if !gone[ns] {
			was = append(was, ns)
		}
	}
	for _, ns := range e.namespaces {
		if inPrev[ns] {
			is = append(is, ns)
		}
	}
	first, last := -1, -1
	for i := range is {
		if is[i] != was[i] {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first >= 0 {
		for _, ns := range is[first : last+1] {
			moved = append(moved, ns.Labels)
		}
	}
	if len(moved) > 0 {
		c.NamespacePeers = e.peersMatching(moved, c.NamespacePeers)
	}
	e.nsIndex = nil
	e.namespaceIndex()
	t.objs = slices.Clone(inv.All())
	t.pods = slices.Clone(pods)
	return c, true
}

// peersMatching adds to peers those with a namespaceSelector that matches one of ls: the
// peers whose answers a namespace added, removed or moved changes (for probes, and the
// order of the namespaces they match).
func (e *Engine) peersMatching(ls []labels.Set, peers []*Peer) []*Peer {
	for _, r := range e.validRules() {
		for _, pe := range r.Peers {
			if pe.IPBlock != nil || pe.NamespaceSelector == nil {
				continue
			}
			for _, l := range ls {
				if pe.NamespaceSelector.Matches(l) {
					peers = append(peers, pe)
					break
				}
			}
		}
	}
	return peers
}
