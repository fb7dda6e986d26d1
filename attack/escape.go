package attack

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubeharden/kubeharden/rbac"
)

// A subject that may create pods in a privileged namespace reaches the nodes. With a group
// binding (system:serviceaccounts, system:authenticated) every service account may do so in
// every such namespace: one edge per account per namespace, all into the nodes. A search
// only ever takes the first of those parallel edges (by evidence, see backward) whose change
// it was not told to skip, so a subject gets an edge for the one a search takes, found by
// merging the ways of the principals that hold its grants. Those ways are not listed per
// namespace either: a cluster-wide grant gives the same kind in every privileged namespace,
// so it is walked in the order of privOrder, and only a principal's namespaced grants that
// come first are kept as a list (own). The work is then linear in namespaces and subjects,
// where listing every subject's ways was their product.

// podGrants are the first grant a principal (a user or one group) holds to create each of
// podKinds: cluster-wide, and in the privileged namespaces where a RoleBinding names it.
type podGrants struct {
	cluster [len(podKinds)]*rbac.Grant
	ns      map[string]*[len(podKinds)]*rbac.Grant
	any     bool // some privileged namespace admits one of its pods
	// kind is the first of podKinds the principal may create cluster-wide (noKind: none);
	// own are its ways through the namespaces where a RoleBinding lets it create a kind
	// before that one, sorted by evidence.
	kind int
	own  []escape
}

// noKind is no index of podKinds, after all of them.
const noKind = len(podKinds)

// grant is the first grant of p to create podKinds[k] in privileged namespace ns: the
// cluster-wide one, as rbac.Engine.Reasons lists ClusterRoleBindings first, else the first
// RoleBinding's.
func (p *podGrants) grant(ns string, k int) *rbac.Grant {
	if g := p.cluster[k]; g != nil {
		return g
	}
	if gs := p.ns[ns]; gs != nil {
		return gs[k]
	}
	return nil
}

// first is the first of podKinds p may create in privileged namespace ns (noKind: none).
func (p *podGrants) first(ns string) int {
	if gs := p.ns[ns]; gs != nil {
		for k := 0; k < p.kind; k++ {
			if gs[k] != nil {
				return k
			}
		}
	}
	return p.kind
}

// principalGrants computes the podGrants of a user (group "") or a group, once.
func (g *Graph) principalGrants(user, group string) *podGrants {
	key := "u:" + user
	var groups []string
	if user == "" {
		key, groups = "g:"+group, []string{group}
	}
	if p, ok := g.podGrants[key]; ok {
		return p
	}
	p := &podGrants{kind: noKind}
	first := func(a rbac.Attributes) *rbac.Grant {
		if gs := g.rb.Reasons(user, groups, a); len(gs) > 0 {
			return &gs[0]
		}
		return nil
	}
	for k, pk := range podKinds {
		p.cluster[k] = first(rbac.Attributes{Verb: "create", APIGroup: pk.group, Resource: pk.resource})
		p.any = p.any || p.cluster[k] != nil && len(g.privNS) > 0
		if p.cluster[k] != nil && p.kind == noKind {
			p.kind = k
		}
	}
	for ns := range g.rb.RoleBindingNamespaces(user, groups) {
		if _, ok := g.privNS[ns]; !ok {
			continue
		}
		var gs [len(podKinds)]*rbac.Grant
		some := false
		for k, pk := range podKinds {
			gs[k] = first(rbac.Attributes{Verb: "create", APIGroup: pk.group, Resource: pk.resource, Namespace: ns})
			some = some || gs[k] != nil
		}
		if some {
			if p.ns == nil {
				p.ns = map[string]*[len(podKinds)]*rbac.Grant{}
			}
			p.ns[ns] = &gs
			p.any = true
		}
	}
	for ns := range p.ns {
		if k := p.first(ns); k < p.kind {
			p.own = append(p.own, g.escapeIn(ns, k, p.grant(ns, k)))
		}
	}
	sort.Slice(p.own, func(i, j int) bool { return p.own[i].evidence < p.own[j].evidence })
	g.podGrants[key] = p
	return p
}

// escapes are the ways into the nodes of the subjects whose pod-creating grants come from
// the same principals: one per privileged namespace where they may create some pod kind,
// through the first kind and, of the principals that may create it, the first one's grant.
type escapes struct {
	ps []*podGrants
	// wide says whether ps[i]'s cluster-wide grant is the way in some namespace: no
	// principal has one to an earlier kind, nor an earlier principal to the same kind.
	wide []bool
	// first is the way a search without skipped changes takes.
	first *escape
}

// escape is a subject → nodes edge without its subject: create podKinds[kind] in ns.
type escape struct {
	ns, evidence string
	kind         int
}

func (g *Graph) escapeIn(ns string, k int, gr *rbac.Grant) escape {
	return escape{ns: ns, kind: k,
		evidence: fmt.Sprintf("may create %s in namespace %s (%s → %s), and %s, so a privileged pod that mounts the host is admitted",
			podKinds[k].resource, ns, gr.Binding, gr.Role, g.privNS[ns])}
}

// escapesOf returns the escapes of a caller with this user name and groups. Only the
// principals that hold some pod-creating grant count, in the order rbac.Engine.Reasons visits
// them (the user, then each group once), so the first grant found for a namespace and pod
// kind is the one Reasons lists first.
func (g *Graph) escapesOf(user string, groups []string) *escapes {
	if len(g.privNS) == 0 {
		return nil
	}
	var ps []*podGrants
	var key strings.Builder
	if user != "" {
		if p := g.principalGrants(user, ""); p.any {
			ps = append(ps, p)
			key.WriteString("u:" + user + "\x00")
		}
	}
	for i, gr := range groups {
		if gr == "" || contains(groups[:i], gr) {
			continue
		}
		if p := g.principalGrants("", gr); p.any {
			ps = append(ps, p)
			key.WriteString("g:" + gr + "\x00")
		}
	}
	if len(ps) == 0 {
		return nil
	}
	if x, ok := g.escapes[key.String()]; ok {
		return x
	}
	x := &escapes{ps: ps, wide: make([]bool, len(ps))}
	for i, p := range ps {
		x.wide[i] = p.kind != noKind
		for j, q := range ps {
			if q.kind < p.kind || q.kind == p.kind && j < i {
				x.wide[i] = false
			}
		}
	}
	g.escapes[key.String()] = x
	return x
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// next returns the first way, by evidence, whose namespace's change is not in skip; nil when
// there is none. It merges the principals' ways: each principal's own list and, where wide,
// its cluster-wide grant in every privileged namespace where no namespaced grant comes first;
// a way counts in its namespace when no principal may create an earlier kind there, nor an
// earlier principal the same kind (the order of the loops of a search over kinds, then
// principals).
func (x *escapes) next(g *Graph, skip map[string]bool) *escape {
	if len(skip) == 0 && x.first != nil {
		return x.first
	}
	type cursor struct {
		own, wide int
		head      escape
		ok        bool
	}
	cs := make([]cursor, len(x.ps))
	// load sets c's head to the next way of principal i, by evidence.
	load := func(i int) {
		p, c := x.ps[i], &cs[i]
		if x.wide[i] {
			for c.wide < len(g.privOrder) && p.first(g.privOrder[c.wide]) != p.kind {
				c.wide++
			}
		}
		var w *escape
		if x.wide[i] && c.wide < len(g.privOrder) {
			ns := g.privOrder[c.wide]
			e := g.escapeIn(ns, p.kind, p.cluster[p.kind])
			w = &e
		}
		switch {
		case c.own < len(p.own) && (w == nil || p.own[c.own].evidence < w.evidence):
			c.head, c.ok = p.own[c.own], true
			c.own++
		case w != nil:
			c.head, c.ok = *w, true
			c.wide++
		default:
			c.ok = false
		}
	}
	for i := range cs {
		load(i)
	}
	for {
		at := -1
		for i := range cs {
			if cs[i].ok && (at < 0 || cs[i].head.evidence < cs[at].head.evidence) {
				at = i
			}
		}
		if at < 0 {
			return nil
		}
		e := cs[at].head
		counts := !(len(skip) > 0 && skip["baseline:"+e.ns])
		for j, q := range x.ps {
			if k := q.first(e.ns); k < e.kind || k == e.kind && j < at {
				counts = false
			}
		}
		if counts {
			if len(skip) == 0 {
				x.first = &e
			}
			return &e
		}
		load(at)
	}
}

// escapeEdge returns the edge subject n takes into the nodes when the changes in skip are
// made: its first escape whose namespace's change is not skipped; nil when there is none.
func (g *Graph) escapeEdge(n *Node, skip map[string]bool) *Edge {
	if n.esc == nil {
		return nil
	}
	c := n.esc.next(g, skip)
	if c == nil {
		return nil
	}
	for _, e := range n.escEdges {
		if e.Claim.PSANamespace == c.ns {
			return e
		}
	}
	user, groups := n.principal()
	pk := podKinds[c.kind]
	req := rbac.Attributes{Verb: "create", APIGroup: pk.group, Resource: pk.resource, Namespace: c.ns}
	e := &Edge{From: n, To: g.byID[string(Nodes)], Kind: Escapes, Engine: EnginePSA, Evidence: c.evidence,
		Cut:   Cut{Key: "baseline:" + c.ns, Change: "enforce Pod Security baseline in namespace " + c.ns, Object: nsRef(c.ns)},
		Claim: Claim{User: user, Groups: groups, Requests: []rbac.Attributes{req}, PSANamespace: c.ns}}
	n.escEdges = append(n.escEdges, e)
	return e
}

// principal is the caller a subject node acts as: a group reached through RBAC comes with
// system:authenticated (an impersonated user that is no one in particular).
func (n *Node) principal() (string, []string) {
	s := n.subject
	if s.Kind == rbac.GroupKind {
		return "", []string{s.Name, rbac.AllAuthenticated}
	}
	return s.Principal()
}
