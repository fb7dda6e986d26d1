package network

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
	"github.com/kubeharden/kubeharden/netpol"
)

// SensitiveExposed reports workloads that hold secrets or data and can be reached from
// outside their namespace by sources no one named.
var SensitiveExposed = &check.Check{
	ID:    "network/sensitive-exposed",
	Title: "Sensitive workload is reachable from outside its namespace",
	Doc: "Databases and workloads that hold credentials are what an attacker moving through " +
		"the cluster looks for. The check takes as sensitive a workload that mounts a Secret " +
		"(secret or projected volume, secretKeyRef or secretRef in its environment) or whose pod " +
		"labels name a database (app, app.kubernetes.io/name, app.kubernetes.io/component, " +
		"component, role or tier set to postgres, mysql, mongodb, redis, db and the like), and " +
		"asks the policy engine whether it can be reached from outside its namespace by a source " +
		"nobody named: some public address, a pod without labels in a new namespace (so, any " +
		"namespace), or a pod without labels in one of the other loaded namespaces (so, any pod " +
		"of that namespace). Traffic that a policy allows from named workloads, with a " +
		"podSelector, is intended and not reported. hostNetwork pods are left out: no policy " +
		"applies to them.",
	Severity:    check.High,
	References:  []string{refNSA, refDocs, refLateral, "MITRE ATT&CK T1552 Unsecured Credentials"},
	Remediation: "Select the workload with an ingress policy that allows only its clients: a podSelector for them, with a namespaceSelector on kubernetes.io/metadata.name when they live in another namespace.",
	Kinds:       []string{check.Workloads},
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.Netpol},
	Partition:   byOwnNamespace,
	Run:         runSensitiveExposed,
}

// byOwnNamespace partitions the findings on workloads, which depend on the workload's
// class, its namespace's policies, and every namespace's labels and policies (which probes
// from every namespace read), but on no other workload: a workload's change affects the
// findings of its namespace alone. When that namespace has no Namespace object, the workload
// may be what makes it known, which changes the probes of every namespace. A change of
// policies or namespace labels reaches further (probesReach), as the reachability engine's
// update says.
var byOwnNamespace = &check.Partition{
	Name:  "own-namespace",
	Kinds: []string{check.Workloads, "Namespace", "NetworkPolicy"},
	Affected: func(env check.Env, nss []string) ([]string, bool) {
		for _, ns := range nss {
			if o := env.Inv.Namespace(ns); o == nil || o.APIVersion != "v1" {
				return nil, true
			}
		}
		return probesReach(engines.NetpolChanged(env))
	},
}

// probesReach returns the namespaces whose findings a change of the engine's policies and
// namespace labels (c) can change besides the changed objects' own, or all. A probe from
// namespace X (a pod without labels) reaches a workload of another namespace when X's
// egress lets it out and the workload's ingress lets it in: a policy of X that selects the
// probe for egress decides the first for every namespace; X's labels decide the second
// only where an ingress rule has a peer with a namespaceSelector that a pod without labels
// can match, and only if that selector's answer for X changed.
func probesReach(c netpol.Change) ([]string, bool) {
	if c.All {
		return nil, true
	}
	for _, ps := range [][]*netpol.Policy{c.Policies, c.Previous} {
		for _, pol := range ps {
			if pol.Valid() && pol.Affects(netpol.Egress) && pol.Selects(labels.Set{}) {
				return nil, true
			}
		}
	}
	var out []string
	for _, pe := range c.NamespacePeers {
		pol := pe.Rule.Policy
		if pe.Rule.Direction == netpol.Ingress && pol.Affects(netpol.Ingress) && pe.PodSelector.Matches(labels.Set{}) {
			out = append(out, pol.Namespace)
		}
	}
	return out, false
}

// databaseWords are label values (or dash-separated parts of them) that mean a database.
var databaseWords = map[string]bool{
	"db": true, "database": true, "postgres": true, "postgresql": true, "pg": true, "mysql": true,
	"mariadb": true, "mongo": true, "mongodb": true, "redis": true, "valkey": true, "memcached": true,
	"cassandra": true, "scylla": true, "scylladb": true, "elasticsearch": true, "opensearch": true,
	"couchdb": true, "couchbase": true, "cockroachdb": true, "clickhouse": true, "influxdb": true,
	"neo4j": true, "etcd": true, "timescaledb": true, "mssql": true, "sqlserver": true, "oracle": true,
}

// databaseKeys are the labels that say what a pod is.
var databaseKeys = []string{"app", "app.kubernetes.io/name", "app.kubernetes.io/component", "component", "role", "tier"}

func runSensitiveExposed(p *check.Pass) {
	e := engine(p)
	x := newExposure(e)
	// Every Reach below depends on the workload only through its class (the engine cannot
	// tell the workloads of a class apart), so the sources are worked out once per class.
	fromByClass := map[*netpol.Class][]string{}
	for _, w := range e.Workloads() {
		if w.Object == nil || w.Template == nil || (p.Namespaces != nil && !p.Namespaces[w.Namespace]) {
			continue
		}
		what, path := sensitive(w)
		if what == "" {
			continue
		}
		from, done := fromByClass[w.Class()]
		if !done {
			from = x.from(w)
			fromByClass[w.Class()] = from
		}
		if len(from) == 0 {
			continue
		}
		p.Reportf(w.Object, path, "%s %s (%s) can be reached from outside namespace %q by sources no policy names: %s",
			w.Kind, w.Name, what, w.Namespace, strings.Join(from, "; "))
	}
}

// noLabels are the labels of a probe pod.
var noLabels = labels.Set{}

// exposure finds the unnamed sources that reach workloads, for one engine.
type exposure struct {
	e *netpol.Engine
	// pos is each namespace's place in e.Namespaces(); byPeer the places of the namespaces
	// whose pods without labels a peer matches, worked out once per peer.
	pos    map[*netpol.Namespace]int
	byPeer map[*netpol.Peer][]int
}

func newExposure(e *netpol.Engine) *exposure {
	x := &exposure{e: e, pos: map[*netpol.Namespace]int{}, byPeer: map[*netpol.Peer][]int{}}
	for i, ns := range e.Namespaces() {
		x.pos[ns] = i
	}
	return x
}

// from lists the unnamed sources outside w's namespace that can reach w.
func (x *exposure) from(w *netpol.Workload) []string {
	e := x.e
	var from []string
	if v, err := e.Reach(netpol.InternetEndpoint(), netpol.WorkloadEndpoint(w), nil); err == nil && !v.SomePorts.IsEmpty() {
		if v.Partial || !v.Allowed {
			from = append(from, "some public addresses "+on(v.SomePorts))
		} else {
			from = append(from, "the internet "+on(v.Ports))
		}
	}
	if v, err := e.Reach(stranger, netpol.WorkloadEndpoint(w), nil); err == nil && v.Allowed {
		return append(from, "pods of any namespace "+on(v.Ports))
	}
	nss := e.Namespaces()
	if w.Class().Isolated(netpol.Ingress) {
		// Only the namespaces where an ingress rule of the policies isolating w lets a pod
		// without labels in can hold a probe that reaches w: probing every namespace for
		// every class grew with classes × namespaces.
		var ok bool
		if nss, ok = x.probeNamespaces(probeRules(w.Class())); !ok {
			nss = e.Namespaces()
		}
	}
	for _, ns := range nss {
		if ns.Name == w.Namespace {
			continue
		}
		probe := netpol.Endpoint{Name: "a pod of " + ns.Name, Probe: &netpol.Probe{Namespace: ns.Name}}
		if v, err := e.Reach(probe, netpol.WorkloadEndpoint(w), nil); err == nil && v.Allowed {
			from = append(from, fmt.Sprintf("any pod of namespace %s %s", ns.Name, on(v.Ports)))
		}
	}
	return from
}

// probeNamespaces returns, in the engine's order, the namespaces where one of rules
// matches a pod without labels; false when a rule matches every pod of every namespace.
func (x *exposure) probeNamespaces(rules []*netpol.Rule) ([]*netpol.Namespace, bool) {
	var pos []int
	for _, r := range rules {
		if r.AllPeers {
			return nil, false
		}
		for _, pe := range r.Peers {
			if pe.IPBlock != nil || pe.NamespaceSelector == nil || !pe.PodSelector.Matches(noLabels) {
				// A peer without a namespaceSelector matches pods of the policy's own
				// namespace only, which the probes leave out.
				continue
			}
			in, done := x.byPeer[pe]
			if !done {
				for _, ns := range x.e.NamespacesMatching(pe.NamespaceSelector) {
					in = append(in, x.pos[ns])
				}
				x.byPeer[pe] = in
			}
			pos = append(pos, in...)
		}
	}
	slices.Sort(pos)
	pos = slices.Compact(pos)
	all := x.e.Namespaces()
	out := make([]*netpol.Namespace, len(pos))
	for i, p := range pos {
		out[i] = all[p]
	}
	return out, true
}

// probeRules are the ingress rules of the policies isolating c that can match a pod
// without labels in another namespace: rules without peers, and rules with a pod peer
// that has a namespaceSelector and a podSelector matching no labels. (A peer without a
// namespaceSelector matches only pods of the policy's namespace, which is c's own.)
func probeRules(c *netpol.Class) []*netpol.Rule {
	var out []*netpol.Rule
	for _, pol := range c.Policies(netpol.Ingress) {
		for _, r := range pol.Rules[netpol.Ingress] {
			if r.AllPeers {
				out = append(out, r)
				continue
			}
			for _, pe := range r.Peers {
				if pe.IPBlock == nil && pe.NamespaceSelector != nil && pe.PodSelector.Matches(noLabels) {
					out = append(out, r)
					break
				}
			}
		}
	}
	return out
}

// sensitive says why a workload is sensitive, and where; "" when it is not.
func sensitive(w *netpol.Workload) (what, path string) {
	t := w.Template
	for _, k := range databaseKeys {
		v, ok := w.Labels[k]
		if !ok {
			continue
		}
		for _, part := range strings.FieldsFunc(strings.ToLower(v), func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
			if databaseWords[part] {
				return fmt.Sprintf("labelled %s=%s, a database", k, v), t.MetaPath + ".labels." + k
			}
		}
	}
	spec := t.Spec
	for i, v := range spec.Volumes {
		vp := t.Path + ".volumes[" + strconv.Itoa(i) + "]"
		if v.Secret != nil {
			return "mounts Secret " + v.Secret.SecretName, vp + ".secret"
		}
		if v.Projected != nil {
			for j, src := range v.Projected.Sources {
				if src.Secret != nil {
					return "mounts Secret " + src.Secret.Name, vp + ".projected.sources[" + strconv.Itoa(j) + "].secret"
				}
			}
		}
	}
	for _, c := range t.Containers() {
		if what, p := envSecret(c.Container, c.Path); what != "" {
			return what, p
		}
	}
	return "", ""
}

func envSecret(c *corev1.Container, path string) (string, string) {
	for i, ev := range c.Env {
		if ev.ValueFrom != nil && ev.ValueFrom.SecretKeyRef != nil {
			return "reads Secret " + ev.ValueFrom.SecretKeyRef.Name + " into its environment", path + ".env[" + strconv.Itoa(i) + "].valueFrom.secretKeyRef"
		}
	}
	for i, ef := range c.EnvFrom {
		if ef.SecretRef != nil {
			return "reads Secret " + ef.SecretRef.Name + " into its environment", path + ".envFrom[" + strconv.Itoa(i) + "].secretRef"
		}
	}
	return "", ""
}
