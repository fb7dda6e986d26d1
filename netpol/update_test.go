package netpol

import (
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/netpol/netpoltest"
)

// TestTrackerEqualsFromInventory changes random worlds in place, a step at a time (pod
// labels, alone in their class or joining another, named ports, hostNetwork; namespace
// labels; policies changed, made invalid, added and deleted; pods and namespaces added and deleted; now and
// then a cluster network policy), and checks after each step that the engine the tracker
// updated is the engine built from scratch: every namespace, workload, class, policy, rule
// and peer, with the classes each selects or matches, in the same order, and the same matrix.
// Policies, pods and namespaces added or deleted must be updated in place at least once.
func TestTrackerEqualsFromInventory(t *testing.T) {
	worlds, steps := 120, 30
	if testing.Short() {
		worlds = 30
	}
	inPlace, rebuilt, policiesInPlace, podsInPlace, nsInPlace := 0, 0, 0, 0, 0
	for it := 0; it < worlds; it++ {
		r := rand.New(rand.NewSource(int64(it)))
		inv := inventory.Build(netpoltest.RandomWorld(r))
		// A second world's policies and pods are what changes draw from.
		pool := netpoltest.RandomWorld(r)
		tr := NewTracker()
		tr.Engine(inv)
		for step := 0; step < steps; step++ {
			what := changeWorld(t, r, inv, pool, step)
			got := tr.Engine(inv)
			if tr.Changed(inv).All {
				rebuilt++
			} else {
				inPlace++
				if (strings.HasPrefix(what, "added ") || strings.HasPrefix(what, "deleted ")) && strings.Contains(what, "/NetworkPolicy/") {
					policiesInPlace++
				}
				if strings.Contains(what, "added ") && strings.Contains(what, "/Pod/added-") || strings.HasPrefix(what, "deleted ") && strings.Contains(what, "/Pod/") {
					podsInPlace++
				}
				if (strings.HasPrefix(what, "added ") || strings.HasPrefix(what, "deleted ")) && strings.Contains(what, " Namespace/") {
					nsInPlace++
				}
			}
			want := FromInventory(inventory.Build(slices.Clone(inv.All())))
			if g, w := dumpEngine(got), dumpEngine(want); g != w {
				t.Fatalf("world %d step %d (%s): updated engine differs from a new one:\n%s", it, step, what, firstDiff(g, w))
			}
			if g, w := dumpMatrix(got), dumpMatrix(want); g != w {
				t.Fatalf("world %d step %d (%s): matrices differ:\n%s", it, step, what, firstDiff(g, w))
			}
		}
	}
	if inPlace < rebuilt/4 || rebuilt == 0 {
		t.Fatalf("the steps do not exercise both paths: %d updated in place, %d rebuilt", inPlace, rebuilt)
	}
	if policiesInPlace == 0 || podsInPlace == 0 || nsInPlace == 0 {
		t.Fatalf("NetworkPolicies (%d), pods (%d) or Namespaces (%d) added or deleted were never updated in place", policiesInPlace, podsInPlace, nsInPlace)
	}
	t.Logf("%d updated in place (%d policies, %d pods, %d namespaces added or deleted), %d rebuilt", inPlace, policiesInPlace, podsInPlace, nsInPlace, rebuilt)
}

// TestTrackerOtherInventory checks that a tracker builds afresh for an inventory other than
// the one it follows, leaving its own engine alone.
func TestTrackerOtherInventory(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	inv := inventory.Build(netpoltest.RandomWorld(r))
	tr := NewTracker()
	e := tr.Engine(inv)
	before := dumpEngine(e)
	other := inv.With(inventory.Change{Delete: []inventory.Ref{inv.ByKind("Pod")[0].Ref}}, nil)
	if o := tr.Engine(other); o == e || dumpEngine(o) != dumpEngine(FromInventory(other)) {
		t.Fatal("the engine of another inventory is not built afresh")
	}
	if dumpEngine(e) != before || tr.Engine(inv) != e {
		t.Fatal("asking about another inventory changed the tracked engine")
	}
}

// changeWorld makes one random change to inv in place and says what it was.
func changeWorld(t *testing.T, r *rand.Rand, inv *inventory.Inventory, pool []*inventory.Object, step int) string {
	t.Helper()
	pods, nss, pols := inv.ByKind("Pod"), inv.ByKind("Namespace"), inv.ByKind("NetworkPolicy")
	copyOf := func(o *inventory.Object) *inventory.Object {
		return inventory.New(o.Obj.DeepCopyObject(), o.Source, o.Lines)
	}
	switch op := r.Intn(20); {
	case op < 5 && len(pods) > 0: // a pod's labels: alone in a class, or joining others
		o := copyOf(pods[r.Intn(len(pods))])
		l := map[string]string{}
		switch r.Intn(3) {
		case 0:
			l["app"] = []string{"web", "api", "db"}[r.Intn(3)]
		case 1:
			l["app"], l["unique"] = "web", fmt.Sprint(step)
		default:
			l["unique"] = fmt.Sprint(step)
			if r.Intn(2) == 0 {
				l["tier"] = "front"
			}
		}
		o.Meta.SetLabels(l)
		inv.Upsert(o)
		return "labels of " + o.Ref.String()
	case op < 6 && len(pods) > 0: // named ports, hostNetwork, or nothing the engine reads
		o := copyOf(pods[r.Intn(len(pods))])
		spec := &o.Obj.(*corev1.Pod).Spec
		switch r.Intn(3) {
		case 0:
			spec.Containers[0].Ports = append(spec.Containers[0].Ports, corev1.ContainerPort{Name: "extra", ContainerPort: 7000})
		case 1:
			spec.HostNetwork = !spec.HostNetwork
		default:
			spec.Containers[0].Image = "changed"
		}
		inv.Upsert(o)
		return "spec of " + o.Ref.String()
	case op < 9 && len(nss) > 0: // a namespace's labels
		o := copyOf(nss[r.Intn(len(nss))])
		l := map[string]string{}
		if r.Intn(2) == 0 {
			l["env"] = []string{"prod", "dev"}[r.Intn(2)]
		}
		if r.Intn(2) == 0 {
			l["team"] = []string{"x", "z"}[r.Intn(2)]
		}
		if r.Intn(4) == 0 {
			l["unrelated"] = fmt.Sprint(step)
		}
		o.Meta.SetLabels(l)
		inv.Upsert(o)
		return "labels of " + o.Ref.String()
	case op < 13 && len(pols) > 0: // a policy's spec, or only its labels
		o := copyOf(pols[r.Intn(len(pols))])
		np := o.Obj.(*networkingv1.NetworkPolicy)
		switch r.Intn(4) {
		case 0:
			np.Labels = map[string]string{"changed": fmt.Sprint(step)}
		case 1: // rejected by the API server: a peer with nothing in it
			np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{}}})
		default:
			var from *networkingv1.NetworkPolicy
			for _, p := range pool {
				if x, ok := p.Obj.(*networkingv1.NetworkPolicy); ok && (from == nil || r.Intn(3) == 0) {
					from = x
				}
			}
			np.Spec = *from.Spec.DeepCopy()
		}
		inv.Upsert(o)
		return "policy " + o.Ref.String()
	case op < 15: // a policy added or deleted
		if len(pols) > 0 && r.Intn(2) == 0 {
			o := pols[r.Intn(len(pols))]
			inv.Delete(o.Ref)
			return "deleted " + o.Ref.String()
		}
		for _, p := range pool {
			if p.Kind == "NetworkPolicy" && r.Intn(2) == 0 {
				o := copyOf(p)
				o.Meta.SetName(fmt.Sprintf("added-%d", step))
				o = inventory.New(o.Obj, o.Source, o.Lines)
				inv.Upsert(o)
				return "added " + o.Ref.String()
			}
		}
		return "nothing"
	case op < 17: // a pod added or deleted (or both), in any namespace, new ones too
		what := ""
		if len(pods) > 0 && r.Intn(2) == 0 {
			o := pods[r.Intn(len(pods))]
			inv.Delete(o.Ref)
			what = "deleted " + o.Ref.String()
			if r.Intn(2) == 0 {
				return what
			}
		}
		o := copyOf(pool[len(pool)-1-r.Intn(3)])
		if o.Kind != "Pod" {
			return what
		}
		o.Meta.SetName(fmt.Sprintf("added-%d", step))
		o.Meta.SetNamespace([]string{"a", "b", "e"}[r.Intn(3)])
		o = inventory.New(o.Obj, o.Source, o.Lines)
		inv.Upsert(o)
		return what + " added " + o.Ref.String()
	case op < 18 && len(pods) > 0 && r.Intn(3) > 0: // objects the engine does not read come and go
		if cms := inv.ByKind("ConfigMap"); len(cms) > 0 && r.Intn(2) == 0 {
			inv.Delete(cms[r.Intn(len(cms))].Ref)
			return "deleted a ConfigMap"
		}
		if r.Intn(2) == 0 {
			cm := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
				ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%d", step), Namespace: "a"}}
			inv.Upsert(inventory.New(cm, inventory.Source{}, nil))
			return "added a ConfigMap"
		}
		// A pod that a loaded object controls: that object stands for it.
		owner := pods[r.Intn(len(pods))]
		o := copyOf(owner)
		o.Meta.SetName(fmt.Sprintf("owned-%d", step))
		o.Meta.SetOwnerReferences([]metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: owner.Name, Controller: ptrTo(true)}})
		o = inventory.New(o.Obj, o.Source, o.Lines)
		inv.Upsert(o)
		return "added " + o.Ref.String() + ", controlled by " + owner.Ref.String()
	case op == 18: // a Namespace object added (for a name workloads use, or a new one) or deleted
		if len(nss) > 0 && r.Intn(2) == 0 {
			o := nss[r.Intn(len(nss))]
			inv.Delete(o.Ref)
			return "deleted " + o.Ref.String()
		}
		name := []string{"a", "b", "e", "f", "g"}[r.Intn(5)]
		if inv.Namespace(name) != nil {
			return "nothing"
		}
		ns := &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: name}}
		if r.Intn(2) == 0 {
			ns.Labels = map[string]string{"team": []string{"x", "z"}[r.Intn(2)]}
		}
		o := inventory.New(ns, inventory.Source{}, nil)
		inv.Upsert(o)
		return "added " + o.Ref.String()
	case op < 18: // a cluster network policy, which the tracker does not update in place
		anps, banp := randomClusterPolicies(r)
		if banp != nil && len(inv.ByKind(BANPKind)) == 0 {
			inv.Upsert(unstructuredObject(t, banp))
			return "added a BaselineAdminNetworkPolicy"
		}
		if len(anps) > 0 {
			a := anps[0]
			a.Name = fmt.Sprintf("anp-%d", step)
			inv.Upsert(unstructuredObject(t, a))
			return "added an AdminNetworkPolicy"
		}
		return "nothing"
	}
	return "nothing"
}

// dumpEngine writes out everything the engine holds, in its order, naming objects by
// address: two engines of one inventory dump alike.
func dumpEngine(e *Engine) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	lbl := func(l map[string]string) string {
		keys := make([]string, 0, len(l))
		for k := range l {
			keys = append(keys, k+"="+l[k])
		}
		sort.Strings(keys)
		return strings.Join(keys, ",")
	}
	wl := func(w *Workload) string {
		s := fmt.Sprintf("%s %s %s {%s} %v obj=%p host=%v clash=%v", w.ID(), w.Kind, w.Namespace, lbl(w.Labels), w.Ports, w.Object, w.HostNetwork, w.clash)
		if w.Template != nil {
			s += fmt.Sprintf(" tmpl=%p/%p/%s", w.Template.Owner, w.Template.Spec, w.Template.Path)
		}
		if w.class != nil {
			s += fmt.Sprintf(" class=%d", w.class.Index)
		}
		return s
	}
	bits := func(s *classSet) string {
		var out []string
		s.each(func(i int) { out = append(out, fmt.Sprint(i)) })
		return strings.Join(out, ",")
	}
	for _, ns := range e.namespaces {
		p("ns %s {%s} obj=%p classes=%v same=%v", ns.Name, lbl(ns.Labels), ns.Object, ns.classes, e.nsByName[ns.Name] == ns)
	}
	for _, w := range e.workloads {
		p("wl %s", wl(w))
	}
	for _, w := range e.hostNet {
		p("host %s", wl(w))
	}
	for ns, ws := range sortedMap(e.wlByNS) {
		var ids []string
		for _, w := range ws {
			ids = append(ids, wl(w))
		}
		p("wlByNS %s: %s", ns, strings.Join(ids, "; "))
	}
	for i, c := range e.classes {
		var ws []string
		for _, w := range c.Workloads {
			ws = append(ws, fmt.Sprintf("%p", w.Object))
			if w.class != c {
				ws = append(ws, "(class pointer differs)")
			}
		}
		var pols [2][]int
		for d := range c.policies {
			for _, pol := range c.policies[d] {
				pols[d] = append(pols[d], pol.index)
			}
		}
		var cl []string
		for t := range c.cluster {
			for d := range c.cluster[t] {
				for _, r := range c.cluster[t][d] {
					cl = append(cl, fmt.Sprintf("%d/%d:%s", t, d, r))
				}
			}
		}
		p("class %d/%d %s {%s} %v sig=%d ns=%s key=%q ws=%v pols=%v cluster=%v", i, c.Index, c.Namespace, lbl(c.Labels), c.Ports, c.portSig, c.ns.Name, e.classKeys[i], ws, pols, cl)
	}
	for i, pol := range e.policies {
		p("policy %d/%d %s obj=%p valid=%v problems=%v types=%v defaulted=%v all=%v selected=%v spec=%v", i, pol.index, pol.ID(), pol.Object, pol.Valid(), pol.Problems, pol.Types, pol.Defaulted, pol.selectsAll, pol.selected, pol.Spec != nil)
		for d, rules := range pol.Rules {
			for _, r := range rules {
				p("  rule %d/%d id=%d allPeers=%v allPorts=%v pods=%s ips=%v policy=%v", d, r.Index, r.id, r.AllPeers, r.AllPorts, bits(r.pods), r.ips, r.Policy == pol)
				for _, pe := range r.Peers {
					p("    peer %d pods=%s", pe.Index, bits(pe.pods))
				}
			}
		}
	}
	for ns, ps := range sortedMap(e.polByNS) {
		var ids []int
		for _, pol := range ps {
			ids = append(ids, pol.index)
		}
		p("polByNS %s: %v", ns, ids)
	}
	for _, cp := range e.cluster {
		p("cluster %s valid=%v selected=%v", cp.ID(), cp.Valid(), cp.selected)
	}
	for _, cp := range e.sortedCluster {
		p("sorted %s", cp.ID())
	}
	p("rules=%d problems=%q", e.rules, e.problems)
	return b.String()
}

func sortedMap[V any](m map[string]V) func(func(string, V) bool) {
	return func(yield func(string, V) bool) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !yield(k, m[k]) {
				return
			}
		}
	}
}

// dumpMatrix writes the ports allowed between every two classes, and to and from the
// internet.
func dumpMatrix(e *Engine) string {
	m := e.Matrix()
	var b strings.Builder
	for _, s := range m.Classes() {
		for _, d := range m.Classes() {
			fmt.Fprintf(&b, "%d>%d %s\n", s.Index, d.Index, m.Ports(s, d))
		}
	}
	return b.String()
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n updated: %s\n     new: %s", i, a, b)
		}
	}
	return "(same)"
}

func ptrTo[T any](v T) *T { return &v }

// TestWithPoliciesEqualsNew checks that WithPolicies gives the engine of its input with
// the policies added, and leaves the engine it was called on as it was.
func TestWithPoliciesEqualsNew(t *testing.T) {
	for it := 0; it < 200; it++ {
		r := rand.New(rand.NewSource(int64(it)))
		objs := netpoltest.RandomWorld(r)
		e := FromInventory(inventory.Build(objs))
		before := dumpEngine(e)
		var extra []PolicyInput
		all := slices.Clone(objs)
		for i, o := range netpoltest.RandomWorld(r) {
			np, ok := o.Obj.(*networkingv1.NetworkPolicy)
			if !ok || r.Intn(3) > 0 {
				continue
			}
			np = np.DeepCopy()
			np.Name = fmt.Sprintf("extra-%d", i)
			obj := inventory.New(np, inventory.Source{}, nil)
			extra = append(extra, PolicyInput{Policy: np, Object: obj})
			all = append(all, obj)
		}
		got := e.WithPolicies(extra)
		if g, w := dumpEngine(got), dumpEngine(FromInventory(inventory.Build(all))); g != w {
			t.Fatalf("world %d: WithPolicies differs from a new engine:\n%s", it, firstDiff(g, w))
		}
		if after := dumpEngine(e); after != before {
			t.Fatalf("world %d: WithPolicies changed the engine it was called on:\n%s", it, firstDiff(after, before))
		}
	}
}
