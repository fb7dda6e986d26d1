package netpol

import (
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubeharden/kubeharden/inventory"
)

// CNIPolicy is a policy of a network plugin's own API (Cilium, Calico, Antrea). The engine
// does not evaluate them: their rules (L7, entities, FQDNs, tiers, ordering by order or
// priority) have no NetworkPolicy equivalent. They are listed so that reports can say what
// they leave out, and recognised as a default deny where one is written plainly.
type CNIPolicy struct {
	Object *inventory.Object
	// Plugin is "Cilium", "Calico" or "Antrea".
	Plugin string
	// Namespace is the namespace the policy applies in; "" when it is cluster-wide.
	Namespace string
	// DefaultDeny says, by direction, that the policy selects every endpoint (of its
	// namespace, or of the cluster) and allows nothing in that direction.
	DefaultDeny [2]bool
}

// ID is "Kind.group namespace/name" or "Kind.group name".
func (p *CNIPolicy) ID() string {
	group, _, _ := strings.Cut(p.Object.APIVersion, "/")
	kind := p.Object.Kind + "." + group
	if p.Namespace == "" {
		return kind + " " + p.Object.Name
	}
	return kind + " " + p.Namespace + "/" + p.Object.Name
}

// Touches says which namespaces the policy applies in, for humans.
func (p *CNIPolicy) Touches() string {
	if p.Namespace == "" {
		return "every namespace"
	}
	return "namespace " + p.Namespace
}

// cniKinds maps group → kind → cluster-wide.
var cniKinds = map[string]struct {
	plugin string
	kinds  map[string]bool
}{
	"cilium.io":             {"Cilium", map[string]bool{"CiliumNetworkPolicy": false, "CiliumClusterwideNetworkPolicy": true}},
	"projectcalico.org":     {"Calico", map[string]bool{"NetworkPolicy": false, "GlobalNetworkPolicy": true, "StagedNetworkPolicy": false, "StagedGlobalNetworkPolicy": true}},
	"crd.projectcalico.org": {"Calico", map[string]bool{"NetworkPolicy": false, "GlobalNetworkPolicy": true}},
	"crd.antrea.io":         {"Antrea", map[string]bool{"NetworkPolicy": false, "ClusterNetworkPolicy": true}},
}

// anyCNIPolicy says whether inv holds a network plugin policy.
func anyCNIPolicy(inv *inventory.Inventory) bool {
	for _, kind := range CNIKinds {
		for _, o := range inv.ByKind(kind) {
			group, _, _ := strings.Cut(o.APIVersion, "/")
			if g, ok := cniKinds[group]; ok {
				if _, ok := g.kinds[o.Kind]; ok {
					return true
				}
			}
		}
	}
	return false
}

// CNIKinds are the kinds of network plugin policies (without their groups: Calico's
// NetworkPolicy shares its kind with Kubernetes').
var CNIKinds = []string{"CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "NetworkPolicy", "GlobalNetworkPolicy",
	"StagedNetworkPolicy", "StagedGlobalNetworkPolicy", "ClusterNetworkPolicy"}

// CNIPolicies lists the network plugin policies of inv.
func CNIPolicies(inv *inventory.Inventory) []*CNIPolicy {
	if !anyCNIPolicy(inv) {
		return nil // the usual case, found without reading every object (a monitor asks per change)
	}
	var out []*CNIPolicy
	for _, o := range inv.All() {
		group, _, ok := strings.Cut(o.APIVersion, "/")
		if !ok {
			continue
		}
		g, ok := cniKinds[group]
		if !ok {
			continue
		}
		cluster, ok := g.kinds[o.Kind]
		if !ok {
			continue
		}
		p := &CNIPolicy{Object: o, Plugin: g.plugin}
		if !cluster {
			p.Namespace = o.EffectiveNamespace()
		}
		if u, ok := o.Unstructured(); ok {
			switch g.plugin {
			case "Cilium":
				p.DefaultDeny = ciliumDefaultDeny(u)
			case "Calico":
				p.DefaultDeny = calicoDefaultDeny(u, cluster)
			}
		}
		out = append(out, p)
	}
	return out
}

// CNIDefaultDeny returns the plugin policies that are a default deny for direction d in
// namespace ns.
func CNIDefaultDeny(ps []*CNIPolicy, ns string, d Direction) []*CNIPolicy {
	var out []*CNIPolicy
	for _, p := range ps {
		if p.DefaultDeny[d] && (p.Namespace == "" || p.Namespace == ns) {
			out = append(out, p)
		}
	}
	return out
}

var directionKeys = [2]string{"ingress", "egress"}

// ciliumDefaultDeny: a spec (or one of specs) whose endpointSelector is empty (every
// endpoint) puts every endpoint in default deny for a direction whose section is present;
// with no allow rules in it (only empty rules) nothing is allowed.
func ciliumDefaultDeny(u *unstructured.Unstructured) [2]bool {
	var specs []map[string]any
	if s, ok := u.Object["spec"].(map[string]any); ok {
		specs = append(specs, s)
	}
	if l, ok := u.Object["specs"].([]any); ok {
		for _, s := range l {
			if m, ok := s.(map[string]any); ok {
				specs = append(specs, m)
			}
		}
	}
	var out [2]bool
	for _, s := range specs {
		sel, ok := s["endpointSelector"].(map[string]any)
		if !ok || !emptyMap(sel) {
			continue
		}
		if en, ok := s["enableDefaultDeny"].(map[string]any); ok {
			for _, k := range directionKeys {
				if v, ok := en[k].(bool); ok && !v {
					s = withoutKey(s, k)
				}
			}
		}
		for d, k := range directionKeys {
			rules, present := s[k].([]any)
			if !present {
				continue
			}
			allowsNothing := true
			for _, r := range rules {
				if m, ok := r.(map[string]any); !ok || !emptyMap(m) {
					allowsNothing = false
				}
			}
			if allowsNothing {
				out[d] = true
			}
		}
	}
	return out
}

// calicoDefaultDeny: a policy that selects every endpoint (selector empty or all(); for a
// GlobalNetworkPolicy, namespaceSelector too) and, for a direction in its types, has no
// rules or ends with a Deny rule that matches everything.
func calicoDefaultDeny(u *unstructured.Unstructured, global bool) [2]bool {
	var out [2]bool
	spec, ok := u.Object["spec"].(map[string]any)
	if !ok || !calicoAll(spec["selector"]) || (global && !calicoAll(spec["namespaceSelector"])) {
		return out
	}
	types := map[string]bool{}
	if l, ok := spec["types"].([]any); ok {
		for _, t := range l {
			if s, ok := t.(string); ok {
				types[strings.ToLower(s)] = true
			}
		}
	} else {
		// Calico's default: Ingress, and Egress when there are egress rules.
		types["ingress"] = true
		if l, ok := spec["egress"].([]any); ok && len(l) > 0 {
			types["egress"] = true
		}
	}
	for d, k := range directionKeys {
		if !types[k] {
			continue
		}
		rules, _ := spec[k].([]any)
		if len(rules) == 0 {
			out[d] = true
			continue
		}
		last, ok := rules[len(rules)-1].(map[string]any)
		if ok && last["action"] == "Deny" && len(last) == 1 {
			out[d] = true
		}
	}
	return out
}

func calicoAll(v any) bool {
	if v == nil {
		return true
	}
	s, ok := v.(string)
	return ok && (strings.TrimSpace(s) == "" || strings.ReplaceAll(s, " ", "") == "all()")
}

func emptyMap(m map[string]any) bool {
	for _, v := range m {
		switch x := v.(type) {
		case map[string]any:
			if !emptyMap(x) {
				return false
			}
		case []any:
			if len(x) > 0 {
				return false
			}
		case nil:
		default:
			return false
		}
	}
	return true
}

func withoutKey(m map[string]any, k string) map[string]any {
	out := make(map[string]any, len(m))
	for kk, v := range m {
		if kk != k {
			out[kk] = v
		}
	}
	return out
}
