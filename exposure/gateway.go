package exposure

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubeharden/kubeharden/inventory"
)

// GatewayGroup is the API group of the Gateway API.
const GatewayGroup = "gateway.networking.k8s.io"

// IsGatewayAPI reports whether o is an object of the Gateway API (any version).
func IsGatewayAPI(o *inventory.Object) bool {
	return strings.HasPrefix(o.APIVersion, GatewayGroup+"/")
}

// Listener is one listener of a Gateway, read from its unstructured content.
type Listener struct {
	Index    int
	Name     string
	Hostname string // empty: every host
	Port     int64
	Protocol string // HTTP, HTTPS, TLS, TCP, UDP (or an implementation-specific value)
	// TLSMode is Terminate or Passthrough for HTTPS and TLS listeners, empty otherwise.
	TLSMode  string
	CertRefs []CertRef
	// From says which namespaces' routes may attach: Same (the default), All or Selector.
	From     string
	Selector labels.Selector // for From == Selector; nil when unreadable
	// Kinds are the route kinds allowed to attach (defaults follow the protocol).
	Kinds []string
}

// Path is the field path of the listener.
func (l Listener) Path() string { return fmt.Sprintf("spec.listeners[%d]", l.Index) }

// CertRef is one entry of a listener's tls.certificateRefs, defaulted as the API does.
type CertRef struct {
	Index                  int
	Group, Kind, Namespace string
	Name                   string
}

// IsSecret reports whether the reference names a core Secret, the only kind every
// implementation supports.
func (r CertRef) IsSecret() bool { return r.Group == "" && r.Kind == "Secret" }

// Terminates reports whether the listener decrypts TLS at the Gateway with its certificates.
func (l Listener) Terminates() bool { return l.TLSMode == "Terminate" }

// Listeners reads the listeners of Gateway gw. Malformed entries are skipped.
func Listeners(gw *inventory.Object) []Listener {
	u, ok := gw.Unstructured()
	if !ok {
		return nil
	}
	items, _, _ := unstructured.NestedSlice(u.Object, "spec", "listeners")
	ns := gw.EffectiveNamespace()
	var out []Listener
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		l := Listener{Index: i, From: "Same"}
		l.Name, _, _ = unstructured.NestedString(m, "name")
		l.Hostname, _, _ = unstructured.NestedString(m, "hostname")
		l.Protocol, _, _ = unstructured.NestedString(m, "protocol")
		l.Port = number(m, "port")
		if l.Protocol == "HTTPS" || l.Protocol == "TLS" {
			l.TLSMode = "Terminate"
			if mode, ok, _ := unstructured.NestedString(m, "tls", "mode"); ok && mode != "" {
				l.TLSMode = mode
			}
			refs, _, _ := unstructured.NestedSlice(m, "tls", "certificateRefs")
			for j, r := range refs {
				rm, ok := r.(map[string]any)
				if !ok {
					continue
				}
				ref := CertRef{Index: j, Kind: "Secret", Namespace: ns}
				if v, ok, _ := unstructured.NestedString(rm, "group"); ok {
					ref.Group = v
				}
				if v, ok, _ := unstructured.NestedString(rm, "kind"); ok && v != "" {
					ref.Kind = v
				}
				if v, ok, _ := unstructured.NestedString(rm, "namespace"); ok && v != "" {
					ref.Namespace = v
				}
				ref.Name, _, _ = unstructured.NestedString(rm, "name")
				l.CertRefs = append(l.CertRefs, ref)
			}
		}
		if from, ok, _ := unstructured.NestedString(m, "allowedRoutes", "namespaces", "from"); ok && from != "" {
			l.From = from
		}
		if l.From == "Selector" {
			if sm, ok, _ := unstructured.NestedMap(m, "allowedRoutes", "namespaces", "selector"); ok {
				var ls metav1.LabelSelector
				if fromUnstructured(sm, &ls) == nil {
					if sel, err := metav1.LabelSelectorAsSelector(&ls); err == nil {
						l.Selector = sel
					}
				}
			}
		}
		kinds, _, _ := unstructured.NestedSlice(m, "allowedRoutes", "kinds")
		for _, k := range kinds {
			if km, ok := k.(map[string]any); ok {
				if v, ok, _ := unstructured.NestedString(km, "kind"); ok {
					l.Kinds = append(l.Kinds, v)
				}
			}
		}
		if len(l.Kinds) == 0 {
			l.Kinds = defaultKinds(l.Protocol, l.TLSMode)
		}
		out = append(out, l)
	}
	return out
}

// defaultKinds are the route kinds a listener accepts when allowedRoutes.kinds is unset.
func defaultKinds(protocol, mode string) []string {
	switch protocol {
	case "HTTP", "HTTPS":
		return []string{"HTTPRoute", "GRPCRoute"}
	case "TLS":
		if mode == "Terminate" {
			return []string{"TLSRoute", "TCPRoute"}
		}
		return []string{"TLSRoute"}
	case "TCP":
		return []string{"TCPRoute"}
	case "UDP":
		return []string{"UDPRoute"}
	}
	return nil
}

// number reads an integer field that may have been decoded as int64 or float64.
func number(m map[string]any, field string) int64 {
	switch v := m[field].(type) {
	case int64:
		return v
	case float64:
		return int64(v)
	case int:
		return int64(v)
	}
	return 0
}

// RouteKinds are the Gateway API route kinds that attach to listeners.
var RouteKinds = []string{"HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute"}

// Route is a route of the Gateway API, read from its unstructured content.
type Route struct {
	Object    *inventory.Object
	Hostnames []string
	Rules     []RouteRule
	parents   []parentRef
}

// RouteRule is one rule of a route.
type RouteRule struct {
	Index int
	// RedirectScheme is the scheme of the rule's RequestRedirect filter ("https"), empty
	// when the rule does not redirect.
	RedirectScheme string
	Backends       []BackendRef
}

// BackendRef is a route rule's backendRefs entry that names a Service.
type BackendRef struct {
	Namespace, Name string
	Port            int32
}

type parentRef struct {
	group, kind, namespace, name, section string
	port                                  int64
}

// Routes reads every route of the Gateway API in inv.
func Routes(inv *inventory.Inventory) []*Route {
	var out []*Route
	for _, kind := range RouteKinds {
		for _, o := range inv.ByKind(kind) {
			if r := readRoute(o); r != nil {
				out = append(out, r)
			}
		}
	}
	return out
}

func readRoute(o *inventory.Object) *Route {
	u, ok := o.Unstructured()
	if !ok || !IsGatewayAPI(o) {
		return nil
	}
	ns := o.EffectiveNamespace()
	r := &Route{Object: o}
	r.Hostnames, _, _ = unstructured.NestedStringSlice(u.Object, "spec", "hostnames")
	parents, _, _ := unstructured.NestedSlice(u.Object, "spec", "parentRefs")
	for _, p := range parents {
		pm, ok := p.(map[string]any)
		if !ok {
			continue
		}
		ref := parentRef{group: GatewayGroup, kind: "Gateway", namespace: ns, port: number(pm, "port")}
		if v, ok, _ := unstructured.NestedString(pm, "group"); ok {
			ref.group = v
		}
		if v, ok, _ := unstructured.NestedString(pm, "kind"); ok && v != "" {
			ref.kind = v
		}
		if v, ok, _ := unstructured.NestedString(pm, "namespace"); ok && v != "" {
			ref.namespace = v
		}
		ref.name, _, _ = unstructured.NestedString(pm, "name")
		ref.section, _, _ = unstructured.NestedString(pm, "sectionName")
		r.parents = append(r.parents, ref)
	}
	rules, _, _ := unstructured.NestedSlice(u.Object, "spec", "rules")
	for i, it := range rules {
		rm, ok := it.(map[string]any)
		if !ok {
			continue
		}
		rule := RouteRule{Index: i}
		filters, _, _ := unstructured.NestedSlice(rm, "filters")
		for _, f := range filters {
			fm, ok := f.(map[string]any)
			if !ok {
				continue
			}
			if t, _, _ := unstructured.NestedString(fm, "type"); t == "RequestRedirect" {
				rule.RedirectScheme, _, _ = unstructured.NestedString(fm, "requestRedirect", "scheme")
				if rule.RedirectScheme == "" {
					// A redirect without a scheme keeps the request's: http stays http.
					rule.RedirectScheme = "(unchanged)"
				}
			}
		}
		backends, _, _ := unstructured.NestedSlice(rm, "backendRefs")
		for _, b := range backends {
			bm, ok := b.(map[string]any)
			if !ok {
				continue
			}
			group, _, _ := unstructured.NestedString(bm, "group")
			kind, _, _ := unstructured.NestedString(bm, "kind")
			if group != "" || (kind != "" && kind != "Service") {
				continue
			}
			ref := BackendRef{Namespace: ns, Port: int32(number(bm, "port"))}
			ref.Name, _, _ = unstructured.NestedString(bm, "name")
			if v, ok, _ := unstructured.NestedString(bm, "namespace"); ok && v != "" {
				ref.Namespace = v
			}
			rule.Backends = append(rule.Backends, ref)
		}
		r.Rules = append(r.Rules, rule)
	}
	return r
}

// AttachedTo returns the routes that attach to listener l of Gateway gw: a parentRef names
// the Gateway (and the listener, by sectionName or port, when it says so), the listener
// allows the route's kind and namespace, and their hostnames intersect.
func AttachedTo(inv *inventory.Inventory, routes []*Route, gw *inventory.Object, l Listener) []*Route {
	gns := gw.EffectiveNamespace()
	var out []*Route
	for _, r := range routes {
		if !kindAllowed(l, r.Object.Kind) || !namespaceAllowed(inv, l, gns, r.Object.EffectiveNamespace()) {
			continue
		}
		if !r.refersTo(gw, gns, l) {
			continue
		}
		if !hostnamesIntersect(l.Hostname, r.Hostnames) {
			continue
		}
		out = append(out, r)
	}
	return out
}

func (r *Route) refersTo(gw *inventory.Object, gns string, l Listener) bool {
	for _, p := range r.parents {
		if p.group != GatewayGroup || p.kind != "Gateway" || p.namespace != gns || p.name != gw.Name {
			continue
		}
		if p.section != "" && p.section != l.Name {
			continue
		}
		if p.port != 0 && p.port != l.Port {
			continue
		}
		return true
	}
	return false
}

func kindAllowed(l Listener, kind string) bool {
	for _, k := range l.Kinds {
		if k == kind {
			return true
		}
	}
	return false
}

// namespaceAllowed applies allowedRoutes.namespaces. For Selector, the route namespace's
// labels are those of its Namespace object, plus kubernetes.io/metadata.name, which the API
// server sets on every namespace.
func namespaceAllowed(inv *inventory.Inventory, l Listener, gns, rns string) bool {
	switch l.From {
	case "All":
		return true
	case "Same":
		return gns == rns
	case "Selector":
		if l.Selector == nil {
			return false
		}
		set := labels.Set{"kubernetes.io/metadata.name": rns}
		if o := inv.Namespace(rns); o != nil {
			for k, v := range o.Labels() {
				set[k] = v
			}
		}
		return l.Selector.Matches(set)
	}
	return false
}

// hostnamesIntersect applies the Gateway API's hostname matching between a listener and a
// route: no hostname on either side matches everything, and a wildcard "*.example.com"
// matches any name ending in ".example.com", over one label or more.
func hostnamesIntersect(listener string, route []string) bool {
	if listener == "" || len(route) == 0 {
		return true
	}
	for _, h := range route {
		if gatewayHostMatch(listener, h) || gatewayHostMatch(h, listener) {
			return true
		}
	}
	return false
}

// gatewayHostMatch reports whether pattern matches host under the Gateway API's rules.
func gatewayHostMatch(pattern, host string) bool {
	pattern, host = strings.ToLower(pattern), strings.ToLower(host)
	if pattern == host {
		return true
	}
	suffix, ok := strings.CutPrefix(pattern, "*")
	if !ok {
		return false
	}
	return strings.HasSuffix(host, suffix) && len(host) > len(suffix)
}
