package attack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/internal/gen"
	"github.com/kubeharden/kubeharden/inventory"
)

var judgeAt = time.Unix(1_800_000_000, 0)

// answer is what the attack engine gives an inventory: its paths and the checks' findings,
// as JSON.
func answer(t *testing.T, inv *inventory.Inventory) []byte {
	t.Helper()
	r := Engine.For(check.Env{Inv: inv})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	fs, errs := check.RunAt(inv, nil, nil, Checks(), judgeAt)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	b, err := json.Marshal(map[string]any{"paths": r.Paths, "findings": fs})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// changes are what a monitor sees happen to an object, by name; each returns a changed copy.
var changes = []struct {
	name string
	keep bool // keepsPaths must say yes (no selector names "bench")
	drop bool // keepsPaths must say no, but for objects that run pods
	f    func(r *rand.Rand, o *inventory.Object) *inventory.Object
}{
	{"unread label", true, false, func(_ *rand.Rand, o *inventory.Object) *inventory.Object {
		return relabel(o, "bench", "changed")
	}},
	{"selected label", false, false, func(r *rand.Rand, o *inventory.Object) *inventory.Object {
		return relabel(o, "app", fmt.Sprint("changed-", r.IntN(2)))
	}},
	{"bookkeeping", true, false, func(_ *rand.Rand, o *inventory.Object) *inventory.Object {
		n := inventory.New(o.Obj.DeepCopyObject(), o.Source, o.Lines)
		n.Meta.SetResourceVersion("4242")
		n.Meta.SetGeneration(n.Meta.GetGeneration() + 1)
		return n
	}},
	{"annotation", false, true, func(_ *rand.Rand, o *inventory.Object) *inventory.Object {
		n := inventory.New(o.Obj.DeepCopyObject(), o.Source, o.Lines)
		a := n.Meta.GetAnnotations()
		if a == nil {
			a = map[string]string{}
		}
		a["bench"] = "changed"
		n.Meta.SetAnnotations(a)
		return n
	}},
	{"rollout", true, false, func(_ *rand.Rand, o *inventory.Object) *inventory.Object {
		n := inventory.New(o.Obj.DeepCopyObject(), o.Source, o.Lines)
		for _, t := range n.PodTemplates() {
			if t.Meta.Annotations == nil {
				t.Meta.Annotations = map[string]string{}
			}
			t.Meta.Annotations["kubectl.kubernetes.io/restartedAt"] = "2026-12-07T05:00:00Z"
			for i := range t.Spec.Containers {
				t.Spec.Containers[i].Image += "-next"
			}
		}
		switch x := n.Obj.(type) {
		case *appsv1.Deployment:
			x.Spec.Replicas = ptr.To(ptr.Deref(x.Spec.Replicas, 1) + 1)
			x.Status.ReadyReplicas++
		case *appsv1.StatefulSet:
			x.Spec.Replicas = ptr.To(ptr.Deref(x.Spec.Replicas, 1) + 1)
		case *batchv1.CronJob:
			x.Status.LastScheduleTime = &metav1.Time{Time: judgeAt}
		}
		return n
	}},
	{"seccomp annotation", false, false, func(r *rand.Rand, o *inventory.Object) *inventory.Object {
		n := inventory.New(o.Obj.DeepCopyObject(), o.Source, o.Lines)
		for _, t := range n.PodTemplates() {
			if t.Meta.Annotations == nil {
				t.Meta.Annotations = map[string]string{}
			}
			t.Meta.Annotations["seccomp.security.alpha.kubernetes.io/pod"] = "unconfined"
		}
		return n
	}},
	{"pod spec", false, false, func(_ *rand.Rand, o *inventory.Object) *inventory.Object {
		n := inventory.New(o.Obj.DeepCopyObject(), o.Source, o.Lines)
		for _, t := range n.PodTemplates() {
			for i := range t.Spec.Containers {
				t.Spec.Containers[i].SecurityContext = &corev1.SecurityContext{Privileged: ptr.To(true)}
			}
		}
		return n
	}},
}

func change(t testing.TB, name string) (c struct {
	name       string
	keep, drop bool
	f          func(r *rand.Rand, o *inventory.Object) *inventory.Object
}) {
	for _, c := range changes {
		if c.name == name {
			return c
		}
	}
	t.Fatalf("no change %q", name)
	return
}

func relabel(o *inventory.Object, k, v string) *inventory.Object {
	n := inventory.New(o.Obj.DeepCopyObject(), o.Source, o.Lines)
	l := n.Meta.GetLabels()
	if l == nil {
		l = map[string]string{}
	}
	l[k] = v
	n.Meta.SetLabels(l)
	for _, t := range n.PodTemplates() {
		if t.Meta.Labels == nil {
			t.Meta.Labels = map[string]string{}
		}
		t.Meta.Labels[k] = v
	}
	return n
}

// TestKeepsExact: whenever keepsPaths keeps the engine over a change, an engine built
// afresh on the changed inventory gives the same paths and findings. The changes fall on
// the objects the paths run through and on any object, and keepsPaths must keep the engine
// over labels no selector names, bookkeeping and rollouts, and not over annotations of
// objects that run no pods (a Service's load balancer annotations, an Ingress's TLS ones).
func TestKeepsExact(t *testing.T) {
	rounds := 60
	if testing.Short() {
		rounds = 16
	}
	kept, onPath := 0, 0
	for _, profile := range gen.Profiles {
		for seed := int64(1); seed <= 2; seed++ {
			objs := wrap(gen.Options{Profile: profile}.Objects(150, seed))
			inv := inventory.Build(objs)
			before := answer(t, inv)
			// The objects the paths run through: entry points and the workloads behind them.
			var path []*inventory.Object
			seen := map[*inventory.Object]bool{}
			for _, p := range Engine.For(check.Env{Inv: inv}).Paths {
				for _, s := range p.Steps {
					if o := s.Node.Loaded(); o != nil && !seen[o] {
						seen[o] = true
						path = append(path, o)
					}
				}
			}
			if len(path) == 0 {
				t.Fatalf("%s/%d: no paths to change", profile, seed)
			}
			r := rand.New(rand.NewPCG(uint64(seed), 19))
			for i := range rounds {
				o := objs[r.IntN(len(objs))]
				if i%2 == 0 {
					o = path[r.IntN(len(path))]
				}
				c := changes[r.IntN(len(changes))]
				n := c.f(r, o)
				after := make([]*inventory.Object, len(objs))
				for j, x := range objs {
					after[j] = x
					if x == o {
						after[j] = n
					}
				}
				inv2 := inventory.Build(after)
				keep := keepsPaths(check.Env{Inv: inv2}, o, n)
				name := fmt.Sprintf("%s/%d: %s of %s", profile, seed, c.name, o.Ref)
				switch {
				case c.keep && !keep && o.Kind != "ClusterRole":
					t.Errorf("%s: engine not kept", name)
				case c.drop && keep && len(o.PodTemplates()) == 0:
					t.Errorf("%s: engine kept", name)
				}
				if !keep {
					continue
				}
				kept++
				if seen[o] {
					onPath++
				}
				if got := answer(t, inv2); !bytes.Equal(got, before) {
					t.Errorf("%s: kept, but a fresh engine answers otherwise", name)
				}
			}
		}
	}
	t.Logf("engine kept over %d changes, %d of them on objects of a path", kept, onPath)
	if onPath == 0 {
		t.Error("no change on a path's objects was kept: the test proves nothing")
	}
}

// TestEvaluatorKeeps: the monitor keeps the attack engine over a label change of an entry
// point's object, reports on the object as it is now, and its findings stay those of a full
// run.
func TestEvaluatorKeeps(t *testing.T) {
	objs := wrap(gen.Objects(150, 1))
	cfg := &config.Config{}
	ev := check.NewEvaluator(inventory.Build(objs), check.EvalOptions{Config: cfg, Checks: Checks(), Now: judgeAt})
	env := check.Env{Inv: ev.Inventory(), Config: cfg}
	r := Engine.For(env)
	if len(r.Paths) == 0 {
		t.Fatal("no paths")
	}
	var entry *inventory.Object
	for _, p := range r.Paths {
		if p.Entry != nil && p.Entry.Loaded() != nil {
			entry = p.Entry.Loaded()
			break
		}
	}
	if entry == nil {
		t.Fatal("no path with an entry point")
	}
	for i := range 3 {
		ev.Apply(inventory.Change{Upsert: []*inventory.Object{relabel(entry, "bench", fmt.Sprint(i))}})
		if Engine.For(env) != r {
			t.Fatalf("change %d of %s: engine built again", i, entry.Ref)
		}
		got, _ := json.Marshal(ev.Findings())
		full, errs := check.RunAt(inventory.Build(append([]*inventory.Object(nil), ev.Inventory().All()...)), nil, nil, Checks(), judgeAt)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		want, _ := json.Marshal(full)
		if !bytes.Equal(got, want) {
			t.Fatalf("change %d of %s: findings differ from a full run:\n got %s\nwant %s", i, entry.Ref, got, want)
		}
	}
	ev.Apply(inventory.Change{Upsert: []*inventory.Object{relabel(entry, "app", "moved")}})
	if len(entry.PodTemplates()) > 0 && Engine.For(env) == r {
		t.Errorf("a selected label of %s changed: engine kept", entry.Ref)
	}
}

func wrap(objs []runtime.Object) []*inventory.Object {
	out := make([]*inventory.Object, len(objs))
	for i, o := range objs {
		out[i] = inventory.New(o, inventory.Source{}, nil)
	}
	return out
}

// TestKeepsImagesWithReports: with scanners' reports loaded, paths list the vulnerabilities
// of their workloads' images, so a new image is a new path description.
func TestKeepsImagesWithReports(t *testing.T) {
	objs := wrap(gen.Objects(30, 1))
	var o *inventory.Object
	for _, x := range objs {
		if x.Kind == "Deployment" {
			o = x
			break
		}
	}
	n := change(t, "bookkeeping").f(rand.New(rand.NewPCG(1, 1)), o)
	r := change(t, "rollout").f(rand.New(rand.NewPCG(1, 1)), o) // a new image
	inv := inventory.Build(objs)
	if !keepsPaths(check.Env{Inv: inv}, o, n) || !keepsPaths(check.Env{Inv: inv}, o, r) {
		t.Fatal("without reports: engine not kept")
	}
	inv.SetImageData(&inventory.ImageData{Vulnerabilities: []*inventory.VulnReport{{Image: "nginx:1.25"}}})
	if !keepsPaths(check.Env{Inv: inv}, o, n) {
		t.Error("with reports: engine not kept over bookkeeping")
	}
	if keepsPaths(check.Env{Inv: inv}, o, r) {
		t.Error("with reports: engine kept over a new image")
	}
}
