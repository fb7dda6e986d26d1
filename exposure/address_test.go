package exposure

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

func TestLoadBalancerAddresses(t *testing.T) {
	svc := &corev1.Service{}
	if got := serviceAddress(svc); got != "" {
		t.Errorf("no status: %q", got)
	}
	svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "203.0.113.7"}, {Hostname: "lb.example.com"}, {}}
	if got := serviceAddress(svc); got != "address 203.0.113.7, lb.example.com" {
		t.Errorf("service: %q", got)
	}
	ing := &networkingv1.Ingress{}
	ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: "198.51.100.1", Hostname: "ignored.example.com"}}
	if got := ingressAddress(ing); got != "address 198.51.100.1" {
		t.Errorf("ingress: %q", got)
	}
}
