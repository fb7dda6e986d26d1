package check_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/kubeharden/kubeharden/check"
	_ "github.com/kubeharden/kubeharden/checks/all"
	"github.com/kubeharden/kubeharden/internal/gen"
	"github.com/kubeharden/kubeharden/inventory"
)

var judgeAt = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// TestIncrementalEqualsFullRun is the property the monitor rests on: after every step of a
// random sequence of upserts, changes and deletions over a generated cluster, the
// evaluator's findings are byte for byte those of a full run over the final inventory, and
// its deltas account for the difference from the step before.
func TestIncrementalEqualsFullRun(t *testing.T) {
	seeds := []uint64{1, 2, 3}
	steps := 60
	if testing.Short() {
		seeds, steps = seeds[:1], 30
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { incrementalProperty(t, seed, steps) })
	}
}

func incrementalProperty(t *testing.T, seed uint64, steps int) {
	r := rand.New(rand.NewPCG(seed, 13))
	all := wrap(gen.Objects(40, int64(seed)))
	all = append(all, rbacObjects(objectNamespaces(all))...)
	all = append(all, ingressObjects(objectNamespaces(all))...)
	// Start with most of the cluster; the rest arrives during the run.
	var start, pool []*inventory.Object
	for _, o := range all {
		if r.IntN(4) == 0 {
			pool = append(pool, o)
		} else {
			start = append(start, o)
		}
	}
	hosts = serviceHosts(all)
	namespaces = objectNamespaces(all)
	checks := check.All()
	ev := check.NewEvaluator(inventory.Build(start), check.EvalOptions{Checks: checks, Now: judgeAt})
	before := ev.Findings()
	held := before
	equalRuns(t, "start", ev, checks)
	var deleted []*inventory.Object
	for step := range steps {
		var c inventory.Change
		cur := ev.Inventory().All()
		for range 1 + r.IntN(3) {
			switch op := r.IntN(10); {
			case op < 2 && len(pool) > 0: // a new object
				i := r.IntN(len(pool))
				c.Upsert = append(c.Upsert, pool[i])
				pool = append(pool[:i], pool[i+1:]...)
			case op < 3 && len(deleted) > 0: // one deleted earlier comes back
				i := r.IntN(len(deleted))
				c.Upsert = append(c.Upsert, deleted[i])
				deleted = append(deleted[:i], deleted[i+1:]...)
			case op < 5 && len(cur) > 0: // a deletion
				o := cur[r.IntN(len(cur))]
				c.Delete = append(c.Delete, o.Ref)
				deleted = append(deleted, o)
			case op < 7 && len(cur) > 0: // a change the engines may keep
				c.Upsert = append(c.Upsert, annotate(r, cur[r.IntN(len(cur))]))
			case len(cur) > 0: // a change
				c.Upsert = append(c.Upsert, mutate(r, cur[r.IntN(len(cur))]))
			}
		}
		d := ev.Apply(c)
		name := fmt.Sprintf("step %d (%s)", step, describe(c))
		after := equalRuns(t, name, ev, checks)
		if t.Failed() {
			return
		}
		// before − removed + added = after, as multisets.
		got := count(before, 1)
		for k, n := range count(d.Removed, -1) {
			got[k] += n
		}
		for k, n := range count(d.Added, 1) {
			got[k] += n
		}
		want := count(after, 1)
		for k, n := range got {
			if n != want[k] {
				t.Fatalf("%s: delta does not account for the change: %s counted %d, found %d", name, k, n, want[k])
			}
		}
		for k, n := range want {
			if got[k] != n {
				t.Fatalf("%s: delta does not account for the change: %s counted %d, found %d", name, k, got[k], n)
			}
		}
		before = after
		held = current(t, name, ev.Inventory(), held, d)
		if step%5 == 0 && len(cur) > 0 {
			judge(t, name, ev, checks, mutate(r, ev.Inventory().All()[r.IntN(ev.Inventory().Len())]))
		}
	}
}

// judge compares Judge(o) with the findings on o of a full run over the inventory with o
// upserted, and checks that judging left the evaluator as it was.
func judge(t *testing.T, step string, ev *check.Evaluator, checks []*check.Check, o *inventory.Object) {
	t.Helper()
	before := jsonOf(t, ev.Findings())
	got := ev.Judge(o)
	inv := inventory.Build(append([]*inventory.Object(nil), ev.Inventory().All()...))
	inv.Upsert(o)
	all, _ := check.RunAt(inv, nil, nil, checks, judgeAt)
	var want []check.Finding
	for _, f := range all {
		if f.Object.Key() == o.Key() {
			want = append(want, f)
		}
	}
	if g, w := jsonOf(t, got), jsonOf(t, want); !bytes.Equal(g, w) {
		t.Errorf("%s: Judge(%s):\n got %s\nwant %s", step, o.Ref, g, w)
	}
	if after := jsonOf(t, ev.Findings()); !bytes.Equal(before, after) {
		t.Errorf("%s: Judge(%s) changed the evaluator's findings", step, o.Ref)
	}
	equalRuns(t, step+" after Judge", ev, checks)
}

// equalRuns compares the evaluator's findings with a full run over a fresh inventory of its
// objects, as JSON.
func equalRuns(t *testing.T, step string, ev *check.Evaluator, checks []*check.Check) []check.Finding {
	t.Helper()
	got := ev.Findings()
	want, errs := check.RunAt(inventory.Build(append([]*inventory.Object(nil), ev.Inventory().All()...)), nil, nil, checks, judgeAt)
	if len(errs) > 0 || len(ev.Errors()) > 0 {
		t.Fatalf("%s: check errors: full %v, incremental %v", step, errs, ev.Errors())
	}
	gj, wj := jsonOf(t, got), jsonOf(t, want)
	if !bytes.Equal(gj, wj) {
		g, w := count(got, 1), count(want, 1)
		for k, n := range w {
			if g[k] != n {
				t.Errorf("%s: full run has %d× %s, incremental %d", step, n, k, g[k])
			}
		}
		for k, n := range g {
			if w[k] == 0 {
				t.Errorf("%s: incremental has %d× %s, full run none", step, n, k)
			}
		}
		if !t.Failed() {
			t.Errorf("%s: same findings in another order", step)
		}
	}
	return got
}

func jsonOf(t *testing.T, fs []check.Finding) []byte {
	b, err := json.Marshal(fs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// current applies d to the findings held as a monitor holds them, and checks that each
// names its object as the inventory now holds it: exceptions are read from its annotations.
func current(t *testing.T, name string, inv *inventory.Inventory, held []check.Finding, d check.Delta) []check.Finding {
	t.Helper()
	held = slices.Clone(held)
	key := func(f *check.Finding) string {
		b, _ := json.Marshal(f)
		return string(b)
	}
	for i := range d.Removed {
		r := &d.Removed[i]
		j := slices.IndexFunc(held, func(f check.Finding) bool { return check.ObjectOf(&f) == check.ObjectOf(r) && key(&f) == key(r) })
		if j < 0 {
			t.Fatalf("%s: the delta removes a finding not held: %s", name, key(r))
		}
		held = slices.Delete(held, j, j+1)
	}
	held = append(held, d.Added...)
	for i := range held {
		if o := check.ObjectOf(&held[i]); o != nil && inv.Lookup(o.Key()) != o {
			t.Fatalf("%s: a finding held names an object replaced since: %s", name, key(&held[i]))
		}
	}
	return held
}

func count(fs []check.Finding, sign int) map[string]int {
	m := map[string]int{}
	for _, f := range fs {
		b, _ := json.Marshal(f)
		m[string(b)] += sign
	}
	return m
}

func wrap(objs []runtime.Object) []*inventory.Object {
	out := make([]*inventory.Object, len(objs))
	for i, o := range objs {
		out[i] = inventory.New(o, inventory.Source{}, nil)
	}
	return out
}

func describe(c inventory.Change) string {
	s := ""
	for _, o := range c.Upsert {
		s += " +" + o.Ref.String()
	}
	for _, r := range c.Delete {
		s += " -" + r.String()
	}
	return s
}

// hosts name Services of the generated cluster from any namespace ("api.shop",
// "db.shop.svc.cluster.local"): what mutate writes into configuration, so that netpol
// generate finds paths between namespaces.
var hosts []string

func serviceHosts(objs []*inventory.Object) []string {
	var out []string
	for _, o := range objs {
		if o.Kind == "Service" {
			out = append(out, o.Name+"."+o.EffectiveNamespace(), o.Name+"."+o.EffectiveNamespace()+".svc.cluster.local")
		}
	}
	return out
}

// ingressObjects are an ingress-nginx controller with its ConfigMap, Cilium's ConfigMap and
// a TLS Ingress per namespace: what the ingress checks' partitions and engines follow.
func ingressObjects(nss []string) []*inventory.Object {
	cm := func(ns, name string, data map[string]string) runtime.Object {
		return &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Data: data}
	}
	out := []runtime.Object{
		cm("ingress-nginx", "ingress-nginx-controller", map[string]string{"ssl-redirect": "false", "hsts": "false"}),
		cm("kube-system", "cilium-config", map[string]string{"enable-wireguard": "false"}),
		&appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
			ObjectMeta: metav1.ObjectMeta{Name: "ingress-nginx-controller", Namespace: "ingress-nginx"},
			Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{
				Name: "controller", Image: "registry.k8s.io/ingress-nginx/controller:v1.12.0",
				Args: []string{"/nginx-ingress-controller", "--configmap=$(POD_NAMESPACE)/ingress-nginx-controller"}}}}}}},
	}
	for _, ns := range nss {
		out = append(out, &networkingv1.Ingress{TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
			ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
			Spec: networkingv1.IngressSpec{IngressClassName: ptr.To("nginx"),
				TLS:   []networkingv1.IngressTLS{{Hosts: []string{ns + ".example.com"}, SecretName: "web-tls"}},
				Rules: []networkingv1.IngressRule{{Host: ns + ".example.com"}}}})
	}
	return wrap(out)
}

// namespaces are those of the generated cluster: where mutate points RBAC subjects.
var namespaces []string

func objectNamespaces(objs []*inventory.Object) []string {
	var out []string
	for _, o := range objs {
		if ns := o.EffectiveNamespace(); ns != "" && !slices.Contains(out, ns) {
			out = append(out, ns)
		}
	}
	return out
}

// rbacObjects are, for each namespace, a Role and RoleBindings that grant the namespace's
// default service account, and one of the next namespace, what the RBAC checks report and
// what the workloads' checks follow: the generated cluster has few.
func rbacObjects(nss []string) []*inventory.Object {
	var out []runtime.Object
	for i, ns := range nss {
		next := nss[(i+1)%len(nss)]
		meta := func(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name, Namespace: ns} }
		out = append(out,
			&rbacv1.Role{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role"}, ObjectMeta: meta("reader"),
				Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"configmaps"}}}},
			&rbacv1.RoleBinding{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"}, ObjectMeta: meta("reader"),
				RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "reader"},
				Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "default"}}},
			&rbacv1.RoleBinding{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding"}, ObjectMeta: meta("neighbour"),
				RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "view"},
				Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "default", Namespace: next}}},
		)
	}
	return wrap(out)
}

func pickNamespace(r *rand.Rand) string {
	if len(namespaces) == 0 {
		return "default"
	}
	return namespaces[r.IntN(len(namespaces))]
}

func pickHost(r *rand.Rand) string {
	if len(hosts) == 0 {
		return "api.shop"
	}
	return hosts[r.IntN(len(hosts))]
}

// annotate returns a copy of o with an annotation no engine reads: an exception for some
// checks, or another.
func annotate(r *rand.Rand, o *inventory.Object) *inventory.Object {
	n := inventory.New(o.Obj.DeepCopyObject(), o.Source, o.Lines)
	a := maps.Clone(n.Meta.GetAnnotations())
	if a == nil {
		a = map[string]string{}
	}
	switch r.IntN(3) {
	case 0:
		a[check.IgnoreAnnotation] = "attack/*,rbac/*: accepted"
	case 1:
		a["example.com/note"] = fmt.Sprint(r.IntN(100))
	default:
		delete(a, check.IgnoreAnnotation)
	}
	n.Meta.SetAnnotations(a)
	return n
}

// mutate returns a changed copy of o: labels that selectors and namespace selectors read,
// Pod Security labels, and pod template fields that many checks judge.
func mutate(r *rand.Rand, o *inventory.Object) *inventory.Object {
	obj := o.Obj.DeepCopyObject()
	n := inventory.New(obj, o.Source, o.Lines)
	labels := n.Meta.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	switch r.IntN(4) {
	case 0:
		labels["app"] = fmt.Sprintf("changed-%d", r.IntN(3))
	case 1:
		if n.Kind == "Namespace" {
			levels := []string{"privileged", "baseline", "restricted"}
			labels["pod-security.kubernetes.io/enforce"] = levels[r.IntN(3)]
		} else {
			labels["team"] = "moved"
		}
	case 2:
		// A namespace moves in or out of what namespaceSelectors on "team" match.
		if labels["team"] == "moved" {
			delete(labels, "team")
		} else {
			labels["team"] = "moved"
		}
	default:
		delete(labels, "app")
	}
	n.Meta.SetLabels(labels)
	// What engines read besides labels: RBAC subjects, a service account's token, a
	// policy's selector.
	switch x := n.Obj.(type) {
	case *rbacv1.RoleBinding:
		// Subjects of the binding's namespace and of another, by name and by group: what
		// the partitions by service account follow.
		other := pickNamespace(r)
		switch r.IntN(7) {
		case 0, 1:
			x.Subjects = append(x.Subjects, rbacv1.Subject{Kind: "ServiceAccount", Name: "default", Namespace: x.Namespace})
		case 2:
			x.Subjects = append(x.Subjects, rbacv1.Subject{Kind: "ServiceAccount", Name: "default", Namespace: other})
		case 3:
			x.Subjects = append(x.Subjects, rbacv1.Subject{Kind: "Group", Name: "system:serviceaccounts:" + other})
		case 4:
			x.Subjects = append(x.Subjects, rbacv1.Subject{Kind: "User", Name: "system:serviceaccount:" + other + ":default"})
		case 5:
			x.Subjects = append(x.Subjects, rbacv1.Subject{Kind: "Group", Name: "system:serviceaccounts"})
		default:
			if len(x.Subjects) > 0 {
				x.Subjects = x.Subjects[1:]
			}
		}
	case *rbacv1.Role:
		// What the role grants: Secrets read, workloads and exec, or nothing.
		switch r.IntN(3) {
		case 0:
			x.Rules = append(x.Rules, rbacv1.PolicyRule{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"secrets"}})
		case 1:
			x.Rules = append(x.Rules, rbacv1.PolicyRule{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"pods", "pods/exec"}})
		default:
			x.Rules = nil
		}
	case *rbacv1.ClusterRoleBinding:
		if r.IntN(2) == 0 {
			x.Subjects = append(x.Subjects, rbacv1.Subject{Kind: "Group", Name: "system:authenticated"})
		}
	case *corev1.ServiceAccount:
		x.AutomountServiceAccountToken = ptr.To(r.IntN(2) == 0)
	case *corev1.ConfigMap:
		switch n.Name {
		case "ingress-nginx-controller", "cilium-config":
			// Turn the redirect, HSTS or the CNI's encryption on or off.
			keys := []string{"ssl-redirect", "force-ssl-redirect", "hsts", "enable-wireguard"}
			x.Data = maps.Clone(x.Data)
			if x.Data == nil {
				x.Data = map[string]string{}
			}
			x.Data[keys[r.IntN(len(keys))]] = fmt.Sprint(r.IntN(2) == 0)
			return n
		}
		switch r.IntN(3) {
		case 0:
			x.Data = map[string]string{"URL": fmt.Sprintf("http://api-%d:8080", r.IntN(3))}
		case 1:
			// A Service of another namespace: a path netpol generate allows on both ends.
			x.Data = map[string]string{"UPSTREAM": "http://" + pickHost(r) + ":80"}
		}
	case *corev1.Service:
		if r.IntN(2) == 0 {
			x.Spec.Selector = map[string]string{"app": fmt.Sprintf("changed-%d", r.IntN(3))}
		}
	case *networkingv1.Ingress:
		// The annotation that turns the redirect off for one Ingress.
		a := maps.Clone(n.Meta.GetAnnotations())
		if a == nil {
			a = map[string]string{}
		}
		a["nginx.ingress.kubernetes.io/ssl-redirect"] = fmt.Sprint(r.IntN(2) == 0)
		n.Meta.SetAnnotations(a)
	case *networkingv1.NetworkPolicy:
		switch r.IntN(4) {
		case 0:
			x.Spec.PodSelector = metav1.LabelSelector{MatchLabels: map[string]string{"app": fmt.Sprintf("changed-%d", r.IntN(3))}}
		case 1:
			x.Spec.PodSelector = metav1.LabelSelector{}
		case 2:
			// Peers in other namespaces, picked by a namespace label that mutate changes.
			x.Spec.Ingress = append(x.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "moved"}},
			}}})
		default:
			x.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
			x.Spec.Egress = append(x.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: []networkingv1.NetworkPolicyPeer{{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "moved"}},
				PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"app": fmt.Sprintf("changed-%d", r.IntN(3))}},
			}}})
		}
	}
	for _, t := range n.PodTemplates() {
		spec := t.Spec
		switch r.IntN(7) {
		case 6:
			// Configuration that names a Service of another namespace.
			if len(spec.Containers) > 0 {
				spec.Containers[0].Env = append(spec.Containers[0].Env, corev1.EnvVar{Name: "PEER_URL", Value: "http://" + pickHost(r) + ":80"})
			}
		case 0:
			if len(spec.Containers) > 0 {
				spec.Containers[0].Image = "nginx:latest"
			}
		case 1:
			if len(spec.Containers) > 0 {
				spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptr.To(true)}
			}
		case 2:
			spec.ServiceAccountName = "default"
			spec.AutomountServiceAccountToken = nil
		case 3:
			for i := range spec.Containers {
				spec.Containers[i].Resources = corev1.ResourceRequirements{}
			}
		case 4:
			spec.HostNetwork = !spec.HostNetwork
		default:
			if t.Meta.Labels == nil {
				t.Meta.Labels = map[string]string{}
			}
			t.Meta.Labels["app"] = fmt.Sprintf("changed-%d", r.IntN(3))
		}
	}
	return n
}

// TestJudgeConcurrent runs Judge from several goroutines while Apply switches an object
// between two versions (run it with -race): each Judge answers as it does for one of the
// two states, never a mix, and judging leaves the evaluator's findings those of a full run.
func TestJudgeConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 13))
	inv := inventory.Build(wrap(gen.Objects(30, 7)))
	checks := check.All()
	ev := check.NewEvaluator(inv, check.EvalOptions{Checks: checks, Now: judgeAt})
	all := ev.Inventory().All()
	// The object Apply switches: a namespace's labels, which many checks read, and a
	// RoleBinding and a NetworkPolicy, which engines read.
	var toggled []*inventory.Object
	for _, kind := range []string{"Namespace", "RoleBinding", "NetworkPolicy"} {
		if objs := ev.Inventory().ByKind(kind); len(objs) > 0 {
			toggled = append(toggled, objs[len(objs)/2])
		}
	}
	var judged []*inventory.Object
	for range 6 {
		judged = append(judged, mutate(r, all[r.IntN(len(all))]))
	}
	states := [][]*inventory.Object{toggled, nil}
	for _, o := range toggled {
		states[1] = append(states[1], mutate(r, o))
	}
	// What each judged object gets in either state, judged alone.
	want := make([]map[string]bool, len(judged))
	for i := range want {
		want[i] = map[string]bool{}
	}
	for _, s := range []int{1, 0} {
		ev.Apply(inventory.Change{Upsert: states[s]})
		for i, o := range judged {
			want[i][string(jsonOf(t, ev.Judge(o)))] = true
		}
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan string, 100)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				i := (g + n) % len(judged)
				b, _ := json.Marshal(ev.Judge(judged[i]))
				if !want[i][string(b)] {
					select {
					case errs <- fmt.Sprintf("Judge(%s) = %s, in neither state", judged[i].Ref, b):
					default:
					}
				}
			}
		}()
	}
	for i := range 20 {
		ev.Apply(inventory.Change{Upsert: states[(i+1)%2]})
		_ = ev.Findings()
	}
	close(stop)
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	equalRuns(t, "after concurrent Judge", ev, checks)
}

// TestNoFixes holds an Evaluator without fixes to the findings of one with them, fixes
// aside, over the same changes: leaving the fixes out must not change what is found.
func TestNoFixes(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 13))
	objs := wrap(gen.Objects(40, 7))
	checks := check.All()
	with := check.NewEvaluator(inventory.Build(slices.Clone(objs)), check.EvalOptions{Checks: checks, Now: judgeAt})
	without := check.NewEvaluator(inventory.Build(slices.Clone(objs)), check.EvalOptions{Checks: checks, Now: judgeAt, NoFixes: true})
	fixed := 0
	for step := range 20 {
		want := with.Findings()
		for i := range want {
			if want[i].Fixes != nil {
				fixed++
			}
			want[i].Fixes = nil
		}
		got := without.Findings()
		for i := range got {
			if got[i].Fixes != nil {
				t.Fatalf("step %d: a finding of %s kept its fixes", step, got[i].Check)
			}
		}
		if !bytes.Equal(jsonOf(t, got), jsonOf(t, want)) {
			t.Fatalf("step %d: the findings without fixes differ from those with them", step)
		}
		cur := with.Inventory().All()
		c := inventory.Change{Upsert: []*inventory.Object{mutate(r, cur[r.IntN(len(cur))])}}
		with.Apply(c)
		without.Apply(c)
	}
	if fixed == 0 {
		t.Fatal("no finding had a fix to leave out")
	}
}
