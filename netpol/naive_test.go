package netpol

import (
	"net"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubeharden/kubeharden/inventory"
)

// The naive evaluator decides one pod pair at a time straight from the API objects, written
// from the API reference without sharing code with the engine: no classes, no bitsets, no
// interned port sets. Tests compare the two.

type naivePod struct {
	ns, name string
	labels   map[string]string
	spec     *corev1.PodSpec
}

type naiveWorld struct {
	nsLabels map[string]map[string]string
	pods     []naivePod
	pols     []*networkingv1.NetworkPolicy // namespace filled in, invalid ones dropped
}

func naiveWorldOf(objs []*inventory.Object) *naiveWorld {
	w := &naiveWorld{nsLabels: map[string]map[string]string{}}
	inv := inventory.Build(objs)
	for _, o := range inv.ByKind("Namespace") {
		w.nsLabels[o.Name] = o.Labels()
	}
	for _, t := range inv.PodTemplates() {
		if t.Owner.Kind == "PodTemplate" || t.Spec.HostNetwork {
			continue
		}
		w.pods = append(w.pods, naivePod{t.Namespace(), t.Owner.Name, t.Labels(), t.Spec})
	}
	for _, o := range inv.ByKind("NetworkPolicy") {
		np := o.Obj.(*networkingv1.NetworkPolicy).DeepCopy()
		np.Namespace = o.EffectiveNamespace()
		if naiveValid(np) {
			w.pols = append(w.pols, np)
		}
	}
	return w
}

func (w *naiveWorld) namespaceLabels(ns string) labels.Set {
	out := labels.Set{}
	for k, v := range w.nsLabels[ns] {
		out[k] = v
	}
	out["kubernetes.io/metadata.name"] = ns
	return out
}

func naiveSelects(sel *metav1.LabelSelector, l map[string]string) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && s.Matches(labels.Set(l))
}

func naiveTypes(np *networkingv1.NetworkPolicy) (in, eg bool) {
	if len(np.Spec.PolicyTypes) == 0 {
		return true, len(np.Spec.Egress) > 0
	}
	for _, t := range np.Spec.PolicyTypes {
		switch t {
		case networkingv1.PolicyTypeIngress:
			in = true
		case networkingv1.PolicyTypeEgress:
			eg = true
		}
	}
	return in, eg
}

// naiveValid is a short reading of the API server's validation.
func naiveValid(np *networkingv1.NetworkPolicy) bool {
	if _, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector); err != nil {
		return false
	}
	for _, t := range np.Spec.PolicyTypes {
		if t != networkingv1.PolicyTypeIngress && t != networkingv1.PolicyTypeEgress {
			return false
		}
	}
	var peers []networkingv1.NetworkPolicyPeer
	var ports []networkingv1.NetworkPolicyPort
	for _, r := range np.Spec.Ingress {
		peers, ports = append(peers, r.From...), append(ports, r.Ports...)
	}
	for _, r := range np.Spec.Egress {
		peers, ports = append(peers, r.To...), append(ports, r.Ports...)
	}
	for _, p := range peers {
		if p.IPBlock != nil {
			if p.PodSelector != nil || p.NamespaceSelector != nil {
				return false
			}
			ip, cidr, err := net.ParseCIDR(p.IPBlock.CIDR)
			if err != nil || !ip.Equal(cidr.IP) {
				return false
			}
			ones, _ := cidr.Mask.Size()
			for _, e := range p.IPBlock.Except {
				eip, ex, err := net.ParseCIDR(e)
				if err != nil || !eip.Equal(ex.IP) {
					return false
				}
				eo, _ := ex.Mask.Size()
				if !cidr.Contains(ex.IP) || eo <= ones || (ex.IP.To4() == nil) != (cidr.IP.To4() == nil) {
					return false
				}
			}
		} else if p.PodSelector == nil && p.NamespaceSelector == nil {
			return false
		}
		for _, s := range []*metav1.LabelSelector{p.PodSelector, p.NamespaceSelector} {
			if s != nil {
				if _, err := metav1.LabelSelectorAsSelector(s); err != nil {
					return false
				}
			}
		}
	}
	for _, p := range ports {
		if p.Protocol != nil && *p.Protocol != corev1.ProtocolTCP && *p.Protocol != corev1.ProtocolUDP && *p.Protocol != corev1.ProtocolSCTP {
			return false
		}
		if p.EndPort != nil && (p.Port == nil || p.Port.Type != intstr.Int || *p.EndPort < p.Port.IntVal || *p.EndPort > 65535) {
			return false
		}
		if p.Port != nil && p.Port.Type == intstr.Int && (p.Port.IntVal < 1 || p.Port.IntVal > 65535) {
			return false
		}
	}
	return true
}

func (w *naiveWorld) peersMatch(peers []networkingv1.NetworkPolicyPeer, policyNS string, pod naivePod) bool {
	if len(peers) == 0 {
		return true
	}
	for _, p := range peers {
		if p.IPBlock != nil {
			continue // pods are never matched by ipBlock
		}
		if p.NamespaceSelector == nil {
			if pod.ns != policyNS {
				continue
			}
		} else if !naiveSelects(p.NamespaceSelector, w.namespaceLabels(pod.ns)) {
			continue
		}
		if p.PodSelector == nil || naiveSelects(p.PodSelector, pod.labels) {
			return true
		}
	}
	return false
}

func naivePortsMatch(ports []networkingv1.NetworkPolicyPort, dst naivePod, proto corev1.Protocol, port int32) bool {
	if len(ports) == 0 {
		return true
	}
	for _, p := range ports {
		pp := corev1.ProtocolTCP
		if p.Protocol != nil {
			pp = *p.Protocol
		}
		if pp != proto {
			continue
		}
		switch {
		case p.Port == nil:
			return true
		case p.Port.Type == intstr.Int:
			end := p.Port.IntVal
			if p.EndPort != nil {
				end = *p.EndPort
			}
			if port >= p.Port.IntVal && port <= end {
				return true
			}
		default:
			var cs []corev1.Container
			cs = append(cs, dst.spec.Containers...)
			for _, c := range dst.spec.InitContainers {
				if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
					cs = append(cs, c)
				}
			}
			for _, c := range cs {
				for _, cp := range c.Ports {
					cproto := cp.Protocol
					if cproto == "" {
						cproto = corev1.ProtocolTCP
					}
					if cp.Name == p.Port.StrVal && cproto == proto && cp.ContainerPort == port {
						return true
					}
				}
			}
		}
	}
	return false
}

// allowed decides whether src may connect to dst on port/proto.
func (w *naiveWorld) allowed(src, dst naivePod, proto corev1.Protocol, port int32) bool {
	return w.decider(src, dst)(proto, port)
}

// decider works out which rules apply between src and dst, and returns the port decision.
func (w *naiveWorld) decider(src, dst naivePod) func(corev1.Protocol, int32) bool {
	egressIsolated, ingressIsolated := false, false
	var egressPorts, ingressPorts [][]networkingv1.NetworkPolicyPort
	for _, np := range w.pols {
		in, eg := naiveTypes(np)
		if eg && np.Namespace == src.ns && naiveSelects(&np.Spec.PodSelector, src.labels) {
			egressIsolated = true
			for _, r := range np.Spec.Egress {
				if w.peersMatch(r.To, np.Namespace, dst) {
					egressPorts = append(egressPorts, r.Ports)
				}
			}
		}
		if in && np.Namespace == dst.ns && naiveSelects(&np.Spec.PodSelector, dst.labels) {
			ingressIsolated = true
			for _, r := range np.Spec.Ingress {
				if w.peersMatch(r.From, np.Namespace, src) {
					ingressPorts = append(ingressPorts, r.Ports)
				}
			}
		}
	}
	return func(proto corev1.Protocol, port int32) bool {
		ok := func(isolated bool, rules [][]networkingv1.NetworkPolicyPort) bool {
			if !isolated {
				return true
			}
			for _, ports := range rules {
				if naivePortsMatch(ports, dst, proto, port) {
					return true
				}
			}
			return false
		}
		return ok(egressIsolated, egressPorts) && ok(ingressIsolated, ingressPorts)
	}
}

func (w *naiveWorld) pod(id string) (naivePod, bool) {
	ns, name, _ := strings.Cut(id, "/")
	for _, p := range w.pods {
		if p.ns == ns && p.name == name {
			return p, true
		}
	}
	return naivePod{}, false
}

// naiveVerdict answers a fixture expectation between two pods on a numbered port.
func naiveVerdict(t *testing.T, objs []*inventory.Object, from, to, port string) (string, bool) {
	p, err := ParsePort(port)
	if err != nil || p.Name != "" {
		return "", false
	}
	w := naiveWorldOf(objs)
	src, ok1 := w.pod(from)
	dst, ok2 := w.pod(to)
	if !ok1 || !ok2 {
		return "", false
	}
	if w.allowed(src, dst, corev1.Protocol(p.Protocol.String()), int32(p.Number)) {
		return "allow", true
	}
	return "deny", true
}
