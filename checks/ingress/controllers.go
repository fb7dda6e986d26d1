package ingress

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubeharden/kubeharden/inventory"
)

// controller is one ingress controller whose redirect and HSTS settings the checks know.
// Every controller-specific rule of the practice hangs off this table.
type controller struct {
	name string
	// ingressClassController is the spec.controller of its IngressClass.
	ingressClassController string
	// classNames are the class names it is conventionally installed under.
	classNames []string
	// annotationPrefix marks Ingresses written for it.
	annotationPrefix string
}

var (
	ingressNginx = &controller{"ingress-nginx", "k8s.io/ingress-nginx", []string{"nginx"}, "nginx.ingress.kubernetes.io/"}
	traefik      = &controller{"Traefik", "traefik.io/ingress-controller", []string{"traefik"}, "traefik.ingress.kubernetes.io/"}
	awsALB       = &controller{"AWS Load Balancer Controller", "ingress.k8s.aws/alb", []string{"alb"}, "alb.ingress.kubernetes.io/"}
)

var controllerTable = []*controller{ingressNginx, traefik, awsALB}

// Annotations and ConfigMap keys of the table's controllers.
const (
	// ingress-nginx: per-Ingress annotations, and the controller ConfigMap keys that set
	// their defaults (ssl-redirect "true", force-ssl-redirect "false", hsts "true").
	nginxSSLRedirect      = "nginx.ingress.kubernetes.io/ssl-redirect"
	nginxForceSSLRedirect = "nginx.ingress.kubernetes.io/force-ssl-redirect"
	nginxPermRedirect     = "nginx.ingress.kubernetes.io/permanent-redirect"
	nginxTempRedirect     = "nginx.ingress.kubernetes.io/temporal-redirect"
	// Traefik: middlewares on a router ("<ns>-<name>@kubernetescrd"); the static entrypoint
	// redirect is a command-line flag of the Traefik deployment.
	traefikMiddlewares = "traefik.ingress.kubernetes.io/router.middlewares"
	// AWS Load Balancer Controller: listeners and the redirect of HTTP to an HTTPS port.
	albListenPorts  = "alb.ingress.kubernetes.io/listen-ports"
	albSSLRedirect  = "alb.ingress.kubernetes.io/ssl-redirect"
	albCertificates = "alb.ingress.kubernetes.io/certificate-arn"
)

// controllers resolves which controller serves each Ingress and reads the controllers'
// configuration from the inventory.
type controllers struct {
	inv          *inventory.Inventory
	classes      map[string]string // IngressClass name → spec.controller
	defaultClass string
	// nginxConfigs are the ingress-nginx controller ConfigMaps, by the class their controller
	// serves ("" when unknown); nil until configs() first reads them.
	nginxConfigs map[string]*inventory.Object
	middlewares  map[string]*inventory.Object // "<ns>-<name>@kubernetescrd" → Traefik Middleware
}

func newControllers(inv *inventory.Inventory) *controllers {
	c := &controllers{inv: inv, classes: map[string]string{}, middlewares: map[string]*inventory.Object{}}
	for _, o := range inv.ByKind("IngressClass") {
		ic, ok := o.Obj.(*networkingv1.IngressClass)
		if !ok {
			continue
		}
		c.classes[o.Name] = ic.Spec.Controller
		if o.Annotations()[networkingv1.AnnotationIsDefaultIngressClass] == "true" {
			c.defaultClass = o.Name
		}
	}
	for _, o := range inv.ByKind("Middleware") {
		if strings.HasPrefix(o.APIVersion, "traefik.io/") || strings.HasPrefix(o.APIVersion, "traefik.containo.us/") {
			c.middlewares[o.EffectiveNamespace()+"-"+o.Name+"@kubernetescrd"] = o
		}
	}
	return c
}

// class returns the IngressClass name of an Ingress: spec.ingressClassName, the legacy
// annotation, or the default class.
func (c *controllers) class(o *inventory.Object) string {
	ing := o.Obj.(*networkingv1.Ingress)
	if ing.Spec.IngressClassName != nil && *ing.Spec.IngressClassName != "" {
		return *ing.Spec.IngressClassName
	}
	if v := o.Annotations()["kubernetes.io/ingress.class"]; v != "" {
		return v
	}
	return c.defaultClass
}

// of returns the controller that serves o, or nil when it is not one the table knows. A
// loaded IngressClass decides; otherwise annotations written for a controller, then the
// conventional class names.
func (c *controllers) of(o *inventory.Object) *controller {
	class := c.class(o)
	if ctl, ok := c.classes[class]; ok {
		for _, t := range controllerTable {
			if t.ingressClassController == ctl {
				return t
			}
		}
		return nil
	}
	for _, t := range controllerTable {
		for k := range o.Annotations() {
			if strings.HasPrefix(k, t.annotationPrefix) {
				return t
			}
		}
	}
	for _, t := range controllerTable {
		for _, n := range t.classNames {
			if class == n {
				return t
			}
		}
	}
	return nil
}

// configs returns the ingress-nginx controller ConfigMaps, by class (see findNginxConfigs).
func (c *controllers) configs() map[string]*inventory.Object {
	if c.nginxConfigs == nil {
		c.nginxConfigs = findNginxConfigs(c.inv).byClass
	}
	return c.nginxConfigs
}

// isNginxController recognises the ingress-nginx controller by its image or its binary.
func isNginxController(c *corev1.Container) bool {
	if strings.Contains(c.Image, "ingress-nginx/controller") {
		return true
	}
	first := c.Args
	if len(c.Command) > 0 {
		first = c.Command
	}
	return len(first) > 0 && strings.HasSuffix(first[0], "/nginx-ingress-controller")
}

// flagValue reads "--name=value" (or "--name value" is not supported: manifests write the
// first form).
func flagValue(arg, name string) (string, bool) {
	v, ok := strings.CutPrefix(arg, name+"=")
	return v, ok
}

// nginxConfig returns the ingress-nginx ConfigMap that configures the controller of o, or nil.
func (c *controllers) nginxConfig(o *inventory.Object) *inventory.Object {
	cms := c.configs()
	if cm := cms[c.class(o)]; cm != nil {
		return cm
	}
	if len(cms) == 1 {
		for _, cm := range cms {
			return cm
		}
	}
	return nil
}

func configValue(cm *inventory.Object, key string) (string, bool) {
	if cm == nil {
		return "", false
	}
	m, ok := cm.Obj.(*corev1.ConfigMap)
	if !ok {
		return "", false
	}
	v, ok := m.Data[key]
	return strings.TrimSpace(v), ok
}

// redirectOnly returns how o only redirects to https ("" when it serves content): an
// ingress-nginx permanent or temporal redirect to an https URL, or a Traefik redirectScheme
// middleware to https.
func (c *controllers) redirectOnly(o *inventory.Object) string {
	a := o.Annotations()
	for _, k := range []string{nginxPermRedirect, nginxTempRedirect} {
		if strings.HasPrefix(strings.TrimSpace(a[k]), "https://") {
			return k
		}
	}
	if m := c.traefikRedirect(o); m != nil {
		return "Middleware " + m.Name
	}
	return ""
}

// traefikRedirect returns the loaded redirectScheme-to-https Middleware on o's router.
func (c *controllers) traefikRedirect(o *inventory.Object) *inventory.Object {
	for _, ref := range strings.Split(o.Annotations()[traefikMiddlewares], ",") {
		m := c.middlewares[strings.TrimSpace(ref)]
		if m == nil {
			continue
		}
		u, ok := m.Unstructured()
		if !ok {
			continue
		}
		if s, _, _ := unstructured.NestedString(u.Object, "spec", "redirectScheme", "scheme"); s == "https" {
			return m
		}
	}
	return nil
}

// traefikEntrypoint is an entrypoint declared on the Traefik command line.
type traefikEntrypoint struct {
	name         string
	addressIndex int // index in the container's args, -1 if not declared by address
	tls          bool
	redirect     bool
	udp          bool
}

// traefikEntrypoints reads --entrypoints.<name>.* flags (names and keys case-insensitive, as
// Traefik reads them) of a container's args.
func traefikEntrypoints(args []string) []*traefikEntrypoint {
	byName := map[string]*traefikEntrypoint{}
	var order []*traefikEntrypoint
	for i, a := range args {
		low := strings.ToLower(a)
		rest, ok := strings.CutPrefix(low, "--entrypoints.")
		if !ok {
			continue
		}
		name, key, ok := strings.Cut(rest, ".")
		if !ok {
			continue
		}
		ep := byName[name]
		if ep == nil {
			ep = &traefikEntrypoint{name: name, addressIndex: -1}
			byName[name] = ep
			order = append(order, ep)
		}
		key, val, _ := strings.Cut(key, "=")
		switch {
		case key == "address":
			ep.addressIndex = i
			ep.udp = strings.HasSuffix(val, "/udp")
		case key == "http.tls" && val != "false", strings.HasPrefix(key, "http.tls."):
			ep.tls = true
		case strings.HasPrefix(key, "http.redirections.entrypoint.to"):
			ep.redirect = true
		}
	}
	return order
}

// traefikInternal are entrypoints Traefik uses for itself (dashboard, metrics, health), which
// serve no routed traffic.
var traefikInternal = map[string]bool{"traefik": true, "metrics": true, "ping": true}
