package rbac

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Target is what an escalation search looks for.
type Target string

// StandardVerbs are the verbs of the Kubernetes API's resource requests. Rules that grant
// each of them on every resource of every group are cluster-admin in all but name: with
// create and update on roles and bindings the holder can give itself the rest.
var StandardVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}

// Targets.
const (
	// ToClusterAdmin: allowed every verb on every resource of every group cluster-wide
	// (what the cluster-admin ClusterRole grants, with "*" or every one of StandardVerbs),
	// or a member of system:masters.
	ToClusterAdmin Target = "cluster-admin"
	// ToSecrets: allowed to read every Secret of the cluster (get, list or watch secrets
	// across all namespaces).
	ToSecrets Target = "secrets"
)

// ParseTarget reads a Target by name.
func ParseTarget(s string) (Target, error) {
	switch Target(s) {
	case ToClusterAdmin, ToSecrets:
		return Target(s), nil
	}
	return "", fmt.Errorf("unknown target %q (want cluster-admin or secrets)", s)
}

// Hop is one step of an escalation path: From, using the Grants, becomes To (a subject) or,
// on the last hop, reaches the target (To is the zero Subject).
type Hop struct {
	From   Subject
	To     Subject
	Action string  // "create pods in namespace ci and run one as the service account"
	Grants []Grant // the grants the action needs; empty for system:masters
	// Requests are the API requests the action makes, one per grant (Requests[i] is what
	// Grants[i] allows): what a SubjectAccessReview for From must allow.
	Requests []Attributes
}

// Path is a chain of hops from a subject to a target.
type Path struct {
	Target Target
	Hops   []Hop
}

// String renders the path on one line: "User alice → create pods in namespace ci … →
// ServiceAccount ci/deployer → cluster-admin".
func (p *Path) String() string {
	if len(p.Hops) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString(p.Hops[0].From.String())
	for _, h := range p.Hops {
		b.WriteString(" —[")
		b.WriteString(h.Action)
		if len(h.Grants) > 0 {
			b.WriteString(" via ")
			for i, g := range h.Grants {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(g.Binding.String())
			}
		}
		b.WriteString("]→ ")
		if h.To == (Subject{}) {
			b.WriteString(string(p.Target))
		} else {
			b.WriteString(h.To.String())
		}
	}
	return b.String()
}

// Paths finds a shortest escalation path from subject from to target, or nil when there is
// none. The graph's edges are what RBAC lets a subject turn into another identity:
//
//   - impersonate users, groups or service accounts (a group needs a user to impersonate too;
//     the group system:masters is cluster-admin);
//   - create pods or pod-owning workloads (or update/patch those) in a namespace, and run them as
//     any service account of that namespace;
//   - create serviceaccounts/token for a service account;
//   - read Secrets of a namespace that hold a service account token, or create and read
//     Secrets there (the token controller fills a new token Secret for any service account);
//   - exec into running pods of a namespace (create pods/exec), or proxy to any node's kubelet
//     (nodes/proxy), and use the token those pods mount;
//   - bind an admin ClusterRole with a ClusterRoleBinding (bind verb plus creating or updating
//     ClusterRoleBindings), or escalate a ClusterRole one is bound to cluster-wide;
//   - create and approve client certificate requests for kube-apiserver-client (a certificate
//     may name the group system:masters).
//
// The service accounts of a namespace are those the inventory declares, names in a binding,
// or runs pods as, and "default"; the running pods are the inventory's workloads that mount a
// token. For many searches over one engine, use a Searcher.
func (e *Engine) Paths(from Subject, to Target) *Path {
	return e.Searcher(to).Find(from)
}

// Searcher answers escalation searches to one target over one engine. The first Find of
// any Searcher of the engine computes, for every subject the engine knows, its shortest
// distance to the target (a breadth-first search backwards from the subjects already
// there); later calls, of this Searcher or another, read it. A Searcher is not safe for
// concurrent use; Searchers of one engine may be used concurrently.
type Searcher struct {
	e     *Engine
	to    Target
	g     *graph
	cache map[Subject]*Path
}

// Searcher returns a Searcher for target.
func (e *Engine) Searcher(to Target) *Searcher {
	return &Searcher{e: e, to: to, cache: map[Subject]*Path{}}
}

// Find returns a shortest path from from to the searcher's target, or nil.
func (s *Searcher) Find(from Subject) *Path {
	if s.g == nil {
		s.g = s.e.graph(s.to)
	}
	if p, ok := s.cache[from]; ok {
		return p
	}
	p := s.g.path(from)
	s.cache[from] = p
	return p
}

// graph is the escalation graph: a node per subject, with what its permissions let it do.
type graph struct {
	e      *Engine
	to     Target
	nodes  []*node
	byS    map[Subject]*node
	sas    map[string][]*node // service account nodes by namespace
	active map[string][]*node // nodes with a namespace capability there ("" = everywhere)
	imps   []*node            // nodes with some impersonate rule
	proxy  []*node            // nodes allowed nodes/proxy

	// Nodes named by the same bindings share their capabilities (memo), and whether they
	// are at the target: computed once per set of principals, by principalsKey.
	*memo
	goals map[string]*Hop

	// prev is, while the graph is built, the graph of an engine this one's was derived
	// from (Tracker): its nodes know the principals of their subjects.
	prev *graph
	slab []node // nodes to be
}

// memo is what an engine's graphs to every target share: what each principal's grants
// allow (views), and the capabilities of each set of principals a caller is (every service
// account of a namespace no binding names by itself has the same), from what each
// principal's grants allow, and from the first grants of each principal for the requests
// asked.
type memo struct {
	// mu guards the maps, which path adds to for subjects not in a graph; a graph is
	// built holding it.
	mu     sync.Mutex
	admin  []string  // ClusterRoles that allow everything
	subs   []Subject // the subjects of the engine's bindings
	views  map[*principal]*view
	shared map[string]*shared
	// fixed are the requests every node's reasons ask (by index into view.fixed).
	fixed map[Attributes]int
	// saGroups are the groups of the service accounts of each namespace, which their
	// nodes share.
	saGroups map[string][]string
	// byRole are roleFixed's answers.
	byRole map[*Role][]int32
}

// newMemo makes the memo of e's graphs. prev, when set, is the memo of an engine e was
// derived from: what it holds for principals e shares with it (all but those replaced) is
// kept. A caller's capabilities depend on its principals' grants, the admin ClusterRoles
// and, for one that may impersonate, the subjects it may impersonate first (subs). The views
// and sets of principals replaced are left behind, so that a monitor's memos do not grow
// with the changes.
func newMemo(e *Engine, prev *memo, replaced map[*principal]bool) *memo {
	m := &memo{views: map[*principal]*view{}, shared: map[string]*shared{}, fixed: map[Attributes]int{}}
	admin := Attributes{Verb: "*", APIGroup: "*", Resource: "*"}
	for _, r := range e.roles {
		if r.Kind == ClusterRoleKind && firstAllowing(r, &admin) >= 0 {
			m.admin = append(m.admin, r.Name)
		}
	}
	for _, a := range fixedReasons {
		m.fixed[a] = len(m.fixed)
	}
	for _, r := range m.admin {
		m.fixed[Attributes{Verb: "bind", APIGroup: rbacv1.GroupName, Resource: "clusterroles", Name: r}] = len(m.fixed)
	}
	m.subs = e.subjects()
	if prev == nil || !slices.Equal(prev.admin, m.admin) {
		return m
	}
	prev.mu.Lock()
	defer prev.mu.Unlock()
	for p, v := range prev.views {
		if !replaced[p] {
			m.views[p] = v
		}
	}
	m.byRole = maps.Clone(prev.byRole) // the roles are the same
	subs := slices.Equal(prev.subs, m.subs)
next:
	for k, sh := range prev.shared {
		if sh.caps.impersona && !subs {
			continue
		}
		for _, p := range sh.ps {
			if replaced[p] {
				continue next
			}
		}
		m.shared[k] = sh
	}
	return m
}

// graphs are an engine's escalation graphs, built on first use.
type graphs struct {
	mu   sync.Mutex
	m    map[Target]*graph
	memo *memo // the graphs' memo, made with the first
	// prev and prevMemo are the graphs and memo of an engine this one was derived from
	// (Tracker), whose principals but those replaced are the engine's.
	prev     map[Target]*graph
	prevMemo *memo
	replaced map[*principal]bool
}

// graph returns the engine's escalation graph to target, built once.
func (e *Engine) graph(to Target) *graph {
	c := e.graphs
	if c == nil {
		return newGraph(e, to)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if g := c.m[to]; g != nil {
		return g
	}
	if c.m == nil {
		c.m = map[Target]*graph{}
	}
	if c.memo == nil {
		c.memo = newMemo(e, c.prevMemo, c.replaced)
		c.prevMemo = nil
	}
	g := newGraphFrom(e, to, c.memo, c.prev[to])
	delete(c.prev, to)
	c.m[to] = g
	return g
}

// shared is what the nodes of one set of principals have in common.
type shared struct {
	ps     []*principal
	caps   *caps
	active []string // the namespaces where caps has a namespace capability
}

type node struct {
	sub    Subject
	user   string
	groups []string
	ps     []*principal // the principals of user and groups, as Engine.principals
	key    string       // principalsKey of ps
	caps   *caps
	goal   *Hop // set when the node is at the target
	dist   int  // hops to the target; -1 unknown
	next   *Hop // first hop of a shortest path (goal when dist is 0)
}

// byNS is a value by the namespace it applies in ("" for every namespace). A node has
// grants in a few namespaces: a list is smaller and quicker than a map.
type byNS[T any] []struct {
	ns string
	v  T
}

func (m byNS[T]) get(ns string) (T, bool) {
	for i := range m {
		if m[i].ns == ns {
			return m[i].v, true
		}
	}
	var zero T
	return zero, false
}

func (m *byNS[T]) set(ns string, v T) {
	*m = append(*m, struct {
		ns string
		v  T
	}{ns, v})
}

// nsGrants are grants by the namespace they apply in; "" applies in every namespace.
type nsGrants = byNS[Grant]

// in is the value for ns, or the one for every namespace.
func (m byNS[T]) in(ns string) (T, bool) {
	if g, ok := m.get(""); ok {
		return g, true
	}
	return m.get(ns)
}

// caps are the node's permissions that make edges, computed once from its rules.
type caps struct {
	runAs     byNS[runAs] // namespace → how to run pods there
	token     nsGrants    // some rule allows creating tokens (names checked per target)
	read      nsGrants    // list secrets
	create    nsGrants    // create secrets
	exec      nsGrants    // create pods/exec
	proxy     *Grant      // nodes/proxy
	proxyReq  Attributes  // the request proxy allows
	impersona bool        // some rule may allow impersonate
	anyUser   *Grant      // a user (or service account) it may impersonate, for groups
	anyUserQ  Attributes  // the request anyUser allows
	masters   *Hop        // a direct way to system:masters-equivalent power (From to be set)
}

type runAs struct {
	action string
	grant  Grant
	req    Attributes // Namespace "" when the grant applies in every namespace
}

// workloads are the resources whose create lets one choose a pod's service account, and
// whose update or patch lets one change it.
var workloads = []struct{ group, resource string }{
	{"", "pods"}, {"apps", "deployments"}, {"apps", "statefulsets"}, {"apps", "daemonsets"}, {"apps", "replicasets"},
	{"batch", "jobs"}, {"batch", "cronjobs"}, {"", "replicationcontrollers"},
}

func newGraph(e *Engine, to Target) *graph { return newGraphFrom(e, to, newMemo(e, nil, nil), nil) }

// newGraphFrom builds the graph of e to target to with the memo of e's graphs. prev, when
// set, is the graph to the same target of an engine e was derived from.
func newGraphFrom(e *Engine, to Target, m *memo, prev *graph) *graph {
	g := &graph{e: e, to: to, byS: map[Subject]*node{}, sas: map[string][]*node{}, active: map[string][]*node{},
		memo: m, goals: map[string]*Hop{}}
	m.mu.Lock()
	defer m.mu.Unlock()
	if prev != nil && prev.to == to {
		g.prev = prev
		g.byS = make(map[Subject]*node, len(prev.byS))
		g.nodes = make([]*node, 0, len(prev.nodes))
		g.slab = make([]node, len(prev.nodes))
		g.goals = make(map[string]*Hop, len(prev.goals))
		defer func() { g.prev = nil }()
	}
	for _, sub := range g.subs {
		g.add(sub)
	}
	for _, ns := range sortedKeys(e.env.serviceAccounts) {
		for _, n := range e.env.serviceAccounts[ns] {
			g.add(Subject{Kind: ServiceAccountKind, Namespace: ns, Name: n})
		}
	}
	g.add(Subject{Kind: GroupKind, Name: Masters})

	// Breadth-first, backwards from the nodes at the target.
	var queue []*node
	for _, n := range g.nodes {
		if n.goal != nil {
			n.dist, n.next = 0, n.goal
			queue = append(queue, n)
		}
	}
	for i := 0; i < len(queue); i++ {
		v := queue[i]
		g.predecessors(v, func(u *node) {
			if h := g.edge(u, v); h != nil {
				u.dist, u.next = v.dist+1, h
				queue = append(queue, u)
			}
		})
	}
	return g
}

// add creates the node of sub, with its capabilities and whether it is at the target.
func (g *graph) add(sub Subject) *node {
	if n := g.byS[sub]; n != nil {
		return n
	}
	n, sh := g.newNode(sub)
	g.byS[sub] = n
	g.nodes = append(g.nodes, n)
	if sub.Kind == ServiceAccountKind {
		g.sas[sub.Namespace] = append(g.sas[sub.Namespace], n)
	}
	for _, ns := range sh.active {
		g.active[ns] = append(g.active[ns], n)
	}
	if n.caps.impersona {
		g.imps = append(g.imps, n)
	}
	if n.caps.proxy != nil {
		g.proxy = append(g.proxy, n)
	}
	return n
}

// newNode makes the node of sub, with the capabilities of its principals.
func (g *graph) newNode(sub Subject) (*node, *shared) {
	n := g.alloc()
	n.sub, n.dist = sub, -1
	if pn := g.prevNode(sub); pn != nil {
		n.user, n.groups = pn.user, pn.groups
		if g.e.samePrincipals(n.user, n.groups, pn.ps) {
			n.ps, n.key = pn.ps, pn.key
		} else {
			n.ps = g.e.principals(n.user, n.groups)
		}
	} else {
		n.user, n.groups = g.principalOf(sub)
		n.ps = g.e.principals(n.user, n.groups)
	}
	if n.key == "" {
		n.key = principalsKey(n.ps, false)
	}
	key := n.key
	sh := g.shared[key]
	if sh == nil {
		sh = &shared{ps: n.ps, caps: g.capsOf(n.ps, sub)}
		c := sh.caps
		for _, m := range []nsGrants{c.token, c.read, c.create, c.exec} {
			for _, e := range m {
				if !slices.Contains(sh.active, e.ns) {
					sh.active = append(sh.active, e.ns)
				}
			}
		}
		for _, e := range c.runAs {
			if !slices.Contains(sh.active, e.ns) {
				sh.active = append(sh.active, e.ns)
			}
		}
		g.shared[key] = sh
	}
	n.caps = sh.caps
	goal, ok := g.goals[key]
	if !ok {
		goal = g.atGoal(n.ps, sub) // the last hop when at the target, From to be set per node
		g.goals[key] = goal
	}
	switch {
	case contains(n.groups, Masters):
		n.goal = &Hop{From: n.sub, Action: "member of system:masters, which is allowed everything"}
	case goal != nil:
		h := *goal
		h.From = n.sub
		n.goal = &h
	}
	return n, sh
}

// alloc returns a new node, from a slab: a graph has a node per service account.
func (g *graph) alloc() *node {
	if len(g.slab) == 0 {
		g.slab = make([]node, max(64, len(g.nodes)/2))
	}
	n := &g.slab[0]
	g.slab = g.slab[1:]
	return n
}

// prevNode is the node of sub in the graph g keeps memos of, if any.
func (g *graph) prevNode(sub Subject) *node {
	if g.prev == nil {
		return nil
	}
	return g.prev.byS[sub]
}

// principalOf is principalOf(sub), the groups of service accounts shared by namespace.
func (g *graph) principalOf(sub Subject) (string, []string) {
	if sub.Kind != ServiceAccountKind {
		return principalOf(sub)
	}
	gs := g.saGroups[sub.Namespace]
	if gs == nil {
		gs = ServiceAccountGroups(sub.Namespace)
		if g.saGroups == nil {
			g.saGroups = map[string][]string{}
		}
		g.saGroups[sub.Namespace] = gs
	}
	return ServiceAccountUser(sub.Namespace, sub.Name), gs
}

// principalOf is the caller a subject acts as. A group reached by impersonation comes with an
// impersonated user that is no one in particular.
func principalOf(sub Subject) (string, []string) {
	if sub.Kind == GroupKind {
		return "", []string{sub.Name, AllAuthenticated}
	}
	return sub.Principal()
}

// reason is the first grant that allows a to the caller of the principals, as Reasons finds
// it.
func (g *graph) reason(ps []*principal, a Attributes) (Grant, bool) {
	if k, ok := g.fixed[a]; ok {
		return g.reasonAt(ps, k)
	}
	for _, p := range ps {
		if gr, ok := p.first(&a); ok {
			return gr, true
		}
	}
	return Grant{}, false
}

// reasonAt is reason for the request g.fixed gives index k.
func (g *graph) reasonAt(ps []*principal, k int) (Grant, bool) {
	for _, p := range ps {
		if v := g.view(p); v.fixed != nil {
			if gr := v.fixed[k]; gr != nil {
				return *gr, true
			}
		}
	}
	return Grant{}, false
}

// Indexes of fixedReasons.
const (
	fxAll        = 0                // * on *
	fxStandard   = 1                // the StandardVerbs on *, in order
	fxSecrets    = fxStandard + 8   // list, watch, get secrets
	fxCRB        = fxSecrets + 3    // create, update, patch clusterrolebindings
	fxCSRCreate  = fxCRB + 3        // create certificatesigningrequests
	fxCSRApprove = fxCSRCreate + 1  // update certificatesigningrequests/approval
	fxSigners    = fxCSRApprove + 1 // approve the two signers, in order
	fxBind       = fxSigners + 3    // bind each admin ClusterRole, in graph.admin order (after impersonate users)
)

// fixedReasons are requests the search asks of every node (besides binding each admin
// ClusterRole): each principal's first grant for them is read once.
var fixedReasons = func() []Attributes {
	out := []Attributes{{Verb: "*", APIGroup: "*", Resource: "*"}}
	for _, v := range StandardVerbs {
		out = append(out, Attributes{Verb: v, APIGroup: "*", Resource: "*"})
	}
	for _, v := range []string{"list", "watch", "get"} {
		out = append(out, Attributes{Verb: v, Resource: "secrets"})
	}
	out = append(out,
		Attributes{Verb: "create", APIGroup: rbacv1.GroupName, Resource: "clusterrolebindings"},
		Attributes{Verb: "update", APIGroup: rbacv1.GroupName, Resource: "clusterrolebindings", Name: "any"},
		Attributes{Verb: "patch", APIGroup: rbacv1.GroupName, Resource: "clusterrolebindings", Name: "any"},
		Attributes{Verb: "create", APIGroup: "certificates.k8s.io", Resource: "certificatesigningrequests"},
		Attributes{Verb: "update", APIGroup: "certificates.k8s.io", Resource: "certificatesigningrequests", Subresource: "approval", Name: "csr"},
		Attributes{Verb: "approve", APIGroup: "certificates.k8s.io", Resource: "signers", Name: "kubernetes.io/kube-apiserver-client"},
		Attributes{Verb: "approve", APIGroup: "certificates.k8s.io", Resource: "signers", Name: "kubernetes.io/*"},
		Attributes{Verb: "impersonate", Resource: "users", Name: "someone"},
	)
	return out
}()

// atGoal returns the last hop when the caller of the principals, from, is at the target by
// its grants (system:masters members are at any target without one).
func (g *graph) atGoal(ps []*principal, from Subject) *Hop {
	switch g.to {
	case ToClusterAdmin:
		if gr, ok := g.reasonAt(ps, fxAll); ok {
			return &Hop{From: from, Action: "allowed * on * cluster-wide", Grants: []Grant{gr}, Requests: []Attributes{{Verb: "*", APIGroup: "*", Resource: "*"}}}
		}
		var grants []Grant
		for i := range StandardVerbs {
			gr, ok := g.reasonAt(ps, fxStandard+i)
			if !ok {
				return nil
			}
			grants = append(grants, gr)
		}
		return &Hop{From: from, Action: "allowed every standard verb on * cluster-wide", Grants: grants}
	case ToSecrets:
		for i, v := range []string{"list", "watch", "get"} {
			if gr, ok := g.reasonAt(ps, fxSecrets+i); ok {
				return &Hop{From: from, Action: v + " secrets in all namespaces", Grants: []Grant{gr}, Requests: []Attributes{{Verb: v, Resource: "secrets"}}}
			}
		}
	}
	return nil
}

// capProbes are the requests a node's capabilities are read from, asked of each namespace's
// grants: first one per workload resource and verb that lets one run pods (runProbes says
// which), then the others at the p* indexes.
var capProbes, runProbes = func() (as []Attributes, run []struct{ verb, res string }) {
	for _, w := range workloads {
		verbs := []string{"create", "update", "patch"}
		if w.resource == "pods" {
			verbs = verbs[:1] // a pod's service account cannot change
		}
		for _, v := range verbs {
			a := Attributes{Verb: v, APIGroup: w.group, Resource: w.resource}
			if v != "create" {
				a.Name = "any"
			}
			res := w.resource
			if w.group != "" {
				res += "." + w.group
			}
			as = append(as, a)
			run = append(run, struct{ verb, res string }{v, res})
		}
	}
	return append(as,
		Attributes{Verb: "create", Resource: "serviceaccounts", Subresource: "token", Name: "any"},
		Attributes{Verb: "list", Resource: "secrets"},
		Attributes{Verb: "create", Resource: "secrets"},
		Attributes{Verb: "create", Resource: "pods", Subresource: "exec"},
		Attributes{Verb: "get", Resource: "nodes", Subresource: "proxy"},
		Attributes{Verb: "create", Resource: "nodes", Subresource: "proxy"},
	), run
}()

var (
	pToken       = len(runProbes)
	pRead        = pToken + 1
	pCreate      = pToken + 2
	pExec        = pToken + 3
	pProxyGet    = pToken + 4
	pProxyCreate = pToken + 5
	pTokenAny    = pToken + 6 // a token rule that resourceNames may limit: no request
	nProbes      = pToken + 7
)

// view is what one principal's grants allow, by the namespace they apply in ("" for
// ClusterRoleBindings): for each of capProbes, the first grant (by binding, then rule) that
// allows it.
type view struct {
	fixed    []*Grant // the first grant for each of graph.fixed, as Reasons finds it
	scopes   map[string]*scope
	crb0     []Grant // the first rule of each ClusterRoleBinding's role, by binding
	bind     bool    // some cluster-wide rule may allow bind on clusterroles
	escalate bool    // some cluster-wide rule may allow escalate on clusterroles
}

type scope struct {
	grants    []Grant // by binding, then rule
	hits      []int32 // by probe: the index in grants of the first that allows it, or -1
	impersona bool
}

// hit is the first grant allowing probe k, or nil.
func (sc *scope) hit(k int) *Grant {
	if i := sc.hits[k]; i >= 0 {
		return &sc.grants[i]
	}
	return nil
}

// roleFixed is, for each of the fixed requests, the first rule of r that allows it, or -1.
func (g *graph) roleFixed(r *Role) []int32 {
	if rf, ok := g.byRole[r]; ok {
		return rf
	}
	rf := make([]int32, len(g.fixed))
	for a, k := range g.fixed {
		rf[k] = int32(firstAllowing(r, &a))
	}
	if g.byRole == nil {
		g.byRole = map[*Role][]int32{}
	}
	g.byRole[r] = rf
	return rf
}

func (g *graph) view(p *principal) *view {
	if v := g.views[p]; v != nil {
		return v
	}
	v := &view{scopes: map[string]*scope{}}
	if len(p.cluster) > 0 { // the fixed requests are all cluster-wide
		// What p.first finds for each: the first ClusterRoleBinding whose role allows it,
		// at the role's first rule that does.
		v.fixed = make([]*Grant, len(g.fixed))
		for _, ref := range p.cluster {
			for k, ri := range g.roleFixed(ref.b.role) {
				if ri >= 0 && v.fixed[k] == nil {
					gr := ref.grant(int(ri))
					v.fixed[k] = &gr
				}
			}
		}
	}
	add := func(ns string, refs []subjRef) {
		var gs []Grant
		for _, ref := range refs {
			for ri := range ref.b.role.Rules {
				gs = append(gs, ref.grant(ri))
			}
		}
		if len(gs) == 0 {
			return
		}
		sortByBinding(gs)
		sc := &scope{grants: gs, hits: make([]int32, nProbes)}
		for k := range sc.hits {
			sc.hits[k] = -1
		}
		for k := range capProbes {
			for i := range gs {
				if RuleAllows(gs[i].PolicyRule(), &capProbes[k]) {
					sc.hits[k] = int32(i)
					break
				}
			}
		}
		for i, gr := range gs {
			r := gr.PolicyRule()
			if sc.hits[pTokenAny] < 0 && verbMatches(r, "create") && groupMatches(r, "") && resourceMatches(r, "serviceaccounts", "token") {
				sc.hits[pTokenAny] = int32(i)
			}
			if verbMatches(r, "impersonate") && groupMatches(r, "") &&
				(resourceMatches(r, "users", "") || resourceMatches(r, "groups", "") || resourceMatches(r, "serviceaccounts", "")) {
				sc.impersona = true
			}
			if ns == "" {
				if gr.Rule == 0 {
					v.crb0 = append(v.crb0, gr)
				}
				if groupMatches(r, rbacv1.GroupName) && resourceMatches(r, "clusterroles", "") {
					v.bind = v.bind || verbMatches(r, "bind")
					v.escalate = v.escalate || verbMatches(r, "escalate")
				}
			}
		}
		v.scopes[ns] = sc
	}
	add("", p.cluster)
	for ns, refs := range p.ns {
		add(ns, refs)
	}
	g.views[p] = v
	return v
}

// capsOf reads the capabilities of the caller of the principals, from: for each, the first
// grant that allows it in each namespace it has grants in ("" for ClusterRoleBindings, which
// allow it everywhere), in the order of the caller's permissions (PermissionsOf).
func (g *graph) capsOf(ps []*principal, from Subject) *caps {
	c := &caps{}
	vs := make([]*view, len(ps))
	var nss []string
	for i, p := range ps {
		vs[i] = g.view(p)
		for ns := range vs[i].scopes {
			if !slices.Contains(nss, ns) {
				nss = append(nss, ns)
			}
		}
	}
	// first is the first grant of the caller allowing probe k in ns: PermissionsOf sorts by
	// binding and rule, the earlier principal first on a tie.
	first := func(ns string, k int) (Grant, bool) {
		var best Grant
		for _, v := range vs {
			sc := v.scopes[ns]
			if sc == nil {
				continue
			}
			h := sc.hit(k)
			if h == nil {
				continue
			}
			if best.Binding == nil ||
				(h.Binding != best.Binding && compareBindings(h.Binding, best.Binding) < 0) ||
				(h.Binding == best.Binding && h.Rule < best.Rule) {
				best = *h
			}
		}
		return best, best.Binding != nil
	}
	for _, ns := range nss {
		for k, rp := range runProbes {
			if gr, ok := first(ns, k); ok {
				where := "in namespace " + ns
				if ns == "" {
					where = "in the namespace"
				}
				a := capProbes[k]
				a.Namespace = ns
				c.runAs.set(ns, runAs{rp.verb + " " + rp.res + " " + where + " and run pods as the service account", gr, a})
				break
			}
		}
		if gr, ok := first(ns, pToken); ok {
			c.token.set(ns, gr)
		} else if gr, ok := first(ns, pTokenAny); ok {
			// A rule limited by resourceNames may still allow some service accounts.
			c.token.set(ns, gr)
		}
		if gr, ok := first(ns, pRead); ok {
			c.read.set(ns, gr)
		}
		if gr, ok := first(ns, pCreate); ok {
			c.create.set(ns, gr)
		}
		if gr, ok := first(ns, pExec); ok {
			c.exec.set(ns, gr)
		}
		for _, v := range vs {
			if sc := v.scopes[ns]; sc != nil && sc.impersona {
				c.impersona = true
			}
		}
		if ns == "" {
			for _, k := range []int{pProxyGet, pProxyCreate} {
				if gr, ok := first(ns, k); ok {
					a := capProbes[k]
					c.proxy, c.proxyReq = &gr, Attributes{Verb: a.Verb, Resource: a.Resource, Subresource: a.Subresource}
					break
				}
			}
		}
	}
	if c.impersona {
		if a := (Attributes{Verb: "impersonate", Resource: "users", Name: "someone"}); true {
			if gr, ok := g.reason(ps, a); ok {
				c.anyUser, c.anyUserQ = &gr, a
			}
		}
		for _, sub := range g.subs {
			if c.anyUser != nil {
				break
			}
			var a Attributes
			switch sub.Kind {
			case UserKind:
				a = Attributes{Verb: "impersonate", Resource: "users", Name: sub.Name}
			case ServiceAccountKind:
				a = Attributes{Verb: "impersonate", Resource: "serviceaccounts", Namespace: sub.Namespace, Name: sub.Name}
			default:
				continue
			}
			if gr, ok := g.reason(ps, a); ok {
				c.anyUser, c.anyUserQ = &gr, a
			}
		}
	}
	c.masters = g.toMasters(ps, vs, from)
	return c
}

// toMasters returns a hop to system:masters-equivalent power: binding an admin ClusterRole
// cluster-wide, escalating a ClusterRole the caller is bound to cluster-wide, or approving a
// client certificate for system:masters.
func (g *graph) toMasters(ps []*principal, vs []*view, from Subject) *Hop {
	masters := Subject{Kind: GroupKind, Name: Masters}
	bind, escalate := false, false
	for _, v := range vs {
		bind, escalate = bind || v.bind, escalate || v.escalate
	}
	for ri, r := range g.admin {
		if !bind {
			break // no rule allows bind on any ClusterRole
		}
		ba := Attributes{Verb: "bind", APIGroup: rbacv1.GroupName, Resource: "clusterroles", Name: r}
		b, ok := g.reasonAt(ps, fxBind+ri)
		if !ok {
			continue
		}
		for i, v := range []string{"create", "update", "patch"} {
			a := Attributes{Verb: v, APIGroup: rbacv1.GroupName, Resource: "clusterrolebindings"}
			if v != "create" {
				a.Name = "any"
			}
			if c, ok := g.reasonAt(ps, fxCRB+i); ok {
				return &Hop{From: from, To: masters, Action: fmt.Sprintf("%s a ClusterRoleBinding to ClusterRole %s (bind)", v, r), Grants: []Grant{b, c}, Requests: []Attributes{ba, a}}
			}
		}
	}
	if escalate {
		// The first rule of each cluster-wide binding's role, in the order of the caller's
		// permissions: by binding, the earlier principal first.
		var crb0 []Grant
		for _, v := range vs {
			crb0 = append(crb0, v.crb0...)
		}
		slices.SortStableFunc(crb0, func(a, b Grant) int {
			if a.Binding == b.Binding {
				return 0
			}
			return compareBindings(a.Binding, b.Binding)
		})
		for _, gr := range crb0 {
			if gr.Binding.Kind != ClusterRoleBindingKind {
				continue
			}
			name := gr.Role.Name
			ea := Attributes{Verb: "escalate", APIGroup: rbacv1.GroupName, Resource: "clusterroles", Name: name}
			esc, ok := g.reason(ps, ea)
			if !ok {
				continue
			}
			for _, v := range []string{"update", "patch"} {
				ua := Attributes{Verb: v, APIGroup: rbacv1.GroupName, Resource: "clusterroles", Name: name}
				if u, ok := g.reason(ps, ua); ok {
					return &Hop{From: from, To: masters, Action: fmt.Sprintf("escalate ClusterRole %s (bound to it by %s) to allow everything", name, gr.Binding), Grants: []Grant{esc, u}, Requests: []Attributes{ea, ua}}
				}
			}
		}
	}
	ca := Attributes{Verb: "create", APIGroup: "certificates.k8s.io", Resource: "certificatesigningrequests"}
	ua := Attributes{Verb: "update", APIGroup: "certificates.k8s.io", Resource: "certificatesigningrequests", Subresource: "approval", Name: "csr"}
	if c, ok := g.reasonAt(ps, fxCSRCreate); ok {
		if u, ok := g.reasonAt(ps, fxCSRApprove); ok {
			for i, signer := range []string{"kubernetes.io/kube-apiserver-client", "kubernetes.io/*"} {
				aa := Attributes{Verb: "approve", APIGroup: "certificates.k8s.io", Resource: "signers", Name: signer}
				if a, ok := g.reasonAt(ps, fxSigners+i); ok {
					return &Hop{From: from, To: masters, Action: "create and approve a client certificate in group system:masters", Grants: []Grant{c, u, a}, Requests: []Attributes{ca, ua, aa}}
				}
			}
		}
	}
	return nil
}

// predecessors calls f for each node without a distance yet that may have an edge to v.
// The candidate lists drop the nodes that have a distance as they go, so a node that
// reaches every service account (a binding to system:serviceaccounts lets each create
// pods everywhere) costs once, not once per service account it reaches. Only the search
// reads these lists.
func (g *graph) predecessors(v *node, f func(u *node)) {
	switch v.sub.Kind {
	case ServiceAccountKind:
		g.active[""] = pending(g.active[""], f)
		g.active[v.sub.Namespace] = pending(g.active[v.sub.Namespace], f)
		g.proxy = pending(g.proxy, f)
	case GroupKind:
		if v.sub.Name == Masters {
			for _, n := range g.nodes {
				if n.caps.masters != nil && n.dist < 0 {
					f(n)
				}
			}
		}
	}
	g.imps = pending(g.imps, f)
}

// pending calls f for the nodes of list without a distance, in order, and returns list
// without those that have one afterwards.
func pending(list []*node, f func(u *node)) []*node {
	keep := list[:0]
	for _, u := range list {
		if u.dist >= 0 {
			continue
		}
		f(u)
		if u.dist < 0 {
			keep = append(keep, u)
		}
	}
	clear(list[len(keep):])
	return keep
}

// edge returns the hop from u to v, or nil.
func (g *graph) edge(u, v *node) *Hop {
	if u == v {
		return nil
	}
	c := u.caps
	// hop pairs each grant with the request it allows.
	hop := func(action string, grants []Grant, reqs ...Attributes) *Hop {
		return &Hop{From: u.sub, To: v.sub, Action: action, Grants: grants, Requests: reqs}
	}
	one := func(gr Grant) []Grant { return []Grant{gr} }
	switch sub := v.sub; sub.Kind {
	case ServiceAccountKind:
		ns := sub.Namespace
		if r, ok := c.runAs.get(""); ok {
			req := r.req
			req.Namespace = ns
			return hop(strings.Replace(r.action, "in the namespace", "in namespace "+ns, 1), one(r.grant), req)
		}
		if r, ok := c.runAs.get(ns); ok {
			return hop(r.action, one(r.grant), r.req)
		}
		if _, ok := c.token.in(ns); ok {
			a := Attributes{Verb: "create", Resource: "serviceaccounts", Subresource: "token", Namespace: ns, Name: sub.Name}
			if gr, ok := g.reason(u.ps, a); ok {
				return hop("create a token for the service account", one(gr), a)
			}
		}
		list := Attributes{Verb: "list", Resource: "secrets", Namespace: ns}
		if read, ok := c.read.in(ns); ok {
			if contains(g.e.env.tokenSecrets[ns], sub.Name) {
				return hop("read the service account's token Secret", one(read), list)
			}
			if create, ok := c.create.in(ns); ok {
				return hop("create a token Secret for the service account and read it", []Grant{create, read},
					Attributes{Verb: "create", Resource: "secrets", Namespace: ns}, list)
			}
		}
		if contains(g.e.env.running[ns], sub.Name) {
			if gr, ok := c.exec.in(ns); ok {
				return hop("exec into a running pod of the service account and read its token", one(gr),
					Attributes{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: ns})
			}
			if c.proxy != nil {
				return hop("exec through the kubelet API (nodes/proxy) into a pod of the service account", one(*c.proxy), c.proxyReq)
			}
		}
		if c.impersona {
			a := Attributes{Verb: "impersonate", Resource: "serviceaccounts", Namespace: ns, Name: sub.Name}
			if gr, ok := g.reason(u.ps, a); ok {
				return hop("impersonate the service account", one(gr), a)
			}
		}
	case UserKind:
		if c.impersona {
			a := Attributes{Verb: "impersonate", Resource: "users", Name: sub.Name}
			if gr, ok := g.reason(u.ps, a); ok {
				return hop("impersonate the user", one(gr), a)
			}
		}
	case GroupKind:
		if sub.Name == Masters && c.masters != nil {
			h := *c.masters
			h.From = u.sub
			return &h
		}
		if c.impersona && c.anyUser != nil {
			a := Attributes{Verb: "impersonate", Resource: "groups", Name: sub.Name}
			if gr, ok := g.reason(u.ps, a); ok {
				return hop("impersonate a user in the group", []Grant{*c.anyUser, gr}, c.anyUserQ, a)
			}
		}
	}
	return nil
}

// path reads the shortest path of from. A subject the engine does not know (a user no
// binding names) gets its node now; its first hop goes to the nearest node known to reach
// the target.
func (g *graph) path(from Subject) *Path {
	n := g.byS[from]
	if n == nil {
		g.memo.mu.Lock()
		defer g.memo.mu.Unlock()
		n, _ = g.newNode(from)
		if n.goal != nil {
			n.dist, n.next = 0, n.goal
		} else {
			for _, v := range g.nodes {
				if v.dist < 0 || (n.dist >= 0 && v.dist+1 >= n.dist) {
					continue
				}
				if h := g.edge(n, v); h != nil {
					n.dist, n.next = v.dist+1, h
				}
			}
		}
	}
	if n.dist < 0 {
		return nil
	}
	p := &Path{Target: g.to}
	for cur := n; ; {
		p.Hops = append(p.Hops, *cur.next)
		if cur.dist == 0 {
			return p
		}
		cur = g.byS[cur.next.To]
	}
}

func sortedKeys(m map[string][]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
