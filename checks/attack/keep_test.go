package attack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
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
	drop bool // keepsPaths must say no
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
// over labels no selector names and over bookkeeping, and not over annotations.
func TestKeepsExact(t *testing.T) {
	rounds := 40
	if testing.Short() {
		rounds = 12
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
				case c.drop && keep:
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
