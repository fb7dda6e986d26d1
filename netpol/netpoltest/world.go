// Package netpoltest generates random but valid clusters of namespaces, pods and
// NetworkPolicies, for property tests of the policy engine and of the checks built on it.
package netpoltest

import (
	"fmt"
	"math/rand"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubeharden/kubeharden/inventory"
)

// RandomWorld builds namespaces, pods and valid NetworkPolicies from a small vocabulary, so
// that many pods share labels (classes) and selectors often match.
func RandomWorld(r *rand.Rand) []*inventory.Object {
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
		objs = append(objs, inventory.New(&corev1.Pod{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("p%d", i), Namespace: pick(r, nss...), Labels: l},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "x", Ports: ports}}},
		}, inventory.Source{}, nil))
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
