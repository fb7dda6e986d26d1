package inventory

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestOrderedChanges: with SetOrder, any sequence of upserts and deletions leaves the
// inventory equal to Build of its objects sorted, wherever new objects came in.
func TestOrderedChanges(t *testing.T) {
	byKey := func(a, b *Object) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	}
	r := rand.New(rand.NewPCG(3, 4))
	inv := Build(nil)
	inv.SetOrder(byKey)
	for step := range 500 {
		if r.IntN(3) == 0 && inv.Len() > 0 {
			inv.Delete(inv.All()[r.IntN(inv.Len())].Ref)
		} else {
			inv.Upsert(object(r))
		}
		sorted := slices.Clone(inv.All())
		slices.SortStableFunc(sorted, byKey)
		same(t, step, inv, Build(sorted))
	}
	if inv.Len() < 10 {
		t.Fatalf("only %d objects at the end: the test exercised little", inv.Len())
	}
}

// TestOrderedTemplates: an order that ties many objects (by namespace alone), and
// replacements that add or drop an object's pod template (a ReplicationController's is
// optional), still leave the templates where Build puts them.
func TestOrderedTemplates(t *testing.T) {
	byNS := func(a, b *Object) int { return cmp.Compare(a.Namespace, b.Namespace) }
	r := rand.New(rand.NewPCG(5, 6))
	inv := Build(nil)
	inv.SetOrder(byNS)
	replaced := 0
	for step := range 800 {
		switch n := r.IntN(4); {
		case n == 0 && inv.Len() > 0:
			inv.Delete(inv.All()[r.IntN(inv.Len())].Ref)
		case n == 1:
			if inv.Upsert(controller(r)) != nil {
				replaced++
			}
		default:
			inv.Upsert(object(r))
		}
		same(t, step, inv, Build(slices.Clone(inv.All())))
		if !slices.IsSortedFunc(inv.All(), byNS) {
			t.Fatalf("step %d: objects not in order", step)
		}
	}
	if inv.Len() < 10 || replaced < 20 {
		t.Fatalf("%d objects at the end, %d controllers replaced: the test exercised little", inv.Len(), replaced)
	}
}

// controller is a ReplicationController, with a pod template or without.
func controller(r *rand.Rand) *Object {
	rc := &corev1.ReplicationController{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ReplicationController"},
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("rc-%d", r.IntN(3)), Namespace: fmt.Sprintf("ns-%d", r.IntN(3))},
	}
	if r.IntN(2) == 0 {
		rc.Spec.Template = &corev1.PodTemplateSpec{}
	}
	return New(rc, Source{}, nil)
}

// BenchmarkOrderedCreate: a monitor's creation of a workload in an inventory of 40,000
// objects, half of them workloads, kept in order.
func BenchmarkOrderedCreate(b *testing.B) {
	byKey := func(a, b *Object) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	}
	var objs []*Object
	for i := range 20000 {
		om := metav1.ObjectMeta{Name: fmt.Sprintf("o-%05d", i), Namespace: fmt.Sprintf("ns-%d", i%100)}
		objs = append(objs,
			New(&corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: om}, Source{}, nil),
			New(&corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: om}, Source{}, nil))
	}
	slices.SortStableFunc(objs, byKey)
	inv := Build(objs)
	inv.SetOrder(byKey)
	b.ResetTimer()
	for i := range b.N {
		om := metav1.ObjectMeta{Name: fmt.Sprintf("new-%d", i), Namespace: "ns-50"}
		inv.Upsert(New(&corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: om}, Source{}, nil))
	}
}
