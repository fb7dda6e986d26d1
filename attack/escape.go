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
// it was not told to skip, so a subject keeps its candidates as a list shared with every
// subject whose grants come from the same principals, and gets an edge for the one a search
// takes.

// podGrants are the first grant a principal (a user or one group) holds to create each of
// podKinds: cluster-wide, and in the privileged namespaces where a RoleBinding names it.
type podGrants struct {
	cluster [len(podKinds)]*rbac.Grant
	ns      map[string]*[len(podKinds)]*rbac.Grant
	any     bool // some privileged namespace admits one of its pods
}

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
	p := &podGrants{}
	first := func(a rbac.Attributes) *rbac.Grant {
		if gs := g.rb.Reasons(user, groups, a); len(gs) > 0 {
			return &gs[0]
		}
		return nil
	}
	for k, pk := range podKinds {
		p.cluster[k] = first(rbac.Attributes{Verb: "create", APIGroup: pk.group, Resource: pk.resource})
		p.any = p.any || p.cluster[k] != nil && len(g.privNS) > 0
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
	g.podGrants[key] = p
	return p
}

// escapes are the ways into the nodes of the subjects whose pod-creating grants come from
// the same principals: one per privileged namespace where they may create some pod kind,
// sorted as backward prefers them.
type escapes struct {
	cands []escape
}

// escape is a subject → nodes edge without its subject.
type escape struct {
	ns, evidence string
	req          rbac.Attributes
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
	x := &escapes{}
	for _, ns := range g.nsOrder {
		why, ok := g.privNS[ns]
		if !ok {
			continue
		}
	kinds:
		for k, pk := range podKinds {
			for _, p := range ps {
				if gr := p.grant(ns, k); gr != nil {
					x.cands = append(x.cands, escape{ns: ns,
						evidence: fmt.Sprintf("may create %s in namespace %s (%s → %s), and %s, so a privileged pod that mounts the host is admitted",
							pk.resource, ns, gr.Binding, gr.Role, why),
						req: rbac.Attributes{Verb: "create", APIGroup: pk.group, Resource: pk.resource, Namespace: ns}})
					break kinds
				}
			}
		}
	}
	sort.SliceStable(x.cands, func(i, j int) bool { return x.cands[i].evidence < x.cands[j].evidence })
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

// escapeEdge returns the edge subject n takes into the nodes when the changes in skip are
// made: its first escape whose namespace's change is not skipped; nil when there is none.
func (g *Graph) escapeEdge(n *Node, skip map[string]bool) *Edge {
	if n.esc == nil {
		return nil
	}
	for i := range n.esc.cands {
		c := &n.esc.cands[i]
		if len(skip) > 0 && skip["baseline:"+c.ns] {
			continue
		}
		for _, e := range n.escEdges {
			if e.Claim.PSANamespace == c.ns {
				return e
			}
		}
		user, groups := n.principal()
		e := &Edge{From: n, To: g.byID[string(Nodes)], Kind: Escapes, Engine: EnginePSA, Evidence: c.evidence,
			Cut:   Cut{Key: "baseline:" + c.ns, Change: "enforce Pod Security baseline in namespace " + c.ns, Object: nsRef(c.ns)},
			Claim: Claim{User: user, Groups: groups, Requests: []rbac.Attributes{c.req}, PSANamespace: c.ns}}
		n.escEdges = append(n.escEdges, e)
		return e
	}
	return nil
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
