package network

import (
	"slices"
	"sync"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/netpol/generate"
)

// byPaths partitions the checks that offer the policies netpol generate writes as fixes.
// Generate finds a path between two namespaces only where the workloads of one name a
// Service of the other in their configuration (generate.MentionedNamespaces): call them
// neighbours. The policies generated for a namespace select its own pods and allow its
// paths, judged against its own policies, to and from workloads of its neighbours, and to
// the ingress controller's and cluster DNS's namespaces (generate.FixedNamespaces). So a
// change in a namespace affects it and its neighbours, and a change in one of those two
// affects every namespace.
var byPaths = &check.Partition{
	Name:  "netpol-paths",
	Kinds: []string{"Namespace", check.Workloads, "NetworkPolicy", "Service", "Ingress", "ConfigMap"},
	Affected: func(env check.Env, nss []string) ([]string, bool) {
		for _, ns := range generate.FixedNamespaces(generate.Options{}) {
			if slices.Contains(nss, ns) {
				return nil, true
			}
		}
		return neighbours(env, nss, nil), false
	},
}

// neighbours returns the namespaces that those of nss mention or are mentioned by, and
// extra, leaving out nss.
func neighbours(env check.Env, nss, extra []string) []string {
	in := map[string]bool{}
	for _, ns := range nss {
		in[ns] = true
	}
	m := mentionsOf(env)
	m.mu.Lock()
	defer m.mu.Unlock()
	rel := map[string]bool{}
	for _, ns := range extra {
		rel[ns] = true
	}
	for _, o := range env.Inv.ByKind("ConfigMap") {
		m.relate(o, in, rel)
	}
	var last *inventory.Object
	for _, t := range env.Inv.PodTemplates() {
		if t.Owner != last {
			last = t.Owner
			m.relate(t.Owner, in, rel)
		}
	}
	m.prune(env.Inv)
	var out []string
	for ns := range rel {
		// A namespace named but not there (a host such as feature.flags reads as Service
		// feature of namespace flags) has no findings to change.
		if !in[ns] && (len(env.Inv.InNamespace(ns)) > 0 || env.Inv.Namespace(ns) != nil) {
			out = append(out, ns)
		}
	}
	return out
}

// mentions caches generate.MentionedNamespaces by object: objects do not change (a change
// replaces them), and a monitor asks after every event.
type mentions struct {
	mu sync.Mutex
	of map[*inventory.Object][]string
}

var mentionCache = &check.Engine[*mentions]{
	Name: "netpol-mentions",
	// It reads no objects: it lives as long as the inventory, across changes.
	Build: func(check.Env) *mentions { return &mentions{of: map[*inventory.Object][]string{}} },
}

func mentionsOf(env check.Env) *mentions { return mentionCache.For(env) }

// get returns what o mentions.
func (m *mentions) get(o *inventory.Object) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lookup(o)
}

func (m *mentions) lookup(o *inventory.Object) []string {
	nss, ok := m.of[o]
	if !ok {
		nss = generate.MentionedNamespaces(o)
		m.of[o] = nss
	}
	return nss
}

// relate adds to rel the namespaces o mentions when o is in one of in, and o's namespace
// when it mentions one of in.
func (m *mentions) relate(o *inventory.Object, in, rel map[string]bool) {
	nss := m.lookup(o)
	if len(nss) == 0 {
		return
	}
	own := o.EffectiveNamespace()
	for _, ns := range nss {
		if in[own] {
			rel[ns] = true
		}
		if in[ns] {
			rel[own] = true
		}
	}
}

// prune drops the objects replaced or deleted since, once they outnumber those in use.
func (m *mentions) prune(inv *inventory.Inventory) {
	if len(m.of) < 2*(len(inv.ByKind("ConfigMap"))+len(inv.PodTemplates()))+1024 {
		return
	}
	for o := range m.of {
		if inv.Lookup(o.Key()) != o {
			delete(m.of, o)
		}
	}
}

// policiesOwnNamespace partitions the checks whose findings in a namespace depend on that
// namespace's policies and workloads alone (and on cluster network policies, a change of
// which re-runs them everywhere): the rules of its policies and the workloads they select,
// or what a pod of a namespace of its own (stranger) may reach there. Such a pod's own
// policies are those of strangerNamespace: a change there affects every namespace.
var policiesOwnNamespace = &check.Partition{
	Name:  "policies-own-namespace",
	Kinds: []string{"Namespace", check.Workloads, "NetworkPolicy"},
	Affected: func(_ check.Env, nss []string) ([]string, bool) {
		return nil, slices.Contains(nss, strangerNamespace)
	},
}

// wanted says whether a pass wants the findings of namespace ns (Pass.Namespaces).
func wanted(p *check.Pass, ns string) bool { return p.Namespaces == nil || p.Namespaces[ns] }
