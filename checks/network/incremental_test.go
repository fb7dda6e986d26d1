package network

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/netpol/netpoltest"
)

// TestIncrementalEqualsFullRun drives the incremental Evaluator over the network checks
// through random changes of random worlds (pod labels, alone in their class or joining
// others; namespace labels; policy specs, labels, and policies made invalid; pods and
// policies added and deleted; Namespace objects added and deleted) and checks after each step that its findings are those of a
// full run: the engine updated in place, and the checks re-run only for the namespaces
// their partitions name, miss nothing.
func TestIncrementalEqualsFullRun(t *testing.T) {
	worlds, steps := 60, 25
	if testing.Short() {
		worlds = 15
	}
	at := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	checks := Checks()
	changed := 0
	for it := 0; it < worlds; it++ {
		r := rand.New(rand.NewSource(int64(it)))
		objs := sensitiveWorld(r, netpoltest.RandomWorld(r))
		pool := netpoltest.RandomWorld(r)
		ev := check.NewEvaluator(inventory.Build(objs), check.EvalOptions{Checks: checks, Now: at})
		for step := 0; step < steps; step++ {
			c, what := randomChange(r, ev.Inventory(), pool, step)
			d := ev.Apply(c)
			changed += len(d.Added) + len(d.Removed)
			want, errs := check.RunAt(inventory.Build(slices.Clone(ev.Inventory().All())), nil, nil, checks, at)
			if len(errs) > 0 || len(ev.Errors()) > 0 {
				t.Fatalf("world %d step %d (%s): errors: full %v, incremental %v", it, step, what, errs, ev.Errors())
			}
			g, w := findingsJSON(t, ev.Findings()), findingsJSON(t, want)
			if !bytes.Equal(g, w) {
				t.Fatalf("world %d step %d (%s): incremental findings differ from a full run:\n got %s\nwant %s", it, step, what, g, w)
			}
		}
	}
	if changed == 0 {
		t.Fatal("no change moved a finding: the steps exercise nothing")
	}
}

func findingsJSON(t *testing.T, fs []check.Finding) []byte {
	b, err := json.Marshal(fs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sensitiveWorld makes some pods of a random world sensitive (a database label or a
// mounted Secret), so that network/sensitive-exposed has something to judge.
func sensitiveWorld(r *rand.Rand, objs []*inventory.Object) []*inventory.Object {
	for i, o := range objs {
		pod, ok := o.Obj.(*corev1.Pod)
		if !ok {
			continue
		}
		switch r.Intn(3) {
		case 0:
			pod = pod.DeepCopy()
			pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: "s", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "creds"}}})
			objs[i] = inventory.New(pod, o.Source, o.Lines)
		case 1:
			if pod.Labels["app"] == "db" {
				pod = pod.DeepCopy()
				pod.Labels["tier"] = "postgres"
				objs[i] = inventory.New(pod, o.Source, o.Lines)
			}
		}
	}
	return objs
}

// randomChange is one random change to inv, and what it is.
func randomChange(r *rand.Rand, inv *inventory.Inventory, pool []*inventory.Object, step int) (inventory.Change, string) {
	pods, nss, pols := inv.ByKind("Pod"), inv.ByKind("Namespace"), inv.ByKind("NetworkPolicy")
	copyOf := func(o *inventory.Object) *inventory.Object {
		return inventory.New(o.Obj.DeepCopyObject(), o.Source, o.Lines)
	}
	upsert := func(o *inventory.Object, what string) (inventory.Change, string) {
		return inventory.Change{Upsert: []*inventory.Object{o}}, what + " " + o.Ref.String()
	}
	switch op := r.Intn(20); {
	case op < 6 && len(pods) > 0:
		o := copyOf(pods[r.Intn(len(pods))])
		l := map[string]string{}
		switch r.Intn(3) {
		case 0:
			l["app"] = []string{"web", "api", "db"}[r.Intn(3)]
		case 1:
			l["app"], l["unique"] = "db", fmt.Sprint(step)
		default:
			l["unique"] = fmt.Sprint(step)
			if r.Intn(2) == 0 {
				l["tier"] = "front"
			}
		}
		o.Meta.SetLabels(l)
		return upsert(o, "labels of")
	case op < 10 && len(nss) > 0:
		o := copyOf(nss[r.Intn(len(nss))])
		l := map[string]string{}
		if r.Intn(2) == 0 {
			l["env"] = []string{"prod", "dev"}[r.Intn(2)]
		}
		if r.Intn(2) == 0 {
			l["team"] = []string{"x", "z"}[r.Intn(2)]
		}
		o.Meta.SetLabels(l)
		return upsert(o, "labels of")
	case op < 15 && len(pols) > 0:
		o := copyOf(pols[r.Intn(len(pols))])
		np := o.Obj.(*networkingv1.NetworkPolicy)
		switch r.Intn(6) {
		case 0:
			np.Labels = map[string]string{"changed": fmt.Sprint(step)}
		case 4: // a default deny of egress: pods of the namespace reach nothing elsewhere
			np.Spec = networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}}
		case 1:
			np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{}}})
		case 2:
			np.Spec.PodSelector = metav1.LabelSelector{}
			np.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "x"}}}}}}
		default:
			var from *networkingv1.NetworkPolicy
			for _, p := range pool {
				if x, ok := p.Obj.(*networkingv1.NetworkPolicy); ok && (from == nil || r.Intn(3) == 0) {
					from = x
				}
			}
			np.Spec = *from.Spec.DeepCopy()
		}
		return upsert(o, "policy")
	case op < 17:
		if len(pols) > 0 && r.Intn(2) == 0 {
			o := pols[r.Intn(len(pols))]
			return inventory.Change{Delete: []inventory.Ref{o.Ref}}, "deleted " + o.Ref.String()
		}
		if len(pods) > 0 && r.Intn(2) == 0 {
			o := pods[r.Intn(len(pods))]
			return inventory.Change{Delete: []inventory.Ref{o.Ref}}, "deleted " + o.Ref.String()
		}
		o := copyOf(pool[len(pool)-1-r.Intn(3)])
		o.Meta.SetName(fmt.Sprintf("added-%d", step))
		return upsert(inventory.New(o.Obj, o.Source, o.Lines), "added")
	case op == 17: // a Namespace object added (for a name pods use, or a new one) or deleted
		if len(nss) > 0 && r.Intn(2) == 0 {
			o := nss[r.Intn(len(nss))]
			return inventory.Change{Delete: []inventory.Ref{o.Ref}}, "deleted " + o.Ref.String()
		}
		name := []string{"a", "b", "e", "f", "g"}[r.Intn(5)]
		if inv.Namespace(name) != nil {
			return inventory.Change{}, "nothing"
		}
		ns := &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}, ObjectMeta: metav1.ObjectMeta{Name: name}}
		if r.Intn(2) == 0 {
			ns.Labels = map[string]string{"team": []string{"x", "z"}[r.Intn(2)]}
		}
		return upsert(inventory.New(ns, inventory.Source{}, nil), "added")
	}
	return inventory.Change{}, "nothing"
}
