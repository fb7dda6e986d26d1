package ingress

import (
	"slices"
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// nginxConfigs are the ingress-nginx controller ConfigMaps of an inventory, and what decides
// which they are.
type nginxConfigs struct {
	// byClass are the ConfigMaps by the class their controller serves ("" when unknown).
	byClass map[string]*inventory.Object
	// referenced are the ConfigMaps controller workloads name with --configmap, loaded or not.
	referenced map[inventory.Key]bool
	// controllers are the namespaces of ingress-nginx controller workloads.
	controllers map[string]bool
}

// findNginxConfigs finds the ingress-nginx controller ConfigMaps: those that controller
// workloads name with --configmap, else the one the Helm chart and static manifests create
// (name ingress-nginx-controller or the chart's labels), when there is only one.
func findNginxConfigs(inv *inventory.Inventory) *nginxConfigs {
	f := &nginxConfigs{byClass: map[string]*inventory.Object{}, referenced: map[inventory.Key]bool{}, controllers: map[string]bool{}}
	for _, t := range inv.PodTemplates() {
		for i := range t.Spec.Containers {
			ct := &t.Spec.Containers[i]
			if !isNginxController(ct) {
				continue
			}
			f.controllers[t.Namespace()] = true
			class, cm := "nginx", ""
			for _, a := range append(append([]string(nil), ct.Command...), ct.Args...) {
				if v, ok := flagValue(a, "--configmap"); ok {
					cm = strings.ReplaceAll(v, "$(POD_NAMESPACE)", t.Namespace())
				}
				if v, ok := flagValue(a, "--ingress-class"); ok {
					class = v
				}
			}
			ns, name, ok := strings.Cut(cm, "/")
			if !ok {
				continue
			}
			f.referenced[inventory.Key{Kind: "ConfigMap", Namespace: ns, Name: name}] = true
			if o := inv.Get("ConfigMap", ns, name); o != nil {
				f.byClass[class] = o
			}
		}
	}
	if len(f.byClass) > 0 {
		return f
	}
	var found []*inventory.Object
	for _, o := range inv.ByKind("ConfigMap") {
		if nginxConfigCandidate(o) {
			found = append(found, o)
		}
	}
	if len(found) == 1 {
		f.byClass[""] = found[0]
	}
	return f
}

// nginxConfigCandidate says whether a ConfigMap is named or labelled as the controller's.
func nginxConfigCandidate(o *inventory.Object) bool {
	l := o.Labels()
	return o.Name == "ingress-nginx-controller" || o.Name == "nginx-configuration" ||
		(l["app.kubernetes.io/name"] == "ingress-nginx" && l["app.kubernetes.io/component"] == "controller")
}

// namespaces are those of the configuration ConfigMaps.
func (f *nginxConfigs) namespaces() []string {
	var out []string
	for _, cm := range f.byClass {
		if ns := cm.EffectiveNamespace(); !slices.Contains(out, ns) {
			out = append(out, ns)
		}
	}
	slices.Sort(out)
	return out
}

// nginxConfigsEngine finds the ingress-nginx ConfigMaps once per inventory, and keeps them
// over changes to other ConfigMaps and workloads: most of a cluster's.
var nginxConfigsEngine = &check.Engine[*nginxConfigs]{
	Name:  "ingress-nginx-configs",
	Reads: []string{"ConfigMap", check.Workloads},
	Build: func(env check.Env) *nginxConfigs { return findNginxConfigs(env.Inv) },
}

// Keeps reads the engine itself.
func init() { nginxConfigsEngine.Keeps = keepsNginxConfigs }

// keepsNginxConfigs says whether replacing old by new leaves the ConfigMaps as they were:
// a workload that runs no ingress-nginx controller before or after, or a ConfigMap that no
// controller names and that is not named or labelled as the controller's.
func keepsNginxConfigs(env check.Env, old, new *inventory.Object) bool {
	if old.Kind != new.Kind {
		return false
	}
	if ot, nt := old.PodTemplates(), new.PodTemplates(); len(ot) > 0 || len(nt) > 0 {
		for _, t := range append(ot, nt...) {
			for i := range t.Spec.Containers {
				if isNginxController(&t.Spec.Containers[i]) {
					return false
				}
			}
		}
		return true
	}
	if new.Kind != "ConfigMap" || nginxConfigCandidate(old) || nginxConfigCandidate(new) {
		return false
	}
	// The engine built before the change, or for the inventory after it: the ConfigMaps
	// controllers name are the same in both unless a controller changed too, which keeps
	// nothing.
	return !nginxConfigsEngine.For(env).referenced[new.Key()]
}

// byController partitions ingress/http-not-redirected. An Ingress's finding depends on it,
// the IngressClasses (cluster-scoped), its Traefik Middlewares and the ingress-nginx
// configuration, which the controllers' workloads choose; the configuration's own finding
// names the first Ingress it leaves unredirected, anywhere; a Traefik workload's on its
// arguments. So a change in a namespace affects it and the configuration's namespaces, and
// a change in a namespace that holds the configuration, a controller or a Middleware
// affects every namespace.
var byController = &check.Partition{
	Name:  "ingress-controller",
	Kinds: []string{"Ingress", "ConfigMap", "Middleware", check.Workloads},
	Affected: func(env check.Env, nss []string) ([]string, bool) {
		f := nginxConfigsEngine.For(env)
		cms := f.namespaces()
		for _, ns := range nss {
			if f.controllers[ns] || slices.Contains(cms, ns) {
				return nil, true
			}
			for _, o := range env.Inv.InNamespace(ns) {
				if o.Kind == "Middleware" {
					return nil, true
				}
			}
		}
		return cms, false
	},
}

// judges says whether a pass judges the objects of namespace ns (see check.Pass.Namespaces).
func judges(p *check.Pass, ns string) bool { return p.Namespaces == nil || p.Namespaces[ns] }
