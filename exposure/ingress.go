package exposure

import (
	"fmt"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeharden/kubeharden/certs"
	"github.com/kubeharden/kubeharden/inventory"
)

// IngressHost is a host an Ingress routes, where it is written, and the spec.tls entry that
// serves it over TLS.
type IngressHost struct {
	Host string // "" for a rule without host, which matches every host
	Path string // "spec.rules[0].host", or "spec.rules[0]" for a rule without host
	// Rules are the indexes of every rule with this host, the first one first.
	Rules []int
	// TLS is the index of the tls entry whose hosts cover Host, or -1. An entry without
	// hosts covers whatever the controller's default says; Implicit marks that case.
	TLS      int
	Implicit bool
}

// IngressHosts lists the hosts of ing's rules (first occurrence of each) with their TLS
// entry.
func IngressHosts(ing *networkingv1.Ingress) []IngressHost {
	var out []IngressHost
	seen := map[string]int{}
	for i, r := range ing.Spec.Rules {
		h := strings.ToLower(r.Host)
		if j, ok := seen[h]; ok {
			out[j].Rules = append(out[j].Rules, i)
			continue
		}
		seen[h] = len(out)
		ih := IngressHost{Host: r.Host, Rules: []int{i}, Path: fmt.Sprintf("spec.rules[%d].host", i), TLS: -1}
		if r.Host == "" {
			ih.Path = fmt.Sprintf("spec.rules[%d]", i)
		} else {
			ih.TLS, ih.Implicit = TLSFor(ing, r.Host)
		}
		out = append(out, ih)
	}
	return out
}

// TLSFor returns the index of the spec.tls entry that serves host: one whose hosts cover it
// (TLS wildcard rules: "*.example.com" covers exactly one label), else the first entry
// without hosts (implicit: the controller decides), else -1.
func TLSFor(ing *networkingv1.Ingress, host string) (int, bool) {
	implicit := -1
	for i, t := range ing.Spec.TLS {
		if len(t.Hosts) == 0 && implicit < 0 {
			implicit = i
		}
		for _, h := range t.Hosts {
			if certs.MatchHost(h, host) {
				return i, false
			}
		}
	}
	return implicit, implicit >= 0
}

// tlsElsewhere are annotations with which a cloud load balancer, not spec.tls, terminates
// TLS for an Ingress: the Ingress then serves HTTPS without a tls section.
var tlsElsewhere = []string{
	"alb.ingress.kubernetes.io/certificate-arn",         // AWS Load Balancer Controller
	"ingress.gcp.kubernetes.io/pre-shared-cert",         // GKE
	"networking.gke.io/managed-certificates",            // GKE managed certificates
	"appgw.ingress.kubernetes.io/appgw-ssl-certificate", // Azure Application Gateway
}

// TLSElsewhere returns the annotation that makes a load balancer terminate TLS for o, or "".
func TLSElsewhere(o *inventory.Object) string {
	a := o.Annotations()
	for _, k := range tlsElsewhere {
		if strings.TrimSpace(a[k]) != "" {
			return k
		}
	}
	return ""
}

// IngressBackends lists the workloads behind the paths of a rule (rule < 0: the default
// backend).
func (x *Index) IngressBackends(o *inventory.Object, rule int) []Backend {
	ing := o.Obj.(*networkingv1.Ingress)
	ns := o.EffectiveNamespace()
	var out []Backend
	add := func(b *networkingv1.IngressBackend, path string) {
		if b == nil {
			return
		}
		if b.Service == nil {
			if b.Resource != nil {
				out = append(out, Backend{Path: path, Note: "resource " + b.Resource.Kind + "/" + b.Resource.Name})
			}
			return
		}
		out = append(out, x.serviceRefBackends(ns, b.Service.Name, b.Service.Port.Number, b.Service.Port.Name, path)...)
	}
	if rule < 0 || rule >= len(ing.Spec.Rules) {
		add(ing.Spec.DefaultBackend, "")
		return dedupe(out)
	}
	if h := ing.Spec.Rules[rule].HTTP; h != nil {
		for _, p := range h.Paths {
			path := p.Path
			if path == "" {
				path = "/"
			}
			add(&p.Backend, path)
		}
	}
	return dedupe(out)
}

// CertManaged reports whether cert-manager is declared to create Secret ns/name that user
// (an Ingress or Gateway) serves: a Certificate in ns writes it, or user asks cert-manager's
// ingress or gateway shim for it with an issuer annotation.
func CertManaged(inv *inventory.Inventory, user *inventory.Object, ns, name string) bool {
	if user != nil {
		a := user.Annotations()
		if a["cert-manager.io/issuer"] != "" || a["cert-manager.io/cluster-issuer"] != "" {
			return true
		}
	}
	for _, o := range inv.InNamespace(ns) {
		if o.Kind != "Certificate" || !strings.HasPrefix(o.APIVersion, "cert-manager.io/") {
			continue
		}
		if u, ok := o.Unstructured(); ok {
			if s, _, _ := unstructured.NestedString(u.Object, "spec", "secretName"); s == name {
				return true
			}
		}
	}
	return false
}

func fromUnstructured(m map[string]any, into any) error {
	return runtime.DefaultUnstructuredConverter.FromUnstructured(m, into)
}
