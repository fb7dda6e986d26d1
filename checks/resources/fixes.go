package resources

import (
	"fmt"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/inventory"
)

// defaultValue is the quantity fix gives a container lacking res (a request, or a limit):
// .kubeharden.yaml's resources.defaults, else the built-in defaults; origin says which. (A
// LimitRange of the container's namespace that defaults res leaves no finding to fix.)
func defaultValue(p *check.Pass, res corev1.ResourceName, limit bool) (resource.Quantity, string) {
	var cfg, builtin map[string]string
	field := "requests"
	if limit {
		field = "limits"
		builtin = config.DefaultLimits
		if p.Config != nil {
			cfg = p.Config.Resources.Defaults.Limits
		}
	} else {
		builtin = config.DefaultRequests
		if p.Config != nil {
			cfg = p.Config.Resources.Defaults.Requests
		}
	}
	if v, ok := cfg[string(res)]; ok {
		if q, err := resource.ParseQuantity(v); err == nil {
			return q, ".kubeharden.yaml resources.defaults." + field
		}
	}
	return resource.MustParse(builtin[string(res)]), "kubeharden's built-in defaults (set resources.defaults." + field + " in .kubeharden.yaml)"
}

// fixValue is the value containerFix sets where nothing raises it: the same for every
// finding of a pass, so it is parsed and written once.
type fixValue struct {
	q              resource.Quantity
	origin         string
	value, message string
}

func newFixValue(res corev1.ResourceName, q resource.Quantity, origin string, limit bool) *fixValue {
	what := "request"
	if limit {
		what = "limit"
	}
	v := q.String()
	return &fixValue{q: q, origin: origin, value: v, message: fmt.Sprintf("set the %s %s to %s, from %s", resourceWord(res), what, v, origin)}
}

// containerFix sets the missing request or limit of c to def's value; a limit is never
// below the container's own request, which the API server would refuse.
func containerFix(def *fixValue, o *inventory.Object, c *corev1.Container, path string, res corev1.ResourceName, limit bool) []check.SuggestedFix {
	if limit {
		if r, ok := c.Resources.Requests[res]; ok && r.Cmp(def.q) > 0 {
			def = newFixValue(res, r, "the container's own request", limit)
		}
	}
	return []check.SuggestedFix{{
		Message: def.message,
		Edits:   []check.Edit{{Op: check.SetField, Object: o.Ref, Path: path, Value: def.value, Origin: def.origin}},
	}}
}

// namespaceValues returns cfg's values for each of names, else the built-in ones.
func namespaceValues(cfg, builtin map[string]string) map[string]resource.Quantity {
	out := map[string]resource.Quantity{}
	for k, v := range builtin {
		out[k] = resource.MustParse(v)
	}
	for k, v := range cfg {
		if q, err := resource.ParseQuantity(v); err == nil {
			out[k] = q
		}
	}
	return out
}

func origin(cfg map[string]string, key string) string {
	if len(cfg) > 0 {
		return ".kubeharden.yaml resources." + key
	}
	return "kubeharden's built-in defaults (set resources." + key + " in .kubeharden.yaml)"
}

func quantities(m map[string]resource.Quantity) map[string]any {
	out := map[string]any{}
	for k, q := range m {
		out[k] = q.String()
	}
	return out
}

// limitRangeFix adds a LimitRange that defaults every container's requests and limits. Its
// default limits are never below a request a container of the namespace already makes, so
// that no pod it admitted before is refused.
func limitRangeFix(p *check.Pass, ns string) []check.SuggestedFix {
	var reqCfg, limCfg map[string]string
	if p.Config != nil {
		reqCfg, limCfg = p.Config.Resources.Defaults.Requests, p.Config.Resources.Defaults.Limits
	}
	requests := namespaceValues(reqCfg, config.DefaultRequests)
	limits := namespaceValues(limCfg, config.DefaultLimits)
	if p.Config == nil || !p.Config.Resources.RequireCPULimit {
		if _, set := limCfg["cpu"]; !set {
			// CPU limits throttle; they are written only where the configuration asks.
			delete(limits, "cpu")
		}
	}
	for _, t := range p.Inv.PodTemplatesIn(ns) {
		for _, c := range t.Containers() {
			for k, q := range limits {
				if r, ok := c.Container.Resources.Requests[corev1.ResourceName(k)]; ok && r.Cmp(q) > 0 {
					limits[k] = r
				}
			}
		}
	}
	for k, q := range requests {
		if l, ok := limits[k]; ok && q.Cmp(l) > 0 {
			requests[k] = l
		}
	}
	name := uniqueName(p.Inv, "LimitRange", ns, "kubeharden-defaults")
	ref := inventory.Ref{APIVersion: "v1", Kind: "LimitRange", Namespace: ns, Name: name}
	obj := map[string]any{
		"apiVersion": "v1", "kind": "LimitRange",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{"limits": []any{map[string]any{
			"type": "Container", "default": quantities(limits), "defaultRequest": quantities(requests),
		}}},
	}
	o := origin(reqCfg, "defaults")
	return []check.SuggestedFix{{
		Message: "add a LimitRange that gives every container of " + ns + " default requests and limits",
		Edits:   []check.Edit{{Op: check.CreateObject, Object: ref, New: obj, Origin: o}},
	}}
}

// quotaFix adds a ResourceQuota on compute, at least twice what the namespace's workloads
// request today, so that it caps growth without refusing what runs.
func quotaFix(p *check.Pass, ns string) []check.SuggestedFix {
	var cfg map[string]string
	if p.Config != nil {
		cfg = p.Config.Resources.Quota
	}
	hard := namespaceValues(cfg, config.DefaultQuota)
	need := map[string]*resource.Quantity{}
	for _, t := range p.Inv.PodTemplatesIn(ns) {
		replicas := int64(1)
		if r := replicasOf(t.Owner); r > 0 {
			replicas = r
		}
		for _, c := range t.Containers() {
			for _, pair := range []struct {
				prefix string
				list   corev1.ResourceList
			}{{"requests.", c.Container.Resources.Requests}, {"limits.", c.Container.Resources.Limits}} {
				for r, q := range pair.list {
					k := pair.prefix + string(r)
					if need[k] == nil {
						need[k] = &resource.Quantity{}
					}
					for i := int64(0); i < 2*replicas; i++ {
						need[k].Add(q)
					}
				}
			}
		}
	}
	keys := make([]string, 0, len(need))
	for k := range need {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if h, ok := hard[k]; ok && need[k].Cmp(h) > 0 {
			hard[k] = *need[k]
		}
	}
	name := uniqueName(p.Inv, "ResourceQuota", ns, "kubeharden-quota")
	ref := inventory.Ref{APIVersion: "v1", Kind: "ResourceQuota", Namespace: ns, Name: name}
	obj := map[string]any{
		"apiVersion": "v1", "kind": "ResourceQuota",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec":     map[string]any{"hard": quantities(hard)},
	}
	return []check.SuggestedFix{{
		Message: "add a ResourceQuota that caps the compute of " + ns + " (at least twice what it requests today)",
		Edits:   []check.Edit{{Op: check.CreateObject, Object: ref, New: obj, Origin: origin(cfg, "quota")}},
	}}
}

// replicasOf is a workload's replica count, or 0 when it has none.
func replicasOf(o *inventory.Object) int64 {
	var r *int32
	switch w := o.Obj.(type) {
	case *appsv1.Deployment:
		r = w.Spec.Replicas
	case *appsv1.StatefulSet:
		r = w.Spec.Replicas
	case *appsv1.ReplicaSet:
		r = w.Spec.Replicas
	case *corev1.ReplicationController:
		r = w.Spec.Replicas
	}
	if r == nil {
		return 0
	}
	return int64(*r)
}

// uniqueName is want, or want-2, want-3... when an object of kind already has the name.
func uniqueName(inv *inventory.Inventory, kind, ns, want string) string {
	n := want
	for i := 2; inv.Get(kind, ns, n) != nil; i++ {
		n = fmt.Sprintf("%s-%d", want, i)
	}
	return n
}
