package netpol

import (
	"fmt"
	"math/rand"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubeharden/kubeharden/inventory"
)

// randomWorld builds namespaces, pods and valid NetworkPolicies from a small vocabulary, so
// that many pods share labels (classes) and selectors often match.
func randomWorld(r *rand.Rand) []*inventory.Object {
	var objs []*inventory.Object
	nss := []string{"a", "b", "c"}
	for _, ns := range nss {
		l := map[string]string{}
		if r.Intn(2) == 0 {
			l["env"] = pick(r, "prod", "dev")
		}
		if r.Intn(2) == 0 {
			l["team"] = pick(r, "x", "z")
		}
		objs = append(objs, object(&corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: l},
		}))
	}
	npods := 5 + r.Intn(20)
	for i := 0; i < npods; i++ {
		l := map[string]string{}
		if r.Intn(4) > 0 {
			l["app"] = pick(r, "web", "api", "db")
		}
		if r.Intn(3) == 0 {
			l["tier"] = pick(r, "front", "back")
		}
		var ports []corev1.ContainerPort
		for j := r.Intn(3); j > 0; j-- {
			ports = append(ports, corev1.ContainerPort{
				Name:          pick(r, "http", "grpc", "dns"),
				ContainerPort: int32(pick(r, 80, 8080, 53, 9000)),
				Protocol:      corev1.Protocol(pick(r, "", "TCP", "UDP")),
			})
		}
		objs = append(objs, object(&corev1.Pod{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("p%d", i), Namespace: pick(r, nss...), Labels: l},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "x", Ports: ports}}},
		}))
	}
	npol := 1 + r.Intn(10)
	for i := 0; i < npol; i++ {
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
		objs = append(objs, object(np))
	}
	return objs
}

func object(o interface{}) *inventory.Object {
	switch v := o.(type) {
	case *corev1.Namespace:
		return inventory.New(v, inventory.Source{}, nil)
	case *corev1.Pod:
		return inventory.New(v, inventory.Source{}, nil)
	case *networkingv1.NetworkPolicy:
		return inventory.New(v, inventory.Source{}, nil)
	}
	panic("unexpected object")
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
			Key: pick(r, key, "tier"), Operator: pick(r, metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist)}}}
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
			p.IPBlock = &networkingv1.IPBlock{CIDR: "10.0.0.0/8", Except: []string{"10.1.0.0/16"}}
		}
		out = append(out, p)
	}
	return out
}

func randomPorts(r *rand.Rand) []networkingv1.NetworkPolicyPort {
	var out []networkingv1.NetworkPolicyPort
	for j := r.Intn(3); j > 0; j-- {
		var p networkingv1.NetworkPolicyPort
		if r.Intn(3) > 0 {
			proto := corev1.Protocol(pick(r, "TCP", "UDP", "SCTP"))
			p.Protocol = &proto
		}
		switch r.Intn(4) {
		case 0:
		case 1:
			v := intstr.FromString(pick(r, "http", "grpc", "dns"))
			p.Port = &v
		case 2:
			v := intstr.FromInt32(int32(pick(r, 80, 53, 8080, 9000)))
			p.Port = &v
			end := v.IntVal + int32(r.Intn(1000))
			p.EndPort = &end
		default:
			v := intstr.FromInt32(int32(pick(r, 80, 53, 8080, 9000)))
			p.Port = &v
		}
		out = append(out, p)
	}
	return out
}

// probePorts are the ports where answers can change: every port a policy or a container
// names, and its neighbours.
func probePorts() []Port {
	var out []Port
	for _, proto := range []Protocol{TCP, UDP, SCTP} {
		for _, n := range []int{1, 52, 53, 54, 79, 80, 81, 1052, 1053, 8079, 8080, 8081, 9000, 9001, 9079, 9080, 9998, 9999, 65535} {
			out = append(out, Port{Protocol: proto, Number: uint16(n)})
		}
	}
	return out
}

// TestMatrixEqualsNaive checks, on random inputs, that the class-based matrix (and single
// queries) give exactly the naive pod-by-pod answer for every pair of pods and port.
func TestMatrixEqualsNaive(t *testing.T) {
	iterations := 300
	if testing.Short() {
		iterations = 50
	}
	ports := probePorts()
	for it := 0; it < iterations; it++ {
		r := rand.New(rand.NewSource(int64(it)))
		objs := randomWorld(r)
		e := FromInventory(inventory.Build(objs))
		m := e.Matrix()
		w := naiveWorldOf(objs)
		for _, src := range e.Workloads() {
			for _, dst := range e.Workloads() {
				ns, _ := w.pod(src.ID())
				nd, _ := w.pod(dst.ID())
				cell := m.Ports(src.Class(), dst.Class())
				decide := w.decider(ns, nd)
				for _, p := range ports {
					want := decide(corev1.Protocol(p.Protocol.String()), int32(p.Number))
					if got := cell.Contains(p.Protocol, p.Number); got != want {
						t.Fatalf("seed %d: %s -> %s %s: matrix %v, naive %v (cell %s)", it, src.ID(), dst.ID(), p, got, want, cell)
					}
				}
				p := ports[r.Intn(len(ports))]
				v, err := e.Reach(WorkloadEndpoint(src), WorkloadEndpoint(dst), &p)
				if err != nil {
					t.Fatal(err)
				}
				if want := w.allowed(ns, nd, corev1.Protocol(p.Protocol.String()), int32(p.Number)); v.Allowed != want {
					t.Fatalf("seed %d: Reach %s -> %s %s: %v, naive %v", it, src.ID(), dst.ID(), p, v.Allowed, want)
				}
				if any, _ := e.Reach(WorkloadEndpoint(src), WorkloadEndpoint(dst), nil); !any.Ports.Equal(cell) {
					t.Fatalf("seed %d: Reach %s -> %s: ports %s, matrix %s", it, src.ID(), dst.ID(), any.Ports, cell)
				}
			}
		}
	}
}
