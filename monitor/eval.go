package monitor

import (
	"reflect"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/live"
)

// state is the monitor's evaluation: the checks' incremental Evaluator over the objects the
// informers hold, and what it needs to hand the Evaluator only what an event changed. An
// event's object is judged with its dependants: a workload that comes or goes brings the
// Pods, ReplicaSets and Jobs it controls (left out while it stands for them, as scan
// --cluster leaves them out), and a namespace whose deletion starts brings its objects
// (whose reports go at once).
type state struct {
	ev *check.Evaluator
	// seen are the objects in the Evaluator, as the informers held them.
	seen map[skey]runtime.Object
	// base are the facts read from the server; facts those with what objects tell (kubelet
	// versions, the API server's flags) added.
	base, facts inventory.Facts
	// workloads are the UIDs of the objects with pod templates that the informers hold, by
	// key; uids the same set by UID.
	workloads map[skey]types.UID
	uids      map[types.UID]bool
	// deleting are the namespaces being deleted.
	deleting map[string]bool
}

// update brings the Evaluator up to date with the changed objects and returns how the
// findings moved; all says it evaluated everything again (the first time, or after facts
// every check may read changed), so that the delta is to be ignored and the findings read
// whole.
func (st *state) update(w *watchers, dirty map[skey]bool, base inventory.Facts, opts Options) (d check.Delta, all bool) {
	if st.ev == nil || !reflect.DeepEqual(base, st.base) {
		st.rebuild(w, base, opts)
		return check.Delta{}, true
	}
	affected := map[skey]bool{}
	facts := false
	for k := range dirty {
		affected[k] = true
		cur := w.get(k)
		st.track(w, k, cur, affected)
		facts = facts || isFactSource(cur) || isFactSource(st.seen[k])
	}
	if facts {
		f := st.base
		live.FillFacts(factObjects(w), &f)
		if !reflect.DeepEqual(f, st.facts) {
			st.rebuild(w, base, opts)
			return check.Delta{}, true
		}
	}
	var ch inventory.Change
	for k := range affected {
		var want runtime.Object
		if cur := w.get(k); cur != nil && st.keeps(cur) {
			want = cur
		}
		prev := st.seen[k]
		if want == prev {
			continue
		}
		if want == nil {
			ch.Delete = append(ch.Delete, inventory.New(prev, inventory.Source{}, nil).Ref)
			delete(st.seen, k)
			continue
		}
		ch.Upsert = append(ch.Upsert, inventory.New(want, inventory.Source{}, nil))
		st.seen[k] = want
	}
	if len(ch.Upsert) == 0 && len(ch.Delete) == 0 {
		return check.Delta{}, false
	}
	return st.ev.Apply(ch), false
}

// rebuild evaluates every object again, in the loader's order.
func (st *state) rebuild(w *watchers, base inventory.Facts, opts Options) {
	items := w.objects()
	st.seen = make(map[skey]runtime.Object, len(items))
	st.workloads, st.uids, st.deleting = map[skey]types.UID{}, map[types.UID]bool{}, map[string]bool{}
	for _, it := range items {
		st.track(w, it.skey, it.obj, nil)
	}
	kept := make([]runtime.Object, 0, len(items))
	for _, it := range items {
		if st.keeps(it.obj) {
			kept = append(kept, it.obj)
			st.seen[it.skey] = it.obj
		}
	}
	objs, _ := live.Objects(kept)
	facts := base
	live.FillFacts(objs, &facts)
	st.base, st.facts = base, facts
	f := facts
	inv := inventory.Build(objs)
	inv.SetOrder(w.order)
	st.ev = check.NewEvaluator(inv, check.EvalOptions{Config: opts.Settings, Facts: &f, Checks: opts.Checks, Now: opts.Now(), NoFixes: true})
}

// track records what the object at k (nil: gone) says about others: whether it is a
// workload standing for the objects it controls, whether it is a namespace being deleted.
// The objects whose judgement that changes join affected (when given).
func (st *state) track(w *watchers, k skey, cur runtime.Object, affected map[skey]bool) {
	touch := func(index, v string) {
		if affected == nil {
			return
		}
		for _, s := range w.sources {
			if index == controllerIndex && !controlled(s.res.Kind) {
				continue
			}
			for _, key := range w.keys(s, index, v) {
				affected[skey{s, key}] = true
			}
		}
	}
	old, had := st.workloads[k]
	var uid types.UID
	if cur != nil && live.HasPodTemplate(cur) {
		uid = cur.(metav1.Object).GetUID()
	}
	if had && old != uid {
		delete(st.workloads, k)
		delete(st.uids, old)
		touch(controllerIndex, string(old))
	}
	if uid != "" && (!had || old != uid) {
		st.workloads[k] = uid
		st.uids[uid] = true
		touch(controllerIndex, string(uid))
	}
	if k.src.res.Kind == "Namespace" && k.src.res.Group == "" {
		ns, _ := cur.(*corev1.Namespace)
		name := k.key
		deleting := ns != nil && ns.DeletionTimestamp != nil
		if deleting != st.deleting[name] {
			if deleting {
				st.deleting[name] = true
			} else {
				delete(st.deleting, name)
			}
			touch(cache.NamespaceIndex, name)
		}
	}
}

// keeps says whether o is judged: what live.Cluster reads, less the objects of namespaces
// being deleted, whose reports go with them.
func (st *state) keeps(o runtime.Object) bool {
	mo, ok := o.(metav1.Object)
	if !ok || st.deleting[mo.GetNamespace()] {
		return false
	}
	if _, ok := o.(*corev1.Namespace); ok && st.deleting[mo.GetName()] {
		return false
	}
	if controlled(o.GetObjectKind().GroupVersionKind().Kind) {
		if c := metav1.GetControllerOfNoCopy(mo); c != nil && st.uids[c.UID] {
			return false
		}
	}
	return true
}

// factObjects are the objects the facts come from: the Nodes and the kube-system Pods.
func factObjects(w *watchers) []*inventory.Object {
	var out []*inventory.Object
	for _, s := range w.sources {
		if s.res.Group != "" || (s.res.Kind != "Node" && s.res.Kind != "Pod") {
			continue
		}
		var keys []string
		if s.res.Kind == "Pod" {
			keys = w.keys(s, cache.NamespaceIndex, metav1.NamespaceSystem)
		} else {
			keys = s.informer.GetStore().ListKeys()
		}
		for _, k := range keys {
			if o := w.get(skey{s, k}); isFactSource(o) {
				out = append(out, inventory.New(o, inventory.Source{}, nil))
			}
		}
	}
	return out
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
