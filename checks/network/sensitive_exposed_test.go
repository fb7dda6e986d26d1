package network

import (
	"fmt"
	"math/rand"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/netpol"
)

// naiveExposedFrom is exposedFrom without its shortcuts: a probe from every other
// namespace, for every workload.
func naiveExposedFrom(e *netpol.Engine, w *netpol.Workload) []string {
	var from []string
	if v, err := e.Reach(netpol.InternetEndpoint(), netpol.WorkloadEndpoint(w), nil); err == nil && !v.SomePorts.IsEmpty() {
		if v.Partial || !v.Allowed {
			from = append(from, "some public addresses "+on(v.SomePorts))
		} else {
			from = append(from, "the internet "+on(v.Ports))
		}
	}
	if v, err := e.Reach(stranger, netpol.WorkloadEndpoint(w), nil); err == nil && v.Allowed {
		from = append(from, "pods of any namespace "+on(v.Ports))
	} else {
		for _, ns := range e.Namespaces() {
			if ns.Name == w.Namespace {
				continue
			}
			probe := netpol.Endpoint{Name: "a pod of " + ns.Name, Probe: &netpol.Probe{Namespace: ns.Name}}
			if v, err := e.Reach(probe, netpol.WorkloadEndpoint(w), nil); err == nil && v.Allowed {
				from = append(from, fmt.Sprintf("any pod of namespace %s %s", ns.Name, on(v.Ports)))
			}
		}
	}
	return from
}

// TestExposedFromEqualsNaive checks on random worlds that skipping namespaces no ingress
// rule can admit, and sharing answers between workloads of a class, change nothing.
func TestExposedFromEqualsNaive(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	compared, found := 0, 0
	for i := 0; i < 400; i++ {
		e := netpol.FromInventory(inventory.Build(randomWorld(r)))
		byClass := map[*netpol.Class][]string{}
		for _, w := range e.Workloads() {
			want := naiveExposedFrom(e, w)
			got, ok := byClass[w.Class()]
			if !ok {
				got = exposedFrom(e, w)
				byClass[w.Class()] = got
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("world %d, %s: got %q, want %q", i, w.ID(), got, want)
			}
			compared++
			if len(want) > 0 {
				found++
			}
		}
	}
	if found == 0 || found == compared {
		t.Fatalf("random worlds do not exercise the check: %d of %d workloads exposed", found, compared)
	}
}

func randomWorld(r *rand.Rand) []*inventory.Object {
	var objs []*inventory.Object
	nss := []string{"a", "b", "c", "d"}
	for _, ns := range nss {
		l := map[string]string{}
		if r.Intn(2) == 0 {
			l["env"] = pick(r, "prod", "dev")
		}
		if r.Intn(2) == 0 {
			l["team"] = pick(r, "x", "z")
		}
		objs = append(objs, inventory.New(&corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: l},
		}, inventory.Source{}, nil))
	}
	for i, n := 0, 3+r.Intn(12); i < n; i++ {
		l := map[string]string{}
		if r.Intn(4) > 0 {
			l["app"] = pick(r, "web", "api", "db")
		}
		var ports []corev1.ContainerPort
		for j := r.Intn(3); j > 0; j-- {
			ports = append(ports, corev1.ContainerPort{Name: pick(r, "http", "dns"), ContainerPort: int32(pick(r, 80, 53, 9000))})
		}
		objs = append(objs, inventory.New(&corev1.Pod{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("p%d", i), Namespace: pick(r, nss...), Labels: l},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "x", Ports: ports}}},
		}, inventory.Source{}, nil))
	}
	for i, n := 0, r.Intn(8); i < n; i++ {
		np := &networkingv1.NetworkPolicy{
			TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("np%d", i), Namespace: pick(r, nss...)},
		}
		np.Spec.PodSelector = *randomSelector(r, "app", "web", "api", "db")
		switch r.Intn(4) {
		case 1:
			np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		case 2:
			np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
		case 3:
			np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
		}
		for j := r.Intn(3); j > 0; j-- {
			np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{Ports: randomPorts(r), From: randomPeers(r)})
		}
		for j := r.Intn(3); j > 0; j-- {
			np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{Ports: randomPorts(r), To: randomPeers(r)})
		}
		objs = append(objs, inventory.New(np, inventory.Source{}, nil))
	}
	return objs
}

func pick[T any](r *rand.Rand, vs ...T) T { return vs[r.Intn(len(vs))] }

func randomSelector(r *rand.Rand, key string, values ...string) *metav1.LabelSelector {
	switch r.Intn(5) {
	case 0:
		return &metav1.LabelSelector{}
	case 1:
		return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
			Key: key, Operator: metav1.LabelSelectorOpNotIn, Values: []string{pick(r, values...)}}}}
	case 2:
		return &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
			Key: key, Operator: pick(r, metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist)}}}
	}
	return &metav1.LabelSelector{MatchLabels: map[string]string{key: pick(r, values...)}}
}

func randomPeers(r *rand.Rand) []networkingv1.NetworkPolicyPeer {
	var out []networkingv1.NetworkPolicyPeer
	for j := r.Intn(3); j > 0; j-- {
		var p networkingv1.NetworkPolicyPeer
		switch r.Intn(4) {
		case 0:
			p.PodSelector = randomSelector(r, "app", "web", "api", "db")
		case 1:
			p.NamespaceSelector = randomSelector(r, pick(r, "env", "team", "kubernetes.io/metadata.name"), "prod", "dev", "x", "a", "b")
		case 2:
			p.PodSelector = randomSelector(r, "app", "web", "api", "db")
			p.NamespaceSelector = randomSelector(r, pick(r, "env", "team"), "prod", "x")
		default:
			p.IPBlock = &networkingv1.IPBlock{CIDR: pick(r, "0.0.0.0/0", "10.0.0.0/8"), Except: []string{"10.1.0.0/16"}}
		}
		out = append(out, p)
	}
	return out
}

func randomPorts(r *rand.Rand) []networkingv1.NetworkPolicyPort {
	var out []networkingv1.NetworkPolicyPort
	for j := r.Intn(3); j > 0; j-- {
		var p networkingv1.NetworkPolicyPort
		switch r.Intn(3) {
		case 0:
		case 1:
			v := intstr.FromString(pick(r, "http", "dns"))
			p.Port = &v
		default:
			v := intstr.FromInt32(int32(pick(r, 80, 53, 9000)))
			p.Port = &v
		}
		out = append(out, p)
	}
	return out
}
