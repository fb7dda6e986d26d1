package rbac

import (
	"fmt"
	"sort"
	"strings"

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

// Searcher answers escalation searches to one target over one engine. The first Find
// computes, for every subject the engine knows, its shortest distance to the target (a
// breadth-first search backwards from the subjects already there); later calls read it. It
// is not safe for concurrent use.
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
		s.g = newGraph(s.e, s.to)
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
	admin  []string           // ClusterRoles that allow everything
	subs   []Subject          // the subjects of the engine's bindings
}

type node struct {
	sub    Subject
	user   string
	groups []string
	caps   *caps
	goal   *Hop // set when the node is at the target
	dist   int  // hops to the target; -1 unknown
	next   *Hop // first hop of a shortest path (goal when dist is 0)
}

// nsGrants are grants by the namespace they apply in; "" applies in every namespace.
type nsGrants map[string]Grant

func (m nsGrants) in(ns string) (Grant, bool) {
	if g, ok := m[""]; ok {
		return g, true
	}
	g, ok := m[ns]
	return g, ok
}

// caps are the node's permissions that make edges, computed once from its rules.
type caps struct {
	runAs     map[string]runAs // namespace → how to run pods there
	token     nsGrants         // some rule allows creating tokens (names checked per target)
	read      nsGrants         // list secrets
	create    nsGrants         // create secrets
	exec      nsGrants         // create pods/exec
	proxy     *Grant           // nodes/proxy
	proxyReq  Attributes       // the request proxy allows
	impersona bool             // some rule may allow impersonate
	anyUser   *Grant           // a user (or service account) it may impersonate, for groups
	anyUserQ  Attributes       // the request anyUser allows
	masters   *Hop             // a direct way to system:masters-equivalent power
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

func newGraph(e *Engine, to Target) *graph {
	g := &graph{e: e, to: to, byS: map[Subject]*node{}, sas: map[string][]*node{}, active: map[string][]*node{}}
	admin := Attributes{Verb: "*", APIGroup: "*", Resource: "*"}
	for _, r := range e.roles {
		if r.Kind == ClusterRoleKind && firstAllowing(r, &admin) >= 0 {
			g.admin = append(g.admin, r.Name)
		}
	}
	g.subs = e.Subjects()
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
	n := &node{sub: sub, dist: -1}
	n.user, n.groups = principalOf(sub)
	n.caps = g.capsOf(n)
	n.goal = g.atGoal(n)
	g.byS[sub] = n
	g.nodes = append(g.nodes, n)
	if sub.Kind == ServiceAccountKind {
		g.sas[sub.Namespace] = append(g.sas[sub.Namespace], n)
	}
	c := n.caps
	seen := map[string]bool{}
	for _, m := range []map[string]Grant{c.token, c.read, c.create, c.exec} {
		for ns := range m {
			seen[ns] = true
		}
	}
	for ns := range c.runAs {
		seen[ns] = true
	}
	for ns := range seen {
		g.active[ns] = append(g.active[ns], n)
	}
	if c.impersona {
		g.imps = append(g.imps, n)
	}
	if c.proxy != nil {
		g.proxy = append(g.proxy, n)
	}
	return n
}

// principalOf is the caller a subject acts as. A group reached by impersonation comes with an
// impersonated user that is no one in particular.
func principalOf(sub Subject) (string, []string) {
	if sub.Kind == GroupKind {
		return "", []string{sub.Name, AllAuthenticated}
	}
	return sub.Principal()
}

func (g *graph) reason(n *node, a Attributes) (Grant, bool) {
	if gs := g.e.Reasons(n.user, n.groups, a); len(gs) > 0 {
		return gs[0], true
	}
	return Grant{}, false
}

// atGoal returns the last hop when n is at the target.
func (g *graph) atGoal(n *node) *Hop {
	if contains(n.groups, Masters) {
		return &Hop{From: n.sub, Action: "member of system:masters, which is allowed everything"}
	}
	switch g.to {
	case ToClusterAdmin:
		if gr, ok := g.reason(n, Attributes{Verb: "*", APIGroup: "*", Resource: "*"}); ok {
			return &Hop{From: n.sub, Action: "allowed * on * cluster-wide", Grants: []Grant{gr}, Requests: []Attributes{{Verb: "*", APIGroup: "*", Resource: "*"}}}
		}
		var grants []Grant
		for _, v := range StandardVerbs {
			gr, ok := g.reason(n, Attributes{Verb: v, APIGroup: "*", Resource: "*"})
			if !ok {
				return nil
			}
			grants = append(grants, gr)
		}
		return &Hop{From: n.sub, Action: "allowed every standard verb on * cluster-wide", Grants: grants}
	case ToSecrets:
		for _, v := range []string{"list", "watch", "get"} {
			if gr, ok := g.reason(n, Attributes{Verb: v, Resource: "secrets"}); ok {
				return &Hop{From: n.sub, Action: v + " secrets in all namespaces", Grants: []Grant{gr}, Requests: []Attributes{{Verb: v, Resource: "secrets"}}}
			}
		}
	}
	return nil
}

// capsOf reads a node's rules once: for each capability, the first grant that allows it in
// each namespace it has grants in ("" for ClusterRoleBindings, which allow it everywhere).
func (g *graph) capsOf(n *node) *caps {
	c := &caps{runAs: map[string]runAs{}, token: nsGrants{}, read: nsGrants{}, create: nsGrants{}, exec: nsGrants{}}
	perms := g.e.PermissionsOf(n.user, n.groups)
	first := func(gs []Grant, a Attributes) (Grant, bool) {
		for _, gr := range gs {
			if RuleAllows(gr.PolicyRule(), &a) {
				return gr, true
			}
		}
		return Grant{}, false
	}
	for ns, gs := range perms {
	workloads:
		for _, w := range workloads {
			verbs := []string{"create", "update", "patch"}
			if w.resource == "pods" {
				verbs = verbs[:1] // a pod's service account cannot change
			}
			for _, v := range verbs {
				a := Attributes{Verb: v, APIGroup: w.group, Resource: w.resource, Namespace: ns}
				if v != "create" {
					a.Name = "any"
				}
				if gr, ok := first(gs, a); ok {
					res := w.resource
					if w.group != "" {
						res += "." + w.group
					}
					where := "in namespace " + ns
					if ns == "" {
						where = "in the namespace"
					}
					c.runAs[ns] = runAs{fmt.Sprintf("%s %s %s and run pods as the service account", v, res, where), gr, a}
					break workloads
				}
			}
		}
		if gr, ok := first(gs, Attributes{Verb: "create", Resource: "serviceaccounts", Subresource: "token", Namespace: ns, Name: "any"}); ok {
			c.token[ns] = gr
		} else {
			// A rule limited by resourceNames may still allow some service accounts.
			for _, gr := range gs {
				r := gr.PolicyRule()
				if verbMatches(r, "create") && groupMatches(r, "") && resourceMatches(r, "serviceaccounts", "token") {
					c.token[ns] = gr
					break
				}
			}
		}
		if gr, ok := first(gs, Attributes{Verb: "list", Resource: "secrets", Namespace: ns}); ok {
			c.read[ns] = gr
		}
		if gr, ok := first(gs, Attributes{Verb: "create", Resource: "secrets", Namespace: ns}); ok {
			c.create[ns] = gr
		}
		if gr, ok := first(gs, Attributes{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: ns}); ok {
			c.exec[ns] = gr
		}
		for _, gr := range gs {
			r := gr.PolicyRule()
			if verbMatches(r, "impersonate") && groupMatches(r, "") &&
				(resourceMatches(r, "users", "") || resourceMatches(r, "groups", "") || resourceMatches(r, "serviceaccounts", "")) {
				c.impersona = true
			}
		}
		if ns == "" {
			for _, v := range []string{"get", "create"} {
				if gr, ok := first(gs, Attributes{Verb: v, Resource: "nodes", Subresource: "proxy"}); ok {
					c.proxy, c.proxyReq = &gr, Attributes{Verb: v, Resource: "nodes", Subresource: "proxy"}
					break
				}
			}
		}
	}
	if c.impersona {
		if a := (Attributes{Verb: "impersonate", Resource: "users", Name: "someone"}); true {
			if gr, ok := g.reason(n, a); ok {
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
			if gr, ok := g.reason(n, a); ok {
				c.anyUser, c.anyUserQ = &gr, a
			}
		}
	}
	c.masters = g.toMasters(n, perms)
	return c
}

// toMasters returns a hop to system:masters-equivalent power: binding an admin ClusterRole
// cluster-wide, escalating a ClusterRole the node is bound to cluster-wide, or approving a
// client certificate for system:masters.
func (g *graph) toMasters(n *node, perms map[string][]Grant) *Hop {
	masters := Subject{Kind: GroupKind, Name: Masters}
	for _, r := range g.admin {
		ba := Attributes{Verb: "bind", APIGroup: rbacv1.GroupName, Resource: "clusterroles", Name: r}
		b, ok := g.reason(n, ba)
		if !ok {
			continue
		}
		for _, v := range []string{"create", "update", "patch"} {
			a := Attributes{Verb: v, APIGroup: rbacv1.GroupName, Resource: "clusterrolebindings"}
			if v != "create" {
				a.Name = "any"
			}
			if c, ok := g.reason(n, a); ok {
				return &Hop{From: n.sub, To: masters, Action: fmt.Sprintf("%s a ClusterRoleBinding to ClusterRole %s (bind)", v, r), Grants: []Grant{b, c}, Requests: []Attributes{ba, a}}
			}
		}
	}
	for _, gr := range perms[""] {
		if gr.Binding.Kind != ClusterRoleBindingKind || gr.Rule != 0 {
			continue
		}
		name := gr.Role.Name
		ea := Attributes{Verb: "escalate", APIGroup: rbacv1.GroupName, Resource: "clusterroles", Name: name}
		esc, ok := g.reason(n, ea)
		if !ok {
			continue
		}
		for _, v := range []string{"update", "patch"} {
			ua := Attributes{Verb: v, APIGroup: rbacv1.GroupName, Resource: "clusterroles", Name: name}
			if u, ok := g.reason(n, ua); ok {
				return &Hop{From: n.sub, To: masters, Action: fmt.Sprintf("escalate ClusterRole %s (bound to it by %s) to allow everything", name, gr.Binding), Grants: []Grant{esc, u}, Requests: []Attributes{ea, ua}}
			}
		}
	}
	ca := Attributes{Verb: "create", APIGroup: "certificates.k8s.io", Resource: "certificatesigningrequests"}
	ua := Attributes{Verb: "update", APIGroup: "certificates.k8s.io", Resource: "certificatesigningrequests", Subresource: "approval", Name: "csr"}
	if c, ok := g.reason(n, ca); ok {
		if u, ok := g.reason(n, ua); ok {
			for _, signer := range []string{"kubernetes.io/kube-apiserver-client", "kubernetes.io/*"} {
				aa := Attributes{Verb: "approve", APIGroup: "certificates.k8s.io", Resource: "signers", Name: signer}
				if a, ok := g.reason(n, aa); ok {
					return &Hop{From: n.sub, To: masters, Action: "create and approve a client certificate in group system:masters", Grants: []Grant{c, u, a}, Requests: []Attributes{ca, ua, aa}}
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
		if r, ok := c.runAs[""]; ok {
			req := r.req
			req.Namespace = ns
			return hop(strings.Replace(r.action, "in the namespace", "in namespace "+ns, 1), one(r.grant), req)
		}
		if r, ok := c.runAs[ns]; ok {
			return hop(r.action, one(r.grant), r.req)
		}
		if _, ok := c.token.in(ns); ok {
			a := Attributes{Verb: "create", Resource: "serviceaccounts", Subresource: "token", Namespace: ns, Name: sub.Name}
			if gr, ok := g.reason(u, a); ok {
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
			if gr, ok := g.reason(u, a); ok {
				return hop("impersonate the service account", one(gr), a)
			}
		}
	case UserKind:
		if c.impersona {
			a := Attributes{Verb: "impersonate", Resource: "users", Name: sub.Name}
			if gr, ok := g.reason(u, a); ok {
				return hop("impersonate the user", one(gr), a)
			}
		}
	case GroupKind:
		if sub.Name == Masters && c.masters != nil {
			h := *c.masters
			return &h
		}
		if c.impersona && c.anyUser != nil {
			a := Attributes{Verb: "impersonate", Resource: "groups", Name: sub.Name}
			if gr, ok := g.reason(u, a); ok {
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
		n = &node{sub: from, dist: -1}
		n.user, n.groups = principalOf(from)
		n.caps = g.capsOf(n)
		if n.goal = g.atGoal(n); n.goal != nil {
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
