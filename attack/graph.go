package attack

import (
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/api"

	"github.com/kubeharden/kubeharden/exposure"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/netpol"
	"github.com/kubeharden/kubeharden/psa"
	"github.com/kubeharden/kubeharden/rbac"
)

// Kind is the kind of a node.
type Kind string

// Node kinds.
const (
	Internet       Kind = "internet"
	EntryPoint     Kind = "entry"
	Workload       Kind = "workload"
	ServiceAccount Kind = "serviceaccount"
	Subject        Kind = "subject" // a user or group, reached through RBAC
	Secret         Kind = "secret"
	AllSecrets     Kind = "secrets"
	Nodes          Kind = "nodes"
	ClusterAdmin   Kind = "cluster-admin"
	// podNetwork joins the workloads no policy isolates for egress to the pivots no policy
	// isolates for ingress; searches cross it as one Reaches edge and paths never show it.
	podNetwork Kind = "pod-network"
)

// Node is a place an attacker can stand.
type Node struct {
	// ID is unique in the graph: "internet", "entry:Ingress shop/web http://shop.example.com",
	// "workload:shop/Deployment/web", "ServiceAccount shop/web", "User alice", "secret:shop/db",
	// "secrets", "nodes", "cluster-admin".
	ID   string `json:"id"`
	Kind Kind   `json:"kind"`
	// Object is the object the node stands for, when there is one.
	Object *inventory.Ref `json:"object,omitempty"`
	File   string         `json:"file,omitempty"`
	Line   int            `json:"line,omitempty"`
	// PodSecurity is a workload's strictest Pod Security level that its pods meet.
	PodSecurity string `json:"podSecurity,omitempty"`
	// Vulnerabilities summarises the known vulnerabilities of a workload's images, from the
	// reports given: "2 critical, 1 high (CVE-2024-1234, ...)".
	Vulnerabilities string `json:"vulnerabilities,omitempty"`

	obj     *inventory.Object
	entry   *exposure.Entry
	wl      *netpol.Workload
	subject rbac.Subject
	out     []*Edge
	done    bool // out is complete
	index   int
	// esc are a subject's ways into the nodes, of which searches take one (escapeEdge),
	// as if it were in out at escAt; escEdges are those taken so far.
	esc      *escapes
	escAt    int
	escEdges []*Edge
}

// String is the node's ID.
func (n *Node) String() string { return n.ID }

// EdgeKind says how an attacker crosses an edge.
type EdgeKind string

// Edge kinds.
const (
	Exposes      EdgeKind = "exposes"       // internet → entry point
	Routes       EdgeKind = "routes"        // entry point → workload
	Reaches      EdgeKind = "reaches"       // workload → workload
	MountsToken  EdgeKind = "mounts-token"  // workload → service account
	Escalates    EdgeKind = "escalates"     // subject → subject or RBAC target
	Escapes      EdgeKind = "escapes"       // workload or subject → nodes
	StealsToken  EdgeKind = "steals-token"  // nodes → service account
	MountsSecret EdgeKind = "mounts-secret" // workload → Secret
	ReadsSecret  EdgeKind = "reads-secret"  // subject → Secret
)

// Engine names the engine that confirms an edge.
type Engine string

// Engines.
const (
	EngineExposure  Engine = "exposure"
	EngineNetpol    Engine = "netpol"
	EngineRBAC      Engine = "rbac"
	EnginePSA       Engine = "psa"
	EngineInventory Engine = "inventory"
)

// Edge is one step an attacker can take, with the evidence an engine gave for it.
type Edge struct {
	From, To *Node
	Kind     EdgeKind
	Engine   Engine
	Evidence string
	// Cut is the single change that removes the edge.
	Cut Cut
	// Claim is the question the engine answered yes to.
	Claim Claim

	zero bool // into the pod network hub: no step of its own
}

// Cut is a change that removes edges: Key identifies it (edges with the same key go away
// together), Change says what to do, Object is the object to change or add next to.
type Cut struct {
	Key    string         `json:"key"`
	Change string         `json:"change"`
	Object *inventory.Ref `json:"object,omitempty"`
}

// Claim is what an engine was asked for an edge, so that it can be asked again.
type Claim struct {
	// Entry: exposure.List lists an entry point with this kind, object and endpoint.
	Entry *exposure.Entry
	// Reach: netpol allows traffic From → To on Port (nil: some port). HostNetwork set
	// instead says the destination uses the node's network, which no policy governs.
	From, To    netpol.Endpoint
	Port        *netpol.Port
	HostNetwork bool
	// RBAC: the caller (User, Groups) may make every request.
	User     string
	Groups   []string
	Requests []rbac.Attributes
	// PodSecurity: the template fails upstream check PSACheck at PSALevel; or, for
	// PSANamespace, the namespace's enforced level is privileged (or it is exempt).
	Template     *inventory.PodTemplate
	PSALevel     api.LevelVersion
	PSACheck     string
	PSANamespace string
	// Mount: the template mounts the service account's token (Automount) or the Secret.
	Automount bool
	Secret    string
}

// Options tune Analyze.
type Options struct {
	// Now judges certificates (entry point details).
	Now time.Time
	// RBACDefaults adds Kubernetes' default RBAC policy (for manifests; not for a live
	// cluster, which has its own).
	RBACDefaults bool
	// PodSecurity is the evaluator of the cluster's Pod Security admission; nil: defaults
	// unknown, which the API server treats as privileged everywhere.
	PodSecurity *psa.Evaluator
	// Vulnerabilities are scanners' reports on images; workloads list what they carry.
	Vulnerabilities []*inventory.VulnReport
	// Netpol and RBAC are engines already built over the inventory, to share; nil: built
	// here. RBAC must carry the escalation environment (rbac.FromInventory's default).
	Netpol *netpol.Engine
	RBAC   *rbac.Engine
}

// Graph is the attack graph of one inventory. Edges are computed when a search first
// needs them. A Graph is not safe for concurrent use.
type Graph struct {
	inv   *inventory.Inventory
	opts  Options
	net   *netpol.Engine
	rb    *rbac.Engine
	ps    *psa.Evaluator
	x     *exposure.Index
	paths map[rbac.Target]*rbac.Searcher

	nodes []*Node
	byID  map[string]*Node

	// workloads by netpol workload, and netpol workloads by the object they stand for.
	wlNode  map[*netpol.Workload]*Node
	wlByObj map[*inventory.Object]*netpol.Workload
	// privileged namespaces, by name, with the reason.
	privNS map[string]string

	// privOrder are the privileged namespaces in the order of the evidence of escapes
	// through them (escape.go).
	privOrder []string

	daemons []*netpol.Workload // DaemonSets that mount a token
	pivots  []*Node            // workloads an attacker can go further from (nil: not computed)
	reach   map[[2]*netpol.Class]*netpol.Verdict
	// baseline are the checks each workload's pods fail at baseline, and baselineIDs the
	// checks of baseline in the order the API server lists failures.
	baseline    map[*netpol.Workload]psa.CheckSet
	baselineIDs []string
	vulns       map[string][]inventory.Vulnerability
	target      *Node // an extra target that makes its workload or Secret a pivot
	hub         *Node // the pod network
	// ingressOpen lists the pivots isolated for ingress by the classes their rules' peers
	// match (nil: rules that admit every peer).
	ingressOpen map[*netpol.Class][]*Node
	// pivotsOf are the positions in pivots of each class's pivots (nil: those on the host
	// network).
	pivotsOf map[*netpol.Class][]int
	pairs    map[[2]*Node]*Edge
	peers    map[*netpol.Peer][]*netpol.Class
	// podGrants by principal ("u:USER", "g:GROUP") and escapes by the principals that
	// hold pod-creating grants (escape.go).
	podGrants map[string]*podGrants
	escapes   map[string]*escapes
}

// Analyze builds the graph of inv. The engines it consumes are built here, once.
func Analyze(inv *inventory.Inventory, opts Options) (*Graph, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	g := &Graph{inv: inv, opts: opts, byID: map[string]*Node{}, wlNode: map[*netpol.Workload]*Node{},
		wlByObj: map[*inventory.Object]*netpol.Workload{}, privNS: map[string]string{},
		reach: map[[2]*netpol.Class]*netpol.Verdict{}, baseline: map[*netpol.Workload]psa.CheckSet{},
		pairs: map[[2]*Node]*Edge{}, peers: map[*netpol.Peer][]*netpol.Class{},
		podGrants: map[string]*podGrants{}, escapes: map[string]*escapes{}}
	g.net, g.rb = opts.Netpol, opts.RBAC
	if g.net == nil {
		g.net = netpol.FromInventory(inv)
	}
	if g.rb == nil {
		g.rb = rbac.FromInventory(inv, rbac.Options{Defaults: opts.RBACDefaults})
	}
	g.x = exposure.NewIndex(inv)
	g.ps = opts.PodSecurity
	if g.ps == nil {
		ev, err := psa.New(psa.Options{})
		if err != nil {
			return nil, err
		}
		g.ps = ev
	}
	g.paths = map[rbac.Target]*rbac.Searcher{
		rbac.ToClusterAdmin: g.rb.Searcher(rbac.ToClusterAdmin),
		rbac.ToSecrets:      g.rb.Searcher(rbac.ToSecrets),
	}
	for _, w := range g.net.Workloads() {
		g.wlByObj[w.Object] = w
	}
	for _, w := range g.net.HostNetworkWorkloads() {
		g.wlByObj[w.Object] = w
	}
	g.vulns = vulnIndex(opts.Vulnerabilities)
	g.add(&Node{ID: string(Internet), Kind: Internet})
	g.add(&Node{ID: string(ClusterAdmin), Kind: ClusterAdmin})
	g.add(&Node{ID: string(AllSecrets), Kind: AllSecrets})
	g.add(&Node{ID: string(Nodes), Kind: Nodes})
	g.hub = g.add(&Node{ID: string(podNetwork), Kind: podNetwork})
	g.namespaces()
	g.daemonSets()
	return g, nil
}

func (g *Graph) add(n *Node) *Node {
	if have := g.byID[n.ID]; have != nil {
		return have
	}
	n.index = len(g.nodes)
	g.nodes = append(g.nodes, n)
	g.byID[n.ID] = n
	return n
}

// Node returns the node with id, or nil.
func (g *Graph) Node(id string) *Node { return g.byID[id] }

// Netpol, RBAC and PodSecurity are the engines the graph consumes.
func (g *Graph) Netpol() *netpol.Engine          { return g.net }
func (g *Graph) RBAC() *rbac.Engine              { return g.rb }
func (g *Graph) PodSecurity() *psa.Evaluator     { return g.ps }
func (g *Graph) Inventory() *inventory.Inventory { return g.inv }

// namespaces finds the namespaces whose Pod Security admits privileged pods.
func (g *Graph) namespaces() {
	seen := map[string]bool{}
	add := func(ns string) {
		if ns == "" || seen[ns] {
			return
		}
		seen[ns] = true
		var labels map[string]string
		o := g.inv.Namespace(ns)
		if o != nil {
			labels = o.Labels()
		}
		n := g.ps.Namespace(ns, labels, o != nil)
		switch {
		case n.Exempt:
			g.privNS[ns] = "namespace " + ns + " is exempt from Pod Security admission"
		case n.Policy.Enforce.Level == api.LevelPrivileged:
			if _, ok := n.Labels[api.EnforceLevelLabel]; ok {
				g.privNS[ns] = "namespace " + ns + " enforces privileged"
			} else {
				g.privNS[ns] = "namespace " + ns + " has no enforce label and the cluster's default admits privileged pods"
			}
		}
	}
	for _, ns := range g.inv.Namespaces() {
		add(ns)
	}
	for _, w := range g.net.Workloads() {
		add(w.Namespace)
	}
	for ns := range g.privNS {
		g.privOrder = append(g.privOrder, ns)
	}
	// An escape's evidence names its namespace followed by " (": sorting by that sorts
	// escapes through the same pod kind as their evidence.
	sort.Slice(g.privOrder, func(i, j int) bool { return g.privOrder[i]+" (" < g.privOrder[j]+" (" })
}

// daemonSets lists the DaemonSets whose pods mount a token: they run on every node.
func (g *Graph) daemonSets() {
	for _, ws := range [][]*netpol.Workload{g.net.Workloads(), g.net.HostNetworkWorkloads()} {
		for _, w := range ws {
			if w.Kind == "DaemonSet" && w.Template != nil && rbac.Automounts(*w.Template, g.inv) {
				g.daemons = append(g.daemons, w)
			}
		}
	}
}

// workload returns the node of w.
func (g *Graph) workload(w *netpol.Workload) *Node {
	if n := g.wlNode[w]; n != nil {
		return n
	}
	ref := w.Object.Ref
	ref.Namespace = w.Namespace
	n := g.add(&Node{ID: "workload:" + w.Namespace + "/" + w.Kind + "/" + w.Name, Kind: Workload, Object: &ref,
		File: w.Object.Source.File, Line: w.Object.Source.Line, obj: w.Object, wl: w})
	g.wlNode[w] = n
	return n
}

// subjectNode returns the node of an RBAC subject.
func (g *Graph) subjectNode(s rbac.Subject) *Node {
	id := s.String()
	if n := g.byID[id]; n != nil {
		return n
	}
	n := &Node{ID: id, Kind: Subject, subject: s}
	if s.Kind == rbac.ServiceAccountKind {
		n.Kind = ServiceAccount
		if o := g.inv.Get("ServiceAccount", s.Namespace, s.Name); o != nil {
			n.Object, n.obj, n.File, n.Line = &o.Ref, o, o.Source.File, o.Source.Line
		} else {
			n.Object = &inventory.Ref{APIVersion: "v1", Kind: "ServiceAccount", Namespace: s.Namespace, Name: s.Name}
		}
	}
	return g.add(n)
}

// topWorkload maps an object that runs pods to the workload that stands for it: its
// top-most loaded controller.
func (g *Graph) topWorkload(ref *inventory.Ref) *netpol.Workload {
	o := g.inv.Get(ref.Kind, ref.Namespace, ref.Name)
	for depth := 0; o != nil && depth < 8; depth++ {
		if w := g.wlByObj[o]; w != nil {
			return w
		}
		var next *inventory.Object
		for _, r := range o.Meta.GetOwnerReferences() {
			if r.Controller != nil && *r.Controller {
				next = g.inv.Get(r.Kind, o.EffectiveNamespace(), r.Name)
			}
		}
		o = next
	}
	return nil
}

// out returns the edges leaving n, computing them once.
func (g *Graph) out(n *Node) []*Edge {
	if n.done {
		return n.out
	}
	n.done = true
	switch n.Kind {
	case Internet:
		g.entries(n)
	case EntryPoint:
		g.routes(n)
	case Workload:
		g.fromWorkload(n)
	case ServiceAccount, Subject:
		g.fromSubject(n)
	case Nodes:
		g.fromNodes(n)
	case podNetwork:
		for _, p := range g.pivotList() {
			if p.wl.HostNetwork {
				g.edge(&Edge{From: n, To: p, Kind: Reaches, Engine: EngineNetpol})
			} else if !p.wl.Class().Isolated(netpol.Ingress) {
				g.edge(&Edge{From: n, To: p, Kind: Reaches, Engine: EngineNetpol,
					Cut: Cut{Key: "netpol:" + p.Object.String(), Change: "add a NetworkPolicy that admits only the intended clients of " + p.Object.String(), Object: p.Object}})
			}
		}
	}
	return n.out
}

func (g *Graph) edge(e *Edge) { e.From.out = append(e.From.out, e) }

// entries adds the entry points reachable from the internet.
func (g *Graph) entries(inet *Node) {
	for _, e := range exposure.List(g.inv, g.opts.Now) {
		e := e
		ev := "open to the internet"
		switch {
		case e.Kind == exposure.LoadBalancer && exposure.InternalLB(g.inv.Get("Service", e.Object.Namespace, e.Object.Name)) != "":
			continue
		case len(e.SourceRanges) > 0:
			public := false
			for _, r := range e.SourceRanges {
				if p, err := netpol.ParseCIDR(r); err == nil && netpol.PrefixSet(p).Overlaps(netpol.Internet) {
					public = true
				}
			}
			if !public {
				continue
			}
			ev = "open to " + strings.Join(e.SourceRanges, ", ")
		case e.Kind == exposure.NodePort || e.Kind == exposure.HostPort || e.Kind == exposure.HostNetwork:
			ev = "open on every node's address"
		}
		id := fmt.Sprintf("entry:%s %s/%s %s", e.Kind, e.Object.Namespace, e.Object.Name, e.Endpoint)
		ref := e.Object
		n := g.add(&Node{ID: id, Kind: EntryPoint, Object: &ref, File: e.File, Line: e.Line, entry: &e})
		n.obj = g.inv.Get(ref.Kind, ref.Namespace, ref.Name)
		tls := "TLS " + string(e.TLS)
		if e.Plaintext != "" {
			tls += ", " + e.Plaintext
		}
		g.edge(&Edge{From: inet, To: n, Kind: Exposes, Engine: EngineExposure,
			Evidence: fmt.Sprintf("%s %s at %s (%s): %s", e.Kind, ref.String(), e.Endpoint, tls, ev),
			Cut:      Cut{Key: "expose:" + ref.String(), Change: "stop exposing " + ref.String() + " (or restrict its sources)", Object: &ref},
			Claim:    Claim{Entry: &e}})
	}
}

// routes adds the workloads behind an entry point that the network lets the traffic reach.
func (g *Graph) routes(n *Node) {
	e := n.entry
	seen := map[*netpol.Workload]bool{}
	for _, b := range e.Backends {
		if b.Workload == nil {
			continue
		}
		w := g.topWorkload(b.Workload)
		if w == nil || seen[w] {
			continue
		}
		seen[w] = true
		var port *netpol.Port
		if b.Port != "" {
			if p, err := netpol.ParsePort(b.Port); err == nil {
				port = &p
			}
		}
		via := e.Object.String()
		if b.Service != "" {
			via += " → Service " + b.Service
		}
		if b.Port != "" {
			via += " → port " + b.Port
		}
		to := g.workload(w)
		if w.HostNetwork {
			g.edge(&Edge{From: n, To: to, Kind: Routes, Engine: EngineNetpol,
				Evidence: via + "; the pods use the host network, which no NetworkPolicy governs",
				// No single change cuts it: without hostNetwork the pods would be reachable
				// as any other until a policy selects them.
				Claim: Claim{To: netpol.WorkloadEndpoint(w), HostNetwork: true}})
			continue
		}
		var sources []netpol.Endpoint
		switch e.Kind {
		case exposure.Ingress, exposure.Gateway:
			sources = g.controllerProbes(w)
		default:
			src := netpol.InternetEndpoint()
			if len(e.SourceRanges) > 0 {
				var ps []netpol.IPSet
				for _, r := range e.SourceRanges {
					if p, err := netpol.ParseCIDR(r); err == nil {
						ps = append(ps, netpol.PrefixSet(p))
					}
				}
				set := netpol.IPSet{}
				for _, p := range ps {
					set = set.Union(p)
				}
				if s := set.Intersect(netpol.Internet); !s.IsEmpty() {
					src = netpol.AddrEndpoint(strings.Join(e.SourceRanges, ","), s)
				}
			}
			sources = []netpol.Endpoint{src}
		}
		for _, src := range sources {
			v, err := g.net.Reach(src, netpol.WorkloadEndpoint(w), port)
			if err != nil || !(v.Allowed || v.Partial) {
				continue
			}
			// No cut: the entry point exists to let these clients in; closing it is the
			// exposes edge's change.
			g.edge(&Edge{From: n, To: to, Kind: Routes, Engine: EngineNetpol,
				Evidence: via + "; from " + src.Name + ": " + v.Ingress.Explain(w.ID()),
				Claim:    Claim{From: src, To: netpol.WorkloadEndpoint(w), Port: port}})
			break
		}
	}
}

// controllerProbes are the pods that may stand for an ingress controller in front of w: a
// label-less pod in a namespace of its own, then a pod matching each peer of the ingress
// rules of the policies that isolate w, in another namespace. The controller's pods are not
// in the manifests, so the hop holds if some pod outside w's namespace may reach it.
func (g *Graph) controllerProbes(w *netpol.Workload) []netpol.Endpoint {
	const ctl = "ingress-controller"
	out := []netpol.Endpoint{{Name: "a pod of another namespace (the ingress controller)", Probe: &netpol.Probe{Namespace: ctl}}}
	c := w.Class()
	if c == nil {
		return out
	}
	for _, p := range c.Policies(netpol.Ingress) {
		for _, r := range p.Rules[netpol.Ingress] {
			if r.Index >= len(p.Spec.Spec.Ingress) {
				continue
			}
			from := p.Spec.Spec.Ingress[r.Index].From
			for _, peer := range from {
				if peer.NamespaceSelector == nil || len(peer.NamespaceSelector.MatchExpressions) > 0 ||
					(peer.PodSelector != nil && len(peer.PodSelector.MatchExpressions) > 0) {
					continue
				}
				ns := peer.NamespaceSelector.MatchLabels[netpol.NamespaceNameLabel]
				if ns == "" {
					ns = ctl
				}
				if ns == w.Namespace {
					continue
				}
				nsLabels := map[string]string{}
				for k, v := range peer.NamespaceSelector.MatchLabels {
					nsLabels[k] = v
				}
				var pod map[string]string
				if peer.PodSelector != nil {
					pod = peer.PodSelector.MatchLabels
				}
				out = append(out, netpol.Endpoint{
					Name:  fmt.Sprintf("pods {%s} of namespace %s (where %s admits the ingress controller)", labelString(pod), ns, p.ID()),
					Probe: &netpol.Probe{Namespace: ns, NamespaceLabels: nsLabels, Labels: pod}})
			}
		}
	}
	return out
}

func labelString(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = k + "=" + m[k]
	}
	return strings.Join(keys, ",")
}

// fromWorkload adds what an attacker inside a workload's pods can do.
func (g *Graph) fromWorkload(n *Node) {
	w := n.wl
	t := w.Template
	if t == nil {
		return
	}
	wref := n.Object.String()
	if rbac.Automounts(*t, g.inv) {
		sa := g.subjectNode(rbac.Subject{Kind: rbac.ServiceAccountKind, Namespace: w.Namespace, Name: t.ServiceAccount()})
		g.edge(&Edge{From: n, To: sa, Kind: MountsToken, Engine: EngineInventory,
			Evidence: fmt.Sprintf("the pods run as ServiceAccount %s/%s with its token mounted", w.Namespace, t.ServiceAccount()),
			Cut:      Cut{Key: "automount:" + wref, Change: "set automountServiceAccountToken: false in " + wref, Object: n.Object},
			Claim:    Claim{Template: t, Automount: true}})
	}
	if f, ok := g.escape(w); ok {
		g.edge(&Edge{From: n, To: g.byID[string(Nodes)], Kind: Escapes, Engine: EnginePSA,
			Evidence: "the pods reach the node: " + f.Message(),
			Cut:      Cut{Key: "baseline:" + w.Namespace, Change: "enforce Pod Security baseline in namespace " + w.Namespace + " (and fix " + wref + ")", Object: nsRef(w.Namespace)},
			Claim:    Claim{Template: t, PSALevel: baselineLatest, PSACheck: f.Check}})
	}
	if tg := g.target; tg != nil && tg.Kind == Secret {
		if path, ok := mountsSecret(t, tg.Object.Namespace, tg.Object.Name); ok {
			g.edge(&Edge{From: n, To: tg, Kind: MountsSecret, Engine: EngineInventory,
				Evidence: "the pods mount the Secret (" + path + ")",
				Cut:      Cut{Key: "mount:" + wref + ":" + tg.ID, Change: "stop mounting " + tg.Object.String() + " in " + wref, Object: n.Object},
				Claim:    Claim{Template: t, Secret: tg.Object.Name}})
		}
	}
	if !w.HostNetwork { // host-network traffic leaves from the node's address, which policies cannot name
		g.lateral(n)
	}
}

// lateral adds the edges by which an attacker in n's pods reaches the pivots. Pairs that no
// policy isolates (n for egress, the pivot for ingress) are joined through the pod network
// hub rather than pair by pair: every such pair is allowed, and there are O(n²) of them.
// Other pairs are asked of netpol, but only those that some rule's peers could admit.
func (g *Graph) lateral(n *Node) {
	w := n.wl
	c := w.Class()
	g.pivotList()
	if !c.Isolated(netpol.Egress) {
		g.edge(&Edge{From: n, To: g.hub, Kind: Reaches, Engine: EngineNetpol, zero: true})
		seen := map[*Node]bool{}
		for _, ps := range [][]*Node{g.ingressOpen[nil], g.ingressOpen[c]} { // nil: rules that admit every peer
			for _, p := range ps {
				if !seen[p] {
					seen[p] = true
					g.reachEdge(n, p)
				}
			}
		}
		return
	}
	dst, ips := g.egressClasses(c)
	pivots := g.pivots
	if dst != nil {
		pivots = g.pivotsIn(dst, ips)
	}
	for _, p := range pivots {
		switch {
		case p == n:
		case p.wl.HostNetwork:
			if ips {
				e := &Edge{From: n, To: p, Kind: Reaches, Engine: EngineNetpol,
					Evidence: fmt.Sprintf("%s uses the host network, and an egress rule of %s admits addresses outside the pods", p.wl.ID(), w.ID()),
					Claim:    Claim{From: netpol.WorkloadEndpoint(w), To: netpol.WorkloadEndpoint(p.wl), HostNetwork: true}}
				g.edge(e)
			}
		case dst == nil || dst[p.wl.Class()]:
			g.reachEdge(n, p)
		}
	}
}

// pivotsIn are the pivots of the classes in dst and, with hostNetwork, those on the host
// network, in the order of g.pivots: the only pivots a workload whose egress rules admit
// dst may have edges to. Asking every pivot would cost workloads × pivots.
func (g *Graph) pivotsIn(dst map[*netpol.Class]bool, hostNetwork bool) []*Node {
	var at []int
	for c := range dst {
		at = append(at, g.pivotsOf[c]...)
	}
	if hostNetwork {
		at = append(at, g.pivotsOf[nil]...)
	}
	sort.Ints(at)
	out := make([]*Node, len(at))
	for i, j := range at {
		out[i] = g.pivots[j]
	}
	return out
}

// reachEdge adds n → p when netpol allows some traffic.
func (g *Graph) reachEdge(n, p *Node) {
	if p == n {
		return
	}
	if e := g.reachPair(n, p); e != nil {
		g.edge(e)
	}
}

// reachPair returns the edge n → p when netpol allows some traffic, computed once per pair.
func (g *Graph) reachPair(n, p *Node) *Edge {
	k := [2]*Node{n, p}
	if e, ok := g.pairs[k]; ok {
		return e
	}
	w, pw := n.wl, p.wl
	var e *Edge
	switch {
	case pw.HostNetwork:
		e = &Edge{From: n, To: p, Kind: Reaches, Engine: EngineNetpol,
			Evidence: pw.ID() + " uses the host network, which no NetworkPolicy governs",
			Claim:    Claim{From: netpol.WorkloadEndpoint(w), To: netpol.WorkloadEndpoint(pw), HostNetwork: true}}
	default:
		if v := g.reachClass(w, pw); v != nil {
			ports := v.Ports.String()
			if v.Ports.IsAll() {
				ports = "every port"
			}
			e = &Edge{From: n, To: p, Kind: Reaches, Engine: EngineNetpol,
				Evidence: fmt.Sprintf("allowed on %s: %s; %s", ports, v.Egress.Explain(w.ID()), v.Ingress.Explain(pw.ID())),
				Cut:      Cut{Key: "netpol:" + p.Object.String(), Change: "add a NetworkPolicy that admits only the intended clients of " + p.Object.String(), Object: p.Object},
				Claim:    Claim{From: netpol.WorkloadEndpoint(w), To: netpol.WorkloadEndpoint(pw)}}
		}
	}
	g.pairs[k] = e
	return e
}

// egressClasses are the classes the egress rules of class c's policies may admit (nil: every
// class), and whether some rule admits addresses (all peers, or an ipBlock).
func (g *Graph) egressClasses(c *netpol.Class) (map[*netpol.Class]bool, bool) {
	out := map[*netpol.Class]bool{}
	ips := false
	for _, pol := range c.Policies(netpol.Egress) {
		for _, r := range pol.Rules[netpol.Egress] {
			if r.AllPeers {
				return nil, true
			}
			for _, pe := range r.Peers {
				if pe.IPBlock != nil {
					ips = true
					continue
				}
				for _, k := range g.peerClasses(pe) {
					out[k] = true
				}
			}
		}
	}
	return out, ips
}

func (g *Graph) peerClasses(pe *netpol.Peer) []*netpol.Class {
	if cs, ok := g.peers[pe]; ok {
		return cs
	}
	cs := pe.Classes(g.net)
	g.peers[pe] = cs
	return cs
}

// reachClass asks netpol whether w may open some connection to v; nil when not.
func (g *Graph) reachClass(w, v *netpol.Workload) *netpol.Verdict {
	k := [2]*netpol.Class{w.Class(), v.Class()}
	if r, ok := g.reach[k]; ok {
		return r
	}
	r, err := g.net.Reach(netpol.WorkloadEndpoint(w), netpol.WorkloadEndpoint(v), nil)
	if err != nil || !r.Allowed {
		r = nil
	}
	g.reach[k] = r
	return r
}

var baselineLatest = api.LevelVersion{Level: api.LevelBaseline, Version: api.LatestVersion()}

// escapeCaps are capabilities that let a container reach its node.
var escapeCaps = map[corev1.Capability]bool{"SYS_ADMIN": true, "SYS_MODULE": true, "DAC_READ_SEARCH": true, "SYS_PTRACE": true, "ALL": true}

// escape returns the baseline failure by which w's pods reach their node.
func (g *Graph) escape(w *netpol.Workload) (psa.Failure, bool) {
	fs, ok := g.baseline[w]
	if !ok {
		// The verdicts alone: most workloads pass, and of those that fail only the failure
		// that makes an escape is looked into (EvaluateCheck finds its field).
		fs = g.ps.FailingSet(baselineLatest, w.Template.Meta, w.Template.Spec)
		g.baseline[w] = fs
	}
	if fs == 0 {
		return psa.Failure{}, false
	}
	if g.baselineIDs == nil {
		g.baselineIDs = g.ps.ActiveChecks(baselineLatest)
	}
	spec := w.Template.Spec
	for _, id := range g.baselineIDs {
		if !fs.Has(g.ps.Index(id)) {
			continue
		}
		escapes := false
		switch id {
		case "privileged", "hostPathVolumes":
			escapes = true
		case "hostNamespaces":
			escapes = spec.HostPID
		case "capabilities_baseline":
			escapes = addsEscapeCap(w.Template)
		}
		if escapes {
			return g.ps.EvaluateCheck(id, baselineLatest, w.Template.Meta, spec)
		}
	}
	return psa.Failure{}, false
}

// addsEscapeCap says whether a container of t adds a capability of escapeCaps.
func addsEscapeCap(t *inventory.PodTemplate) bool {
	for _, c := range t.Containers() {
		if sc := c.Container.SecurityContext; sc != nil && sc.Capabilities != nil {
			for _, cp := range sc.Capabilities.Add {
				if escapeCaps[corev1.Capability(strings.TrimPrefix(strings.ToUpper(string(cp)), "CAP_"))] {
					return true
				}
			}
		}
	}
	return false
}

// podSecurity is the strictest level w's pods meet.
func (g *Graph) podSecurity(w *netpol.Workload) string {
	if w.Template == nil {
		return ""
	}
	if _, ok := g.baseline[w]; !ok {
		g.escape(w)
	}
	if g.baseline[w] != 0 {
		return string(api.LevelPrivileged)
	}
	if g.ps.FailingSet(api.LevelVersion{Level: api.LevelRestricted, Version: api.LatestVersion()}, w.Template.Meta, w.Template.Spec) != 0 {
		return string(api.LevelBaseline)
	}
	return string(api.LevelRestricted)
}

func nsRef(ns string) *inventory.Ref {
	return &inventory.Ref{APIVersion: "v1", Kind: "Namespace", Name: ns}
}

// mountsSecret reports whether t mounts Secret ns/name, and where.
func mountsSecret(t *inventory.PodTemplate, ns, name string) (string, bool) {
	if t.Namespace() != ns {
		return "", false
	}
	for i, v := range t.Spec.Volumes {
		if v.Secret != nil && v.Secret.SecretName == name {
			return fmt.Sprintf("%s.volumes[%d]", t.Path, i), true
		}
		if v.Projected != nil {
			for _, s := range v.Projected.Sources {
				if s.Secret != nil && s.Secret.Name == name {
					return fmt.Sprintf("%s.volumes[%d]", t.Path, i), true
				}
			}
		}
	}
	for _, c := range t.Containers() {
		for i, e := range c.Container.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name == name {
				return fmt.Sprintf("%s.env[%d]", c.Path, i), true
			}
		}
		for i, e := range c.Container.EnvFrom {
			if e.SecretRef != nil && e.SecretRef.Name == name {
				return fmt.Sprintf("%s.envFrom[%d]", c.Path, i), true
			}
		}
	}
	return "", false
}

// podKinds are the resources whose create lets one run a pod of one's own making.
var podKinds = [...]struct{ group, resource string }{
	{"", "pods"}, {"apps", "deployments"}, {"apps", "daemonsets"}, {"apps", "statefulsets"},
	{"apps", "replicasets"}, {"batch", "jobs"}, {"batch", "cronjobs"}, {"", "replicationcontrollers"},
}

// fromSubject adds what an RBAC subject can do: the next hop of its shortest escalation
// path to each RBAC target, creating privileged pods, reading a target Secret.
func (g *Graph) fromSubject(n *Node) {
	s := n.subject
	user, groups := n.principal()
	seen := map[string]bool{}
	for _, t := range []rbac.Target{rbac.ToClusterAdmin, rbac.ToSecrets} {
		p := g.paths[t].Find(s)
		if p == nil || len(p.Hops) == 0 {
			continue
		}
		h := p.Hops[0]
		var to *Node
		if h.To == (rbac.Subject{}) {
			to = g.byID[string(ClusterAdmin)]
			if t == rbac.ToSecrets {
				to = g.byID[string(AllSecrets)]
			}
		} else {
			to = g.subjectNode(h.To)
		}
		if seen[to.ID] {
			continue
		}
		seen[to.ID] = true
		e := &Edge{From: n, To: to, Kind: Escalates, Engine: EngineRBAC, Evidence: h.Action,
			Claim: Claim{User: user, Groups: groups, Requests: h.Requests}}
		var via []string
		for _, gr := range h.Grants {
			via = append(via, gr.Binding.String()+" → "+gr.Role.String())
		}
		if len(via) > 0 {
			e.Evidence += " (" + strings.Join(via, "; ") + ")"
			b := h.Grants[0].Binding
			ref := inventory.Ref{APIVersion: "rbac.authorization.k8s.io/v1", Kind: b.Kind, Namespace: b.Namespace, Name: b.Name}
			e.Cut = Cut{Key: "binding:" + ref.String(), Change: "remove " + s.String() + " from " + b.String() + " (or narrow " + h.Grants[0].Role.String() + ")", Object: &ref}
		} else {
			e.Cut = Cut{Key: "masters:" + s.String(), Change: "take " + s.String() + " out of system:masters"}
		}
		g.edge(e)
	}
	// One edge per privileged namespace where the subject may create pods, all into the
	// nodes: searches take one of them (escapeEdge).
	n.esc, n.escAt, n.escEdges = g.escapesOf(user, groups), len(n.out), nil
	if tg := g.target; tg != nil && tg.Kind == Secret {
		a := rbac.Attributes{Verb: "get", Resource: "secrets", Namespace: tg.Object.Namespace, Name: tg.Object.Name}
		if gs := g.rb.Reasons(user, groups, a); len(gs) > 0 {
			b := gs[0].Binding
			ref := inventory.Ref{APIVersion: "rbac.authorization.k8s.io/v1", Kind: b.Kind, Namespace: b.Namespace, Name: b.Name}
			g.edge(&Edge{From: n, To: tg, Kind: ReadsSecret, Engine: EngineRBAC,
				Evidence: fmt.Sprintf("may get the Secret (%s → %s)", b, gs[0].Role),
				Cut:      Cut{Key: "binding:" + ref.String(), Change: "remove " + s.String() + " from " + b.String(), Object: &ref},
				Claim:    Claim{User: user, Groups: groups, Requests: []rbac.Attributes{a}}})
		}
	}
}

// fromNodes adds the tokens root on a node can read: those of the DaemonSets.
func (g *Graph) fromNodes(n *Node) {
	for _, w := range g.daemons {
		sa := g.subjectNode(rbac.Subject{Kind: rbac.ServiceAccountKind, Namespace: w.Namespace, Name: w.Template.ServiceAccount()})
		wn := g.workload(w)
		g.edge(&Edge{From: n, To: sa, Kind: StealsToken, Engine: EngineInventory,
			Evidence: fmt.Sprintf("DaemonSet %s runs on every node with the token of ServiceAccount %s/%s mounted", w.ID(), w.Namespace, w.Template.ServiceAccount()),
			Cut:      Cut{Key: "automount:" + wn.Object.String(), Change: "set automountServiceAccountToken: false in " + wn.Object.String(), Object: wn.Object},
			Claim:    Claim{Template: w.Template, Automount: true}})
	}
}

// pivotList returns the workloads from which an attacker can go further: their pods mount a
// token whose subject has somewhere to go, they reach their node, they mount the target
// Secret, or they are the target. Lateral edges lead only to them.
func (g *Graph) pivotList() []*Node {
	if g.pivots != nil {
		return g.pivots
	}
	g.pivots = []*Node{}
	defer g.indexPivots()
	for _, ws := range [][]*netpol.Workload{g.net.Workloads(), g.net.HostNetworkWorkloads()} {
		for _, w := range ws {
			if w.Template == nil {
				continue
			}
			n := g.workload(w)
			if n == g.target {
				g.pivots = append(g.pivots, n)
				continue
			}
			if _, ok := g.escape(w); ok {
				g.pivots = append(g.pivots, n)
				continue
			}
			if tg := g.target; tg != nil && tg.Kind == Secret {
				if _, ok := mountsSecret(w.Template, tg.Object.Namespace, tg.Object.Name); ok {
					g.pivots = append(g.pivots, n)
					continue
				}
			}
			if rbac.Automounts(*w.Template, g.inv) {
				sa := g.subjectNode(rbac.Subject{Kind: rbac.ServiceAccountKind, Namespace: w.Namespace, Name: w.Template.ServiceAccount()})
				if len(g.out(sa)) > 0 || sa.esc != nil {
					g.pivots = append(g.pivots, n)
				}
			}
		}
	}
	return g.pivots
}

// indexPivots lists the pivots isolated for ingress by the classes their rules admit.
func (g *Graph) indexPivots() {
	g.ingressOpen = map[*netpol.Class][]*Node{}
	g.pivotsOf = map[*netpol.Class][]int{}
	for i, p := range g.pivots {
		c := p.wl.Class()
		if p.wl.HostNetwork {
			g.pivotsOf[nil] = append(g.pivotsOf[nil], i)
		} else {
			g.pivotsOf[c] = append(g.pivotsOf[c], i)
		}
		if c == nil || !c.Isolated(netpol.Ingress) {
			continue
		}
		seen := map[*netpol.Class]bool{}
	policies:
		for _, pol := range c.Policies(netpol.Ingress) {
			for _, r := range pol.Rules[netpol.Ingress] {
				if r.AllPeers {
					g.ingressOpen[nil] = append(g.ingressOpen[nil], p)
					break policies
				}
				for _, pe := range r.Peers {
					if pe.IPBlock != nil {
						continue
					}
					for _, k := range g.peerClasses(pe) {
						if !seen[k] {
							seen[k] = true
							g.ingressOpen[k] = append(g.ingressOpen[k], p)
						}
					}
				}
			}
		}
	}
}
