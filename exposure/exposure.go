// Package exposure lists every entry point into a cluster: Ingress hosts, Gateway listeners,
// LoadBalancer and NodePort Services, external IPs, host ports and host-network pods, each
// with the workloads and ports behind it and whether its traffic is encrypted. It reads an
// inventory only, so the same list comes from manifests and from a live cluster.
//
// `kubeharden exposure` prints the list; the ingress checks use the same lookups (Service
// selectors resolved to pod templates, Gateway route attachment, TLS coverage of hosts).
package exposure

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubeharden/kubeharden/certs"
	"github.com/kubeharden/kubeharden/inventory"
)

// Kind is the kind of an entry point.
type Kind string

// Kinds of entry points, in the order List returns them.
const (
	Ingress      Kind = "Ingress"
	Gateway      Kind = "Gateway"
	LoadBalancer Kind = "LoadBalancer"
	NodePort     Kind = "NodePort"
	ExternalIP   Kind = "ExternalIP"
	HostPort     Kind = "HostPort"
	HostNetwork  Kind = "HostNetwork"
)

var kindOrder = map[Kind]int{Ingress: 0, Gateway: 1, LoadBalancer: 2, NodePort: 3, ExternalIP: 4, HostPort: 5, HostNetwork: 6}

// TLS says whether an entry point's traffic is encrypted.
type TLS string

const (
	// TLSTerminated: the entry point decrypts TLS with a certificate it holds.
	TLSTerminated TLS = "terminated"
	// TLSPassthrough: TLS passes through to the backend, which holds the certificate.
	TLSPassthrough TLS = "passthrough"
	// TLSRedirect: plain HTTP that only redirects to HTTPS.
	TLSRedirect TLS = "redirect"
	// TLSProtocol: the port's protocol is encrypted (HTTPS, LDAPS, ...), by name or number.
	TLSProtocol TLS = "protocol"
	// TLSNone: plain text.
	TLSNone TLS = "none"
	// TLSUnknown: nothing tells what the port carries.
	TLSUnknown TLS = "unknown"
)

// Entry is one entry point.
type Entry struct {
	Kind   Kind          `json:"kind"`
	Object inventory.Ref `json:"object"`
	File   string        `json:"file,omitempty"`
	Line   int           `json:"line,omitempty"`
	// Path is the field that opens the entry point ("spec.ports[0]").
	Path string `json:"path,omitempty"`
	// Endpoint is where clients connect: "https://shop.example.com", "node:30080/TCP",
	// "lb:5432/TCP", "203.0.113.7:80/TCP".
	Endpoint string `json:"endpoint"`
	Host     string `json:"host,omitempty"`
	Port     int32  `json:"port,omitempty"`
	Protocol string `json:"protocol,omitempty"`
	TLS      TLS    `json:"tls"`
	// TLSDetail names the certificate (subject, expiry) or why TLS status is what it is.
	TLSDetail string `json:"tlsDetail,omitempty"`
	// Plaintext names a known clear-text protocol on the port ("PostgreSQL").
	Plaintext string `json:"plaintext,omitempty"`
	// SourceRanges restrict who may connect (loadBalancerSourceRanges); empty: anyone.
	SourceRanges []string  `json:"sourceRanges,omitempty"`
	Note         string    `json:"note,omitempty"`
	Backends     []Backend `json:"backends"`
}

// List returns every entry point of inv, judged at now (certificate expiry), sorted by kind,
// namespace and object.
func List(inv *inventory.Inventory, now time.Time) []Entry {
	x := NewIndex(inv)
	var out []Entry
	out = append(out, x.ingressEntries(now)...)
	out = append(out, x.gatewayEntries(now)...)
	out = append(out, x.serviceEntries()...)
	out = append(out, x.podEntries()...)
	for i := range out {
		if out[i].Backends == nil {
			out[i].Backends = []Backend{}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if kindOrder[a.Kind] != kindOrder[b.Kind] {
			return kindOrder[a.Kind] < kindOrder[b.Kind]
		}
		if a.Object.Namespace != b.Object.Namespace {
			return a.Object.Namespace < b.Object.Namespace
		}
		if a.Object.Name != b.Object.Name {
			return a.Object.Name < b.Object.Name
		}
		return false
	})
	return out
}

func entryFor(kind Kind, o *inventory.Object, path string) Entry {
	ref := o.Ref
	ref.Namespace = o.EffectiveNamespace()
	return Entry{Kind: kind, Object: ref, File: o.Source.File, Line: o.Line(path), Path: path}
}

func (x *Index) ingressEntries(now time.Time) []Entry {
	var out []Entry
	for _, o := range x.Inv.ByKind("Ingress") {
		ing, ok := o.Obj.(*networkingv1.Ingress)
		if !ok {
			continue
		}
		elsewhere := TLSElsewhere(o)
		for _, h := range IngressHosts(ing) {
			e := entryFor(Ingress, o, h.Path)
			e.Host = h.Host
			name := h.Host
			if name == "" {
				name = "*"
			}
			switch {
			case h.TLS >= 0:
				e.TLS, e.Protocol, e.Port = TLSTerminated, "HTTPS", 443
				e.TLSDetail = x.ingressCertDetail(o, ing.Spec.TLS[h.TLS], now)
				if h.Implicit {
					e.TLSDetail += " (tls entry without hosts)"
				}
			case elsewhere != "":
				e.TLS, e.Protocol, e.Port = TLSTerminated, "HTTPS", 443
				e.TLSDetail = "at the load balancer (" + elsewhere + ")"
			case h.Host != "" && TraefikRouterTLS(o):
				e.TLS, e.Protocol, e.Port = TLSTerminated, "HTTPS", 443
				e.TLSDetail = "Traefik router.tls with the default certificate"
			default:
				e.TLS, e.Protocol, e.Port = TLSNone, "HTTP", 80
				if h.Host == "" && len(ing.Spec.TLS) > 0 {
					e.TLSDetail = "a rule without host matches every host name; TLS covers only the hosts in spec.tls"
				}
			}
			e.Endpoint = strings.ToLower(e.Protocol) + "://" + name
			for _, r := range h.Rules {
				e.Backends = append(e.Backends, x.IngressBackends(o, r)...)
			}
			e.Backends = dedupe(e.Backends)
			e.Note = ingressAddress(ing)
			out = append(out, e)
		}
		if ing.Spec.DefaultBackend != nil {
			e := entryFor(Ingress, o, "spec.defaultBackend")
			e.Endpoint, e.Protocol, e.Port, e.TLS = "http://*", "HTTP", 80, TLSNone
			e.TLSDetail = "the default backend serves requests for any host"
			if len(ing.Spec.TLS) > 0 || elsewhere != "" {
				e.Endpoint, e.Protocol, e.Port, e.TLS = "https://*", "HTTPS", 443, TLSTerminated
				e.TLSDetail = "the default backend serves requests for any host, over TLS with whatever certificate matches"
			}
			e.Backends = x.IngressBackends(o, -1)
			e.Note = ingressAddress(ing)
			out = append(out, e)
		}
	}
	return out
}

// TraefikRouterTLS reports Traefik's router.tls annotation, with which Traefik serves an
// Ingress over TLS (with its default certificate unless spec.tls names one).
func TraefikRouterTLS(o *inventory.Object) bool {
	return strings.EqualFold(o.Annotations()["traefik.ingress.kubernetes.io/router.tls"], "true")
}

func ingressAddress(ing *networkingv1.Ingress) string {
	lb := ing.Status.LoadBalancer.Ingress
	return addressOf(len(lb), func(i int) (string, string) { return lb[i].IP, lb[i].Hostname })
}

// addressOf renders the n load-balancer addresses a status lists (IP, else host name).
func addressOf(n int, at func(int) (ip, host string)) string {
	var addrs []string
	for i := 0; i < n; i++ {
		if ip, host := at(i); ip != "" {
			addrs = append(addrs, ip)
		} else if host != "" {
			addrs = append(addrs, host)
		}
	}
	if len(addrs) == 0 {
		return ""
	}
	return "address " + strings.Join(addrs, ", ")
}

// ingressCertDetail describes the certificate a tls entry serves.
func (x *Index) ingressCertDetail(o *inventory.Object, t networkingv1.IngressTLS, now time.Time) string {
	if t.SecretName == "" {
		return "the controller's default certificate (no secretName)"
	}
	return x.certDetail(o, o.EffectiveNamespace(), t.SecretName, now)
}

// certDetail describes the certificate in Secret ns/name that user serves.
func (x *Index) certDetail(user *inventory.Object, ns, name string, now time.Time) string {
	so, c, err := x.Cert(ns, name)
	switch {
	case so == nil && CertManaged(x.Inv, user, ns, name):
		return "secret " + name + " (not loaded; cert-manager issues it)"
	case so == nil:
		return "secret " + name + " (not loaded)"
	case err != nil:
		return "secret " + name + ": " + err.Error()
	}
	l := c.Leaf
	state := "expires " + l.NotAfter.UTC().Format(time.DateOnly)
	switch {
	case now.After(l.NotAfter):
		state = "EXPIRED " + l.NotAfter.UTC().Format(time.DateOnly)
	case now.Before(l.NotBefore):
		state = "not valid before " + l.NotBefore.UTC().Format(time.DateOnly)
	}
	return fmt.Sprintf("secret %s: %s, %s", name, l.Subject.String(), state)
}

// Cert returns the TLS Secret ns/name and its parsed certificate. The Secret is nil when it
// was not loaded; err says why a loaded Secret has no usable certificate. Results are cached:
// an Index is not safe for concurrent use.
func (x *Index) Cert(ns, name string) (*inventory.Object, *certs.Cert, error) {
	k := [2]string{ns, name}
	if x.certs == nil {
		x.certs = map[[2]string]certEntry{}
	}
	if e, ok := x.certs[k]; ok {
		return e.o, e.c, e.err
	}
	var e certEntry
	if e.o = x.Inv.Get("Secret", ns, name); e.o != nil {
		if s, ok := e.o.Obj.(*corev1.Secret); ok {
			e.c, e.err = certs.FromSecret(s)
		} else {
			e.err = fmt.Errorf("not a readable Secret")
		}
	}
	x.certs[k] = e
	return e.o, e.c, e.err
}

type certEntry struct {
	o   *inventory.Object
	c   *certs.Cert
	err error
}

func (x *Index) gatewayEntries(now time.Time) []Entry {
	var out []Entry
	gws := x.Inv.ByKind("Gateway")
	if len(gws) == 0 {
		return nil
	}
	routes := Routes(x.Inv)
	for _, gw := range gws {
		if !IsGatewayAPI(gw) {
			continue
		}
		addr := gatewayAddress(gw)
		for _, l := range Listeners(gw) {
			e := entryFor(Gateway, gw, l.Path())
			host := l.Hostname
			if host == "" {
				host = "*"
			}
			e.Host, e.Port, e.Protocol, e.Note = l.Hostname, int32(l.Port), l.Protocol, addr
			e.Endpoint = fmt.Sprintf("%s://%s:%d", strings.ToLower(l.Protocol), host, l.Port)
			attached := AttachedTo(x.Inv, routes, gw, l)
			switch {
			case l.TLSMode == "Passthrough":
				e.TLS, e.TLSDetail = TLSPassthrough, "the backend terminates TLS"
			case l.Terminates():
				e.TLS = TLSTerminated
				var ds []string
				for _, r := range l.CertRefs {
					if r.IsSecret() {
						ds = append(ds, x.certDetail(gw, r.Namespace, r.Name, now))
					} else {
						ds = append(ds, r.Kind+" "+r.Name)
					}
				}
				e.TLSDetail = strings.Join(ds, "; ")
			case l.Protocol == "HTTP" && len(attached) > 0 && allRedirect(attached):
				e.TLS, e.TLSDetail = TLSRedirect, "every attached route redirects to https"
			default:
				e.TLS = TLSNone
			}
			if len(attached) == 0 {
				e.TLSDetail = strings.TrimPrefix(e.TLSDetail+"; no route attached", "; ")
			}
			for _, r := range attached {
				for _, rule := range r.Rules {
					for _, b := range rule.Backends {
						e.Backends = append(e.Backends, x.serviceRefBackends(b.Namespace, b.Name, b.Port, "", "")...)
					}
				}
			}
			e.Backends = dedupe(e.Backends)
			out = append(out, e)
		}
	}
	return out
}

// allRedirect reports whether every rule of every route redirects to https.
func allRedirect(routes []*Route) bool {
	for _, r := range routes {
		if r.Object.Kind != "HTTPRoute" || len(r.Rules) == 0 {
			return false
		}
		for _, rule := range r.Rules {
			if rule.RedirectScheme != "https" {
				return false
			}
		}
	}
	return true
}

func gatewayAddress(gw *inventory.Object) string {
	u, _ := gw.Unstructured()
	var out []string
	for _, path := range [][]string{{"spec", "addresses"}, {"status", "addresses"}} {
		items, _, _ := unstructured.NestedSlice(u.Object, path...)
		for _, it := range items {
			if m, ok := it.(map[string]any); ok {
				if v, ok := m["value"].(string); ok && v != "" {
					out = append(out, v)
				}
			}
		}
		if len(out) > 0 {
			break
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "address " + strings.Join(out, ", ")
}

func (x *Index) serviceEntries() []Entry {
	var out []Entry
	for _, o := range x.Inv.ByKind("Service") {
		svc, ok := o.Obj.(*corev1.Service)
		if !ok {
			continue
		}
		lb := svc.Spec.Type == corev1.ServiceTypeLoadBalancer
		nodePorts := svc.Spec.Type == corev1.ServiceTypeNodePort ||
			(lb && (svc.Spec.AllocateLoadBalancerNodePorts == nil || *svc.Spec.AllocateLoadBalancerNodePorts))
		if !lb && !nodePorts && len(svc.Spec.ExternalIPs) == 0 {
			continue
		}
		for i, p := range svc.Spec.Ports {
			path := fmt.Sprintf("spec.ports[%d]", i)
			base := entryFor("", o, path)
			base.Port, base.Protocol = p.Port, protoOf(p.Protocol)
			base.TLS = TLSUnknown
			if pr, ok := PortProtocol(p); ok {
				if pr.Plaintext {
					base.TLS, base.Plaintext = TLSNone, pr.Name
				} else {
					base.TLS, base.TLSDetail = TLSProtocol, pr.Name
				}
			}
			backends := x.ServiceBackends(o, p)
			if lb {
				e := base
				e.Kind = LoadBalancer
				e.Endpoint = fmt.Sprintf("lb:%d/%s", p.Port, base.Protocol)
				e.SourceRanges = SourceRanges(o)
				if a := InternalLB(o); a != "" {
					e.Note = "internal load balancer (" + a + ")"
				}
				if addr := serviceAddress(svc); addr != "" {
					e.Note = strings.TrimPrefix(e.Note+"; "+addr, "; ")
				}
				e.Backends = backends
				out = append(out, e)
			}
			if nodePorts {
				e := base
				e.Kind = NodePort
				e.Path = path + ".nodePort"
				e.Line = o.Line(e.Path)
				np := "allocated"
				if p.NodePort != 0 {
					np = strconv.Itoa(int(p.NodePort))
					e.Port = p.NodePort
				} else {
					e.Port = 0
				}
				e.Endpoint = fmt.Sprintf("node:%s/%s", np, base.Protocol)
				e.Note = fmt.Sprintf("service port %d", p.Port)
				if lb {
					e.Note += ", allocated for the load balancer"
				}
				e.Backends = backends
				out = append(out, e)
			}
			for j, ip := range svc.Spec.ExternalIPs {
				e := base
				e.Kind = ExternalIP
				e.Path = fmt.Sprintf("spec.externalIPs[%d]", j)
				e.Line = o.Line(e.Path)
				e.Endpoint = fmt.Sprintf("%s:%d/%s", ip, p.Port, base.Protocol)
				e.Backends = backends
				out = append(out, e)
			}
		}
	}
	return out
}

func protoOf(p corev1.Protocol) string {
	if p == "" {
		return string(corev1.ProtocolTCP)
	}
	return string(p)
}

func serviceAddress(svc *corev1.Service) string {
	lb := svc.Status.LoadBalancer.Ingress
	return addressOf(len(lb), func(i int) (string, string) { return lb[i].IP, lb[i].Hostname })
}

// SourceRanges returns the client ranges a LoadBalancer Service accepts: its
// loadBalancerSourceRanges, else the legacy annotation that cloud providers read.
func SourceRanges(o *inventory.Object) []string {
	svc := o.Obj.(*corev1.Service)
	if len(svc.Spec.LoadBalancerSourceRanges) > 0 {
		return svc.Spec.LoadBalancerSourceRanges
	}
	var out []string
	for _, r := range strings.Split(o.Annotations()[corev1.AnnotationLoadBalancerSourceRangesKey], ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

// internalLB are the cloud annotations that put a LoadBalancer on a private network.
var internalLB = map[string][]string{
	"service.beta.kubernetes.io/aws-load-balancer-internal":          {"true", "0.0.0.0/0"},
	"service.beta.kubernetes.io/aws-load-balancer-scheme":            {"internal"},
	"networking.gke.io/load-balancer-type":                           {"internal"},
	"cloud.google.com/load-balancer-type":                            {"internal"},
	"service.beta.kubernetes.io/azure-load-balancer-internal":        {"true"},
	"service.beta.kubernetes.io/oci-load-balancer-internal":          {"true"},
	"service.beta.kubernetes.io/openstack-internal-load-balancer":    {"true"},
	"service.kubernetes.io/ibm-load-balancer-cloud-provider-ip-type": {"private"},
	"service.beta.kubernetes.io/do-loadbalancer-type":                {"internal"},
}

// InternalLB returns the annotation that makes a LoadBalancer Service internal, or "".
func InternalLB(o *inventory.Object) string {
	a := o.Annotations()
	for k, vals := range internalLB {
		v, ok := a[k]
		if !ok {
			continue
		}
		for _, want := range vals {
			if strings.EqualFold(strings.TrimSpace(v), want) {
				return k + ": " + v
			}
		}
	}
	return ""
}

func (x *Index) podEntries() []Entry {
	var out []Entry
	for _, t := range x.Inv.PodTemplates() {
		ref := t.Owner.Ref
		if t.Spec.HostNetwork {
			n := 0
			for _, c := range t.Containers() {
				for j, p := range c.Container.Ports {
					path := fmt.Sprintf("%s.ports[%d]", c.Path, j)
					e := entryFor(HostNetwork, t.Owner, path)
					e.Port, e.Protocol = p.ContainerPort, protoOf(p.Protocol)
					e.Endpoint = fmt.Sprintf("node:%d/%s", p.ContainerPort, e.Protocol)
					e.TLS = portTLS(p.ContainerPort, p.Name, &e)
					e.Backends = []Backend{{Workload: &ref, Container: c.Container.Name, Port: fmt.Sprintf("%d/%s", p.ContainerPort, e.Protocol)}}
					out = append(out, e)
					n++
				}
			}
			if n == 0 {
				e := entryFor(HostNetwork, t.Owner, t.Path+".hostNetwork")
				e.Endpoint, e.TLS = "node:*", TLSUnknown
				e.Note = "no ports declared: every port the pods listen on is open on the node"
				e.Backends = []Backend{{Workload: &ref}}
				out = append(out, e)
			}
			continue
		}
		for _, c := range t.Containers() {
			for j, p := range c.Container.Ports {
				if p.HostPort == 0 {
					continue
				}
				path := fmt.Sprintf("%s.ports[%d].hostPort", c.Path, j)
				e := entryFor(HostPort, t.Owner, path)
				e.Port, e.Protocol = p.HostPort, protoOf(p.Protocol)
				host := "node"
				if p.HostIP != "" {
					host = p.HostIP
				}
				e.Endpoint = fmt.Sprintf("%s:%d/%s", host, p.HostPort, e.Protocol)
				e.TLS = portTLS(p.ContainerPort, p.Name, &e)
				e.Backends = []Backend{{Workload: &ref, Container: c.Container.Name, Port: fmt.Sprintf("%d/%s", p.ContainerPort, e.Protocol)}}
				out = append(out, e)
			}
		}
	}
	return out
}

// portTLS judges a container port like a Service port and fills e's plaintext fields.
func portTLS(port int32, name string, e *Entry) TLS {
	sp := corev1.ServicePort{Name: name, Port: port, Protocol: corev1.Protocol(e.Protocol)}
	pr, ok := PortProtocol(sp)
	switch {
	case !ok:
		return TLSUnknown
	case pr.Plaintext:
		e.Plaintext = pr.Name
		return TLSNone
	}
	e.TLSDetail = pr.Name
	return TLSProtocol
}
