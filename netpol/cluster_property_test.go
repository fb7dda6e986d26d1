package netpol

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	anp "sigs.k8s.io/network-policy-api/apis/v1alpha1"

	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/netpol/netpoltest"
)

// TestClusterMatrixEqualsNaive checks, on random worlds with random AdminNetworkPolicies and
// a BaselineAdminNetworkPolicy on top of random NetworkPolicies, that the engine's matrix
// gives, for every pair of pods and probe port, the answer of a naive evaluator written from
// the API reference: per direction, Admin rules by priority then rule order (first match
// decides, Pass goes on), then NetworkPolicies, then Baseline rules, then allow.
func TestClusterMatrixEqualsNaive(t *testing.T) {
	iterations := 60
	if testing.Short() {
		iterations = 12
	}
	ports := probePorts()
	for it := 0; it < iterations; it++ {
		r := rand.New(rand.NewSource(int64(1000 + it)))
		objs := netpoltest.RandomWorld(r)
		anps, banp := randomClusterPolicies(r)
		for _, a := range anps {
			objs = append(objs, unstructuredObject(t, a))
		}
		if banp != nil {
			objs = append(objs, unstructuredObject(t, banp))
		}
		e := FromInventory(inventory.Build(objs))
		for _, p := range e.Problems() {
			t.Fatalf("seed %d: %s", it, p)
		}
		m := e.Matrix()
		w := naiveWorldOf(objs)
		sort.SliceStable(anps, func(i, j int) bool {
			if anps[i].Spec.Priority != anps[j].Spec.Priority {
				return anps[i].Spec.Priority < anps[j].Spec.Priority
			}
			return anps[i].Name < anps[j].Name
		})
		for _, src := range e.Workloads() {
			for _, dst := range e.Workloads() {
				ns, _ := w.pod(src.ID())
				nd, _ := w.pod(dst.ID())
				cell := m.Ports(src.Class(), dst.Class())
				for _, p := range ports {
					proto, n := corev1.Protocol(p.Protocol.String()), int32(p.Number)
					want := w.tiered(anps, banp, Egress, ns, nd, nd, proto, n) && w.tiered(anps, banp, Ingress, nd, ns, nd, proto, n)
					if got := cell.Contains(p.Protocol, p.Number); got != want {
						t.Fatalf("seed %d: %s -> %s %s: matrix %v, naive %v (cell %s)", it, src.ID(), dst.ID(), p, got, want, cell)
					}
				}
			}
		}
	}
}

func unstructuredObject(t *testing.T, o runtime.Object) *inventory.Object {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
	if err != nil {
		t.Fatal(err)
	}
	return inventory.New(&unstructured.Unstructured{Object: m}, inventory.Source{}, nil)
}

// tiered decides direction d for subject against peer (dst: the destination, for named ports).
func (w *naiveWorld) tiered(anps []*anp.AdminNetworkPolicy, banp *anp.BaselineAdminNetworkPolicy, d Direction, subject, peer, dst naivePod, proto corev1.Protocol, port int32) bool {
	ruleMatches := func(peers []anp.AdminNetworkPolicyIngressPeer, ports *[]anp.AdminNetworkPolicyPort) bool {
		hit := false
		for _, pe := range peers {
			switch {
			case pe.Namespaces != nil:
				hit = hit || naiveSelects(pe.Namespaces, w.namespaceLabels(peer.ns))
			case pe.Pods != nil:
				hit = hit || (naiveSelects(&pe.Pods.NamespaceSelector, w.namespaceLabels(peer.ns)) && naiveSelects(&pe.Pods.PodSelector, peer.labels))
			}
		}
		return hit && naiveANPPorts(ports, dst, proto, port)
	}
	selects := func(s anp.AdminNetworkPolicySubject) bool {
		if s.Namespaces != nil {
			return naiveSelects(s.Namespaces, w.namespaceLabels(subject.ns))
		}
		return naiveSelects(&s.Pods.NamespaceSelector, w.namespaceLabels(subject.ns)) && naiveSelects(&s.Pods.PodSelector, subject.labels)
	}
admin:
	for _, a := range anps {
		if !selects(a.Spec.Subject) {
			continue
		}
		if d == Ingress {
			for _, r := range a.Spec.Ingress {
				if ruleMatches(r.From, r.Ports) {
					if r.Action == anp.AdminNetworkPolicyRuleActionPass {
						break admin
					}
					return r.Action == anp.AdminNetworkPolicyRuleActionAllow
				}
			}
		} else {
			for _, r := range a.Spec.Egress {
				if ruleMatches(egressPeers(r.To), r.Ports) {
					if r.Action == anp.AdminNetworkPolicyRuleActionPass {
						break admin
					}
					return r.Action == anp.AdminNetworkPolicyRuleActionAllow
				}
			}
		}
	}
	if isolated, ok := w.npSide(d, subject, peer, dst, proto, port); isolated {
		return ok
	}
	if banp != nil && selects(banp.Spec.Subject) {
		if d == Ingress {
			for _, r := range banp.Spec.Ingress {
				if ruleMatches(r.From, r.Ports) {
					return r.Action == anp.BaselineAdminNetworkPolicyRuleActionAllow
				}
			}
		} else {
			for _, r := range banp.Spec.Egress {
				var peers []anp.AdminNetworkPolicyIngressPeer
				for _, p := range r.To {
					peers = append(peers, anp.AdminNetworkPolicyIngressPeer{Namespaces: p.Namespaces, Pods: p.Pods})
				}
				if ruleMatches(peers, r.Ports) {
					return r.Action == anp.BaselineAdminNetworkPolicyRuleActionAllow
				}
			}
		}
	}
	return true
}

func egressPeers(to []anp.AdminNetworkPolicyEgressPeer) []anp.AdminNetworkPolicyIngressPeer {
	var out []anp.AdminNetworkPolicyIngressPeer
	for _, p := range to {
		out = append(out, anp.AdminNetworkPolicyIngressPeer{Namespaces: p.Namespaces, Pods: p.Pods})
	}
	return out
}

// npSide is one direction of the naive NetworkPolicy decision.
func (w *naiveWorld) npSide(d Direction, subject, peer, dst naivePod, proto corev1.Protocol, port int32) (isolated, ok bool) {
	for _, np := range w.pols {
		in, eg := naiveTypes(np)
		if np.Namespace != subject.ns || !naiveSelects(&np.Spec.PodSelector, subject.labels) {
			continue
		}
		var rules [][]networkingv1.NetworkPolicyPort
		switch {
		case d == Egress && eg:
			for _, r := range np.Spec.Egress {
				if w.peersMatch(r.To, np.Namespace, peer) {
					rules = append(rules, r.Ports)
				}
			}
		case d == Ingress && in:
			for _, r := range np.Spec.Ingress {
				if w.peersMatch(r.From, np.Namespace, peer) {
					rules = append(rules, r.Ports)
				}
			}
		default:
			continue
		}
		isolated = true
		for _, ports := range rules {
			ok = ok || naivePortsMatch(ports, dst, proto, port)
		}
	}
	return isolated, ok
}

func naiveANPPorts(ports *[]anp.AdminNetworkPolicyPort, dst naivePod, proto corev1.Protocol, port int32) bool {
	if ports == nil {
		return true
	}
	for _, p := range *ports {
		switch {
		case p.PortNumber != nil:
			if p.PortNumber.Protocol == proto && p.PortNumber.Port == port {
				return true
			}
		case p.PortRange != nil:
			pr := p.PortRange.Protocol
			if pr == "" {
				pr = corev1.ProtocolTCP
			}
			if pr == proto && p.PortRange.Start <= port && port <= p.PortRange.End {
				return true
			}
		case p.NamedPort != nil:
			for _, c := range dst.spec.Containers {
				for _, cp := range c.Ports {
					cpp := cp.Protocol
					if cpp == "" {
						cpp = corev1.ProtocolTCP
					}
					if cp.Name == *p.NamedPort && cp.ContainerPort == port && cpp == proto {
						return true
					}
				}
			}
		}
	}
	return false
}

func randomClusterPolicies(r *rand.Rand) ([]*anp.AdminNetworkPolicy, *anp.BaselineAdminNetworkPolicy) {
	sel := func() *metav1.LabelSelector {
		switch r.Intn(4) {
		case 0:
			return &metav1.LabelSelector{}
		case 1:
			return &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}}
		case 2:
			return &metav1.LabelSelector{MatchLabels: map[string]string{"team": "x"}}
		}
		return &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": []string{"a", "b", "c", "d"}[r.Intn(4)]}}
	}
	podSel := func() metav1.LabelSelector {
		if r.Intn(2) == 0 {
			return metav1.LabelSelector{}
		}
		return metav1.LabelSelector{MatchLabels: map[string]string{"app": []string{"web", "api", "db"}[r.Intn(3)]}}
	}
	subject := func() anp.AdminNetworkPolicySubject {
		if r.Intn(2) == 0 {
			return anp.AdminNetworkPolicySubject{Namespaces: sel()}
		}
		return anp.AdminNetworkPolicySubject{Pods: &anp.NamespacedPod{NamespaceSelector: *sel(), PodSelector: podSel()}}
	}
	peers := func() []anp.AdminNetworkPolicyIngressPeer {
		var out []anp.AdminNetworkPolicyIngressPeer
		for i := 1 + r.Intn(2); i > 0; i-- {
			if r.Intn(2) == 0 {
				out = append(out, anp.AdminNetworkPolicyIngressPeer{Namespaces: sel()})
			} else {
				out = append(out, anp.AdminNetworkPolicyIngressPeer{Pods: &anp.NamespacedPod{NamespaceSelector: *sel(), PodSelector: podSel()}})
			}
		}
		return out
	}
	ports := func() *[]anp.AdminNetworkPolicyPort {
		if r.Intn(3) == 0 {
			return nil
		}
		var out []anp.AdminNetworkPolicyPort
		for i := 1 + r.Intn(2); i > 0; i-- {
			switch r.Intn(3) {
			case 0:
				out = append(out, anp.AdminNetworkPolicyPort{PortNumber: &anp.Port{Protocol: corev1.Protocol([]string{"TCP", "UDP"}[r.Intn(2)]), Port: int32([]int{53, 80, 8080}[r.Intn(3)])}})
			case 1:
				out = append(out, anp.AdminNetworkPolicyPort{PortRange: &anp.PortRange{Protocol: corev1.Protocol([]string{"", "UDP"}[r.Intn(2)]), Start: 1053, End: 9000}})
			default:
				name := []string{"http", "dns", "grpc"}[r.Intn(3)]
				out = append(out, anp.AdminNetworkPolicyPort{NamedPort: &name})
			}
		}
		return &out
	}
	actions := []anp.AdminNetworkPolicyRuleAction{anp.AdminNetworkPolicyRuleActionAllow, anp.AdminNetworkPolicyRuleActionDeny, anp.AdminNetworkPolicyRuleActionPass}
	var anps []*anp.AdminNetworkPolicy
	for i := r.Intn(4); i > 0; i-- {
		a := &anp.AdminNetworkPolicy{TypeMeta: metav1.TypeMeta{APIVersion: "policy.networking.k8s.io/v1alpha1", Kind: "AdminNetworkPolicy"},
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("anp-%d", i)}}
		a.Spec.Priority = int32(r.Intn(3))
		a.Spec.Subject = subject()
		for j := r.Intn(3); j > 0; j-- {
			a.Spec.Ingress = append(a.Spec.Ingress, anp.AdminNetworkPolicyIngressRule{Action: actions[r.Intn(3)], From: peers(), Ports: ports()})
		}
		for j := r.Intn(3); j > 0; j-- {
			var to []anp.AdminNetworkPolicyEgressPeer
			for _, p := range peers() {
				to = append(to, anp.AdminNetworkPolicyEgressPeer{Namespaces: p.Namespaces, Pods: p.Pods})
			}
			a.Spec.Egress = append(a.Spec.Egress, anp.AdminNetworkPolicyEgressRule{Action: actions[r.Intn(3)], To: to, Ports: ports()})
		}
		anps = append(anps, a)
	}
	if r.Intn(2) == 0 {
		return anps, nil
	}
	b := &anp.BaselineAdminNetworkPolicy{TypeMeta: metav1.TypeMeta{APIVersion: "policy.networking.k8s.io/v1alpha1", Kind: "BaselineAdminNetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: "default"}}
	b.Spec.Subject = subject()
	bactions := []anp.BaselineAdminNetworkPolicyRuleAction{anp.BaselineAdminNetworkPolicyRuleActionAllow, anp.BaselineAdminNetworkPolicyRuleActionDeny}
	for j := 1 + r.Intn(2); j > 0; j-- {
		b.Spec.Ingress = append(b.Spec.Ingress, anp.BaselineAdminNetworkPolicyIngressRule{Action: bactions[r.Intn(2)], From: peers(), Ports: ports()})
	}
	for j := r.Intn(3); j > 0; j-- {
		var to []anp.BaselineAdminNetworkPolicyEgressPeer
		for _, p := range peers() {
			to = append(to, anp.BaselineAdminNetworkPolicyEgressPeer{Namespaces: p.Namespaces, Pods: p.Pods})
		}
		b.Spec.Egress = append(b.Spec.Egress, anp.BaselineAdminNetworkPolicyEgressRule{Action: bactions[r.Intn(2)], To: to, Ports: ports()})
	}
	return anps, b
}
