package monitor

import (
	"reflect"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/live"
)

// state is the monitor's evaluation: the checks' incremental Evaluator over the objects the
// informers hold, and those objects as it last saw them. An update hands the Evaluator only
// the objects that changed (an informer replaces an object it updates, so a changed object
// is a different pointer), and it re-runs only the checks and objects a change can affect.
type state struct {
	ev *check.Evaluator
	// seen are the informers' objects at the last update, by inventory key.
	seen  map[inventory.Key]runtime.Object
	facts inventory.Facts
}

// update returns the current findings (suppressions applied), the inventory, and the
// namespaces being deleted.
func (st *state) update(w *watchers, facts inventory.Facts, opts Options) ([]check.Finding, []check.Error, *inventory.Inventory, map[string]bool) {
	raw, deleting := keep(w.objects())
	now := opts.Now()
	cur := make(map[inventory.Key]runtime.Object, len(raw))
	for _, o := range raw {
		cur[keyOf(o)] = o
	}
	if st.ev == nil || created(st.seen, cur) || factsChanged(st.seen, cur) || !reflect.DeepEqual(facts, st.facts) {
		// The first evaluation, one after facts that every check may read changed (the
		// server's version, a kubelet's, the API server's flags), or one with new objects:
		// all checks run over the objects in the loader's order. Some checks' messages list
		// objects in inventory order, where the Evaluator would append a new object, so
		// that an incremental run would name the same objects in another order than
		// scan --cluster does.
		objs, _ := live.Objects(raw)
		live.FillFacts(objs, &facts)
		st.facts = facts
		f := facts
		st.ev = check.NewEvaluator(inventory.Build(objs), check.EvalOptions{Config: opts.Settings, Facts: &f, Checks: opts.Checks, Now: now})
	} else {
		var ch inventory.Change
		for k, o := range cur {
			if st.seen[k] != o {
				ch.Upsert = append(ch.Upsert, inventory.New(o, inventory.Source{}, nil))
			}
		}
		inv := st.ev.Inventory()
		for k := range st.seen {
			if _, ok := cur[k]; !ok {
				if old := inv.Lookup(k); old != nil {
					ch.Delete = append(ch.Delete, old.Ref)
				}
			}
		}
		if len(ch.Upsert) > 0 || len(ch.Delete) > 0 {
			st.ev.Apply(ch)
		}
	}
	st.seen = cur
	findings := st.ev.Findings()
	inv := st.ev.Inventory()
	errs := append(st.ev.Errors(), check.Suppress(findings, inv, opts.Settings, now)...)
	return findings, errs, inv, deleting
}

// keep leaves out what live.Cluster leaves out (Pods, ReplicaSets and Jobs that a workload
// read controls) and the objects of namespaces being deleted, whose reports go with them.
func keep(raw []runtime.Object) ([]runtime.Object, map[string]bool) {
	deleting := map[string]bool{}
	templated := map[types.UID]bool{}
	for _, o := range raw {
		if ns, ok := o.(*corev1.Namespace); ok && ns.DeletionTimestamp != nil {
			deleting[ns.Name] = true
		}
		if hasPodTemplate(o) {
			templated[o.(metav1.Object).GetUID()] = true
		}
	}
	out := raw[:0:0]
	for _, o := range raw {
		mo, ok := o.(metav1.Object)
		if !ok || deleting[mo.GetNamespace()] {
			continue
		}
		switch o.(type) {
		case *corev1.Namespace:
			if deleting[mo.GetName()] {
				continue
			}
		case *corev1.Pod, *appsv1.ReplicaSet, *batchv1.Job:
			if c := metav1.GetControllerOfNoCopy(mo); c != nil && templated[c.UID] {
				continue
			}
		}
		out = append(out, o)
	}
	return out, deleting
}

// hasPodTemplate is load's test of a workload whose template stands for its pods.
func hasPodTemplate(o runtime.Object) bool {
	switch x := o.(type) {
	case *appsv1.Deployment, *appsv1.StatefulSet, *appsv1.DaemonSet, *appsv1.ReplicaSet,
		*batchv1.Job, *batchv1.CronJob, *corev1.ReplicationController:
		return true
	case *unstructured.Unstructured:
		_, ok, _ := unstructured.NestedSlice(x.Object, "spec", "template", "spec", "containers")
		return ok
	}
	return false
}

func keyOf(o runtime.Object) inventory.Key {
	mo := o.(metav1.Object)
	return inventory.Key{Kind: o.GetObjectKind().GroupVersionKind().Kind, Namespace: mo.GetNamespace(), Name: mo.GetName()}
}

// created says whether cur holds an object seen does not.
func created(seen, cur map[inventory.Key]runtime.Object) bool {
	for k := range cur {
		if _, ok := seen[k]; !ok {
			return true
		}
	}
	return false
}

// factsChanged says whether an object the facts come from (a Node, the API server's pod)
// changed.
func factsChanged(seen, cur map[inventory.Key]runtime.Object) bool {
	for k, o := range cur {
		if seen[k] != o && isFactSource(o) {
			return true
		}
	}
	for k, o := range seen {
		if _, ok := cur[k]; !ok && isFactSource(o) {
			return true
		}
	}
	return false
}

func isFactSource(o runtime.Object) bool {
	switch x := o.(type) {
	case *corev1.Node:
		return true
	case *corev1.Pod:
		return x.Namespace == metav1.NamespaceSystem && x.Labels["component"] == "kube-apiserver"
	}
	return false
}
