package exposure

import (
	"fmt"
	"sort"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubeharden/kubeharden/inventory"
)

// Backend is what receives traffic from an entry point: a workload's container port, or a
// note saying why none could be named.
type Backend struct {
	// Service is the Service the traffic goes through ("ns/name"), for Ingress and Gateway
	// backends; empty when the entry point is the Service itself.
	Service string `json:"service,omitempty"`
	// Path is the HTTP path prefix routed to this backend, when there is one.
	Path string `json:"path,omitempty"`
	// Workload is the object whose pods receive the traffic.
	Workload *inventory.Ref `json:"workload,omitempty"`
	// Container and Port are the container and its port ("8080/TCP"), when known.
	Container string `json:"container,omitempty"`
	Port      string `json:"port,omitempty"`
	// Note explains a backend without a workload: "no workload matches the selector".
	Note string `json:"note,omitempty"`
}

// String renders the backend for tables: "Deployment/api:8080/TCP (api)".
func (b Backend) String() string {
	s := ""
	if b.Workload != nil {
		s = b.Workload.Kind + "/" + b.Workload.Name
		if b.Port != "" {
			s += ":" + b.Port
		}
		if b.Container != "" {
			s += " (" + b.Container + ")"
		}
	}
	if b.Note != "" {
		if s != "" {
			s += " "
		}
		s += b.Note
	}
	if b.Service != "" {
		s = "svc/" + b.Service + " → " + s
	}
	if b.Path != "" {
		s = b.Path + " " + s
	}
	return s
}

// Index holds the lookups entry points need: Services by name and pod templates by
// namespace. Build it once per inventory with NewIndex.
type Index struct {
	Inv       *inventory.Inventory
	services  map[[2]string]*inventory.Object
	templates map[string][]inventory.PodTemplate
	certs     map[[2]string]certEntry
}

// NewIndex indexes inv.
func NewIndex(inv *inventory.Inventory) *Index {
	x := &Index{Inv: inv, services: map[[2]string]*inventory.Object{}, templates: map[string][]inventory.PodTemplate{}}
	for _, o := range inv.ByKind("Service") {
		if _, ok := o.Obj.(*corev1.Service); ok {
			x.services[[2]string{o.EffectiveNamespace(), o.Name}] = o
		}
	}
	for _, t := range inv.PodTemplates() {
		ns := t.Namespace()
		x.templates[ns] = append(x.templates[ns], t)
	}
	return x
}

// Service returns the Service ns/name, or nil when it was not loaded.
func (x *Index) Service(ns, name string) (*inventory.Object, *corev1.Service) {
	o := x.services[[2]string{ns, name}]
	if o == nil {
		return nil, nil
	}
	return o, o.Obj.(*corev1.Service)
}

// Selected returns the pod templates of namespace ns that a Service selector picks. A nil or
// empty selector picks none: the Service's endpoints are then managed by hand.
func (x *Index) Selected(ns string, selector map[string]string) []inventory.PodTemplate {
	if len(selector) == 0 {
		return nil
	}
	sel := labels.SelectorFromSet(selector)
	var out []inventory.PodTemplate
	for _, t := range x.templates[ns] {
		if sel.Matches(labels.Set(t.Labels())) {
			out = append(out, t)
		}
	}
	return out
}

// ServiceBackends lists the container ports that a port of Service o receives traffic on,
// resolving a named targetPort in each selected pod template as kube-proxy does.
func (x *Index) ServiceBackends(o *inventory.Object, port corev1.ServicePort) []Backend {
	svc := o.Obj.(*corev1.Service)
	switch {
	case svc.Spec.Type == corev1.ServiceTypeExternalName:
		return []Backend{{Note: "external name " + svc.Spec.ExternalName}}
	case len(svc.Spec.Selector) == 0:
		return []Backend{{Note: "no selector: endpoints are managed outside the Service"}}
	}
	tpls := x.Selected(o.EffectiveNamespace(), svc.Spec.Selector)
	if len(tpls) == 0 {
		return []Backend{{Note: "no loaded workload matches the selector " + labels.SelectorFromSet(svc.Spec.Selector).String()}}
	}
	target := port.TargetPort
	if target.Type == intstr.Int && target.IntVal == 0 && target.StrVal == "" {
		target = intstr.FromInt32(port.Port)
	}
	proto := port.Protocol
	if proto == "" {
		proto = corev1.ProtocolTCP
	}
	var out []Backend
	for _, t := range tpls {
		ref := t.Owner.Ref
		b := Backend{Workload: &ref}
		name, num := containerPort(t, target, proto)
		switch {
		case num > 0:
			b.Container, b.Port = name, fmt.Sprintf("%d/%s", num, proto)
		case target.Type == intstr.String:
			b.Note = fmt.Sprintf("declares no port named %q", target.StrVal)
		}
		out = append(out, b)
	}
	return out
}

// containerPort finds the container serving target: a named port, or a numbered one (which
// need not be declared: a container receives traffic on any port it listens on).
func containerPort(t inventory.PodTemplate, target intstr.IntOrString, proto corev1.Protocol) (string, int32) {
	for _, c := range t.Containers() {
		if c.Init && !isSidecar(c.Container) {
			continue
		}
		for _, p := range c.Container.Ports {
			pp := p.Protocol
			if pp == "" {
				pp = corev1.ProtocolTCP
			}
			if pp != proto {
				continue
			}
			if (target.Type == intstr.String && p.Name == target.StrVal) ||
				(target.Type == intstr.Int && p.ContainerPort == target.IntVal) {
				return c.Container.Name, p.ContainerPort
			}
		}
	}
	if target.Type == intstr.Int {
		return "", target.IntVal
	}
	return "", 0
}

// isSidecar reports a restartable init container, which keeps running beside the others.
func isSidecar(c *corev1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

// serviceRefBackends resolves an Ingress or route backend (a Service and a port given by
// number or name) to workloads.
func (x *Index) serviceRefBackends(ns, name string, portNum int32, portName, path string) []Backend {
	svcName := ns + "/" + name
	o, svc := x.Service(ns, name)
	if svc == nil {
		return []Backend{{Service: svcName, Path: path, Note: "Service not loaded"}}
	}
	var port *corev1.ServicePort
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		if (portName != "" && p.Name == portName) || (portName == "" && p.Port == portNum) {
			port = p
			break
		}
	}
	if port == nil {
		if portName == "" && portNum == 0 && len(svc.Spec.Ports) == 1 {
			port = &svc.Spec.Ports[0]
		} else {
			want := portName
			if want == "" {
				want = strconv.Itoa(int(portNum))
			}
			return []Backend{{Service: svcName, Path: path, Note: "the Service has no port " + want}}
		}
	}
	out := x.ServiceBackends(o, *port)
	for i := range out {
		out[i].Service, out[i].Path = svcName, path
	}
	return out
}

// dedupe drops repeated backends and sorts them for stable output.
func dedupe(bs []Backend) []Backend {
	seen := map[string]bool{}
	var out []Backend
	for _, b := range bs {
		k := b.String()
		if !seen[k] {
			seen[k] = true
			out = append(out, b)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}
