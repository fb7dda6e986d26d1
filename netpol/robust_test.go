package netpol

import (
	"math/rand"
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/netpol/netpoltest"
)

// TestGarbageDoesNotPanic feeds the engine policies that are wrong in every way the API
// server would refuse (and some it would not see), and asks every question of them.
func TestGarbageDoesNotPanic(t *testing.T) {
	for it := 0; it < 200; it++ {
		r := rand.New(rand.NewSource(int64(1000 + it)))
		objs := netpoltest.RandomWorld(r)
		for _, o := range objs {
			np, ok := o.Obj.(*networkingv1.NetworkPolicy)
			if !ok {
				continue
			}
			spoil(r, np)
		}
		e := FromInventory(inventory.Build(objs))
		m := e.Matrix()
		eps := []Endpoint{InternetEndpoint(), AddrEndpoint("10/8", PrefixSet(netip.MustParsePrefix("10.0.0.0/8")))}
		for _, w := range e.Workloads() {
			eps = append(eps, WorkloadEndpoint(w))
		}
		for _, a := range eps {
			for _, b := range eps {
				for _, p := range []*Port{nil, {Protocol: UDP, Number: 53}, {Protocol: TCP, Name: "http"}} {
					_, _ = e.Reach(a, b, p)
				}
				if a.Class != nil && b.Class != nil {
					_ = m.Ports(a.Class, b.Class)
				}
			}
		}
		for _, p := range e.Policies() {
			if !p.Valid() && len(p.Rules[Ingress])+len(p.Rules[Egress]) > 0 {
				t.Fatalf("invalid policy %s kept rules", p.ID())
			}
		}
	}
}

func spoil(r *rand.Rand, np *networkingv1.NetworkPolicy) {
	str := func(s string) *intstr.IntOrString { v := intstr.FromString(s); return &v }
	num := func(n int32) *intstr.IntOrString { v := intstr.FromInt32(n); return &v }
	proto := func(s string) *corev1.Protocol { p := corev1.Protocol(s); return &p }
	end := func(n int32) *int32 { return &n }
	switch r.Intn(10) {
	case 0:
		np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{}}})
	case 1:
		np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{
			IPBlock: &networkingv1.IPBlock{CIDR: pick(r, "", "garbage", "10.0.0.1/8", "::ffff:10.0.0.0/104", "300.0.0.0/8", "10.0.0.0/33", "010.0.0.0/8"),
				Except: []string{pick(r, "x", "192.168.0.0/16", "10.0.0.0/8", "2001:db8::/64", "10.1.0.0/16")}}}}})
	case 2:
		np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{Ports: []networkingv1.NetworkPolicyPort{
			{Port: pick(r, num(0), num(70000), num(-1), str(""), str("Not_A_Port"), str("way-too-long-port-name")), EndPort: pick(r, nil, end(10), end(70000))},
			{Protocol: proto(pick(r, "ICMP", "tcp", ""))}}})
	case 3:
		np.Spec.PodSelector = metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
			Key: pick(r, "", "app", "bad key!"), Operator: metav1.LabelSelectorOperator(pick(r, "In", "Exists", "Bogus")), Values: pick(r, nil, []string{"x"}, []string{"bad value!"})}}}
	case 4:
		np.Spec.PolicyTypes = []networkingv1.PolicyType{"Ingress", "Egress", "Ingress"}
	case 5:
		np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"bad key!": "v"}}}}})
	case 6:
		np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: []networkingv1.NetworkPolicyPeer{{
			IPBlock: &networkingv1.IPBlock{CIDR: "10.0.0.0/8"}, NamespaceSelector: &metav1.LabelSelector{}}}})
	}
}

func pick[T any](r *rand.Rand, vs ...T) T { return vs[r.Intn(len(vs))] }
