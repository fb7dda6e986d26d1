package inventory

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func object(r *rand.Rand) *Object {
	ns := fmt.Sprintf("ns-%d", r.IntN(3))
	name := fmt.Sprintf("o-%d", r.IntN(4))
	om := metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"v": fmt.Sprint(r.IntN(100))}}
	var obj runtime.Object
	switch r.IntN(5) {
	case 0:
		obj = &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: ns}}
	case 1:
		obj = &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: om}
	case 2:
		obj = &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: om}
	case 3:
		om.Namespace = ""
		obj = &rbacv1.ClusterRole{TypeMeta: metav1.TypeMeta{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole"}, ObjectMeta: om}
	default:
		if r.IntN(2) == 0 {
			om.Namespace = "" // the default namespace
		}
		obj = &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: om}
	}
	return New(obj, Source{}, nil)
}

// TestChangesKeepIndexes: after any sequence of upserts and deletions an inventory answers
// as Build of its objects does.
func TestChangesKeepIndexes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var start []*Object
	for range 10 {
		start = append(start, object(r))
	}
	given := slices.Clone(start)
	inv := Build(start)
	for step := range 500 {
		if r.IntN(3) == 0 && inv.Len() > 0 {
			o := inv.All()[r.IntN(inv.Len())]
			if got := inv.Delete(o.Ref); got == nil {
				t.Fatalf("step %d: Delete(%s) found nothing", step, o.Ref)
			}
		} else {
			o := object(r)
			prev := inv.Lookup(o.Key())
			if got := inv.Upsert(o); got != prev {
				t.Fatalf("step %d: Upsert returned %v, want %v", step, got, prev)
			}
		}
		same(t, step, inv, Build(slices.Clone(inv.All())))
	}
	if !slices.Equal(start, given) {
		t.Error("changes wrote into the slice given to Build")
	}
}

func same(t *testing.T, step int, got, want *Inventory) {
	t.Helper()
	if !slices.Equal(got.All(), want.All()) {
		t.Fatalf("step %d: All differs", step)
	}
	if !slices.Equal(got.Namespaces(), want.Namespaces()) {
		t.Fatalf("step %d: Namespaces %v, want %v", step, got.Namespaces(), want.Namespaces())
	}
	for _, k := range []string{"Namespace", "Pod", "Deployment", "ClusterRole", "ConfigMap"} {
		if !slices.Equal(got.ByKind(k), want.ByKind(k)) {
			t.Fatalf("step %d: ByKind(%s) differs", step, k)
		}
	}
	if len(got.byKind) != len(want.byKind) || len(got.byNS) != len(want.byNS) || len(got.byKey) != len(want.byKey) {
		t.Fatalf("step %d: index sizes differ", step)
	}
	for _, ns := range append(want.Namespaces(), "") {
		if !slices.Equal(got.InNamespace(ns), want.InNamespace(ns)) {
			t.Fatalf("step %d: InNamespace(%s) differs", step, ns)
		}
	}
	for k, o := range want.byKey {
		if got.byKey[k] != o {
			t.Fatalf("step %d: Get(%v) differs", step, k)
		}
	}
	gp, wp := got.PodTemplates(), want.PodTemplates()
	if len(gp) != len(wp) {
		t.Fatalf("step %d: %d pod templates, want %d", step, len(gp), len(wp))
	}
	for i := range wp {
		if gp[i].Owner != wp[i].Owner || gp[i].Spec != wp[i].Spec {
			t.Fatalf("step %d: pod template %d differs", step, i)
		}
	}
	// got's index by namespace was built at an earlier step: the changes since must have
	// dropped it.
	for _, ns := range append(want.Namespaces(), "", "none") {
		g, w := got.PodTemplatesIn(ns), want.PodTemplatesIn(ns)
		if len(g) != len(w) {
			t.Fatalf("step %d: %d pod templates in %q, want %d", step, len(g), ns, len(w))
		}
		for i := range w {
			if g[i].Owner != w[i].Owner || g[i].Spec != w[i].Spec || g[i].Namespace() != ns {
				t.Fatalf("step %d: pod template %d in %q differs", step, i, ns)
			}
		}
	}
}

func TestForgetRestore(t *testing.T) {
	inv := Build(nil)
	a := inv.Memo(keyA{}, func() any { return 1 })
	inv.Memo(keyB{1}, func() any { return 2 })
	m := inv.Forget(func(k any) bool { return k == keyA{} })
	if got := inv.Memo(keyA{}, func() any { return 3 }); got != 3 {
		t.Errorf("forgotten key kept %v", got)
	}
	if got := inv.Memo(keyB{1}, func() any { return 4 }); got != 2 {
		t.Errorf("other key lost: %v", got)
	}
	inv.Restore(m)
	if got := inv.Memo(keyA{}, func() any { return 5 }); got != a {
		t.Errorf("restored %v, want %v", got, a)
	}
	sub := inv.Subset(nil)
	if sub.Root() != inv || inv.Root() != inv {
		t.Error("Root of a subset is not its inventory")
	}
}

// TestWithLeavesOriginal: With answers as Build of the changed objects, and the inventory it
// was taken from still answers as Build of its own.
func TestWithLeavesOriginal(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var start []*Object
	for range 12 {
		start = append(start, object(r))
	}
	inv := Build(start)
	for step := range 300 {
		before := Build(slices.Clone(inv.All()))
		var c Change
		if r.IntN(3) == 0 && inv.Len() > 0 {
			c.Delete = append(c.Delete, inv.All()[r.IntN(inv.Len())].Ref)
		}
		c.Upsert = append(c.Upsert, object(r))
		w := inv.With(c, nil)
		want := Build(slices.Clone(inv.All()))
		want.Apply(c)
		same(t, step, w, Build(slices.Clone(want.All())))
		same(t, step, inv, before)
		// Move on from either, so that both get changed later.
		if r.IntN(2) == 0 {
			inv = w
		} else {
			inv.Apply(c)
		}
	}
}

func TestWithSharesBuiltMemos(t *testing.T) {
	inv := Build(nil)
	inv.Memo(keyA{}, func() any { return 1 })
	inv.Memo(keyB{1}, func() any { return 2 })
	w := inv.With(Change{}, func(k any) bool { return k == keyA{} })
	if got := w.Memo(keyA{}, func() any { return 3 }); got != 3 {
		t.Errorf("stale value kept: %v", got)
	}
	if got := w.Memo(keyB{1}, func() any { return 4 }); got != 2 {
		t.Errorf("value lost: %v", got)
	}
	if got := inv.Memo(keyA{}, func() any { return 5 }); got != 1 {
		t.Errorf("With changed the original's memo: %v", got)
	}
}
