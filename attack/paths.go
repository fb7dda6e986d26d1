package attack

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/netpol"
	"github.com/kubeharden/kubeharden/rbac"
)

// Target is what a path leads to: cluster-admin, every Secret, the nodes, or one object
// (a workload or a Secret) named NS/NAME.
type Target struct {
	Kind      Kind
	Namespace string
	Name      string
}

// Standard targets, in the order paths are ranked.
var (
	ToClusterAdmin = Target{Kind: ClusterAdmin}
	ToSecrets      = Target{Kind: AllSecrets}
	ToNodes        = Target{Kind: Nodes}
	// DefaultTargets are the targets of a search that names none.
	DefaultTargets = []Target{ToClusterAdmin, ToSecrets, ToNodes}
)

// String is how --to names the target.
func (t Target) String() string {
	switch t.Kind {
	case ClusterAdmin, AllSecrets, Nodes:
		return string(t.Kind)
	}
	return t.Namespace + "/" + t.Name
}

// ParseTarget reads cluster-admin, secrets, nodes (or node) or NS/NAME.
func ParseTarget(s string) (Target, error) {
	switch s {
	case "cluster-admin":
		return ToClusterAdmin, nil
	case "secrets":
		return ToSecrets, nil
	case "nodes", "node":
		return ToNodes, nil
	}
	ns, name, ok := strings.Cut(s, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		return Target{}, fmt.Errorf("unknown target %q (want cluster-admin, secrets, nodes or NAMESPACE/NAME)", s)
	}
	return Target{Kind: Secret, Namespace: ns, Name: name}, nil
}

// Query is a search: from the internet (From empty) or an insider, to targets.
type Query struct {
	// From is "" for the internet, a subject as rbac.ParseSubject reads it (alice,
	// Group:NAME, ServiceAccount:NS:NAME, system:serviceaccount:NS:NAME), or NS/WORKLOAD.
	From string
	To   []Target // nil: DefaultTargets
}

// Path is one shortest path from the start to a target.
type Path struct {
	// From is the start node (internet, or the insider); Entry the entry point it goes
	// through, for paths from the internet.
	From  *Node
	Entry *Node
	To    *Node
	Steps []Step
}

// Step is a node on a path and the edge that led to it (nil on the first step).
type Step struct {
	Node *Node
	Edge *Edge
}

// Len is the number of edges.
func (p *Path) Len() int { return len(p.Steps) - 1 }

// String renders the path on one line: "internet → Ingress shop/web → ... → cluster-admin".
func (p *Path) String() string {
	parts := make([]string, len(p.Steps))
	for i, s := range p.Steps {
		parts[i] = s.Node.Label()
	}
	return strings.Join(parts, " → ")
}

// Label is a short name for humans: "Ingress shop-frontend/frontend http://shop.example.com",
// "Deployment shop-api/api", "ServiceAccount shop-api/api", "cluster-admin".
func (n *Node) Label() string {
	switch n.Kind {
	case EntryPoint:
		return fmt.Sprintf("%s %s/%s %s", n.entry.Kind, n.Object.Namespace, n.Object.Name, n.entry.Endpoint)
	case Workload, Secret:
		return n.Object.Kind + " " + n.Object.Namespace + "/" + n.Object.Name
	case Subject, ServiceAccount:
		return n.subject.String()
	}
	return n.ID
}

type stepJSON struct {
	Node            string         `json:"node"`
	Kind            Kind           `json:"kind"`
	Object          *inventory.Ref `json:"object,omitempty"`
	File            string         `json:"file,omitempty"`
	Line            int            `json:"line,omitempty"`
	PodSecurity     string         `json:"podSecurity,omitempty"`
	Vulnerabilities string         `json:"vulnerabilities,omitempty"`
	Edge            EdgeKind       `json:"edge,omitempty"`
	Engine          Engine         `json:"engine,omitempty"`
	Evidence        string         `json:"evidence,omitempty"`
}

type pathJSON struct {
	From  string     `json:"from"`
	Entry string     `json:"entry,omitempty"`
	To    string     `json:"to"`
	Steps []stepJSON `json:"steps"`
}

// MarshalJSON writes {"from", "entry", "to", "steps": [{"node", "edge", "evidence", ...}]}.
func (p *Path) MarshalJSON() ([]byte, error) {
	out := pathJSON{From: p.From.Label(), To: p.To.Label()}
	if p.Entry != nil {
		out.Entry = p.Entry.Label()
	}
	for _, s := range p.Steps {
		sj := stepJSON{Node: s.Node.Label(), Kind: s.Node.Kind, Object: s.Node.Object, File: s.Node.File, Line: s.Node.Line,
			PodSecurity: s.Node.PodSecurity, Vulnerabilities: s.Node.Vulnerabilities}
		if s.Edge != nil {
			sj.Edge, sj.Engine, sj.Evidence = s.Edge.Kind, s.Edge.Engine, s.Edge.Evidence
		}
		out.Steps = append(out.Steps, sj)
	}
	return json.Marshal(&out)
}

// start resolves q.From to a node.
func (g *Graph) start(from string) (*Node, error) {
	if from == "" || from == string(Internet) {
		return g.byID[string(Internet)], nil
	}
	if ns, name, ok := strings.Cut(from, "/"); ok && !strings.Contains(from, ":") {
		var found *Node
		for _, w := range g.net.Workloads() {
			if w.Namespace == ns && w.Name == name && w.Template != nil {
				found = g.workload(w)
				break
			}
		}
		if found == nil {
			for _, w := range g.net.HostNetworkWorkloads() {
				if w.Namespace == ns && w.Name == name && w.Template != nil {
					found = g.workload(w)
					break
				}
			}
		}
		if found == nil {
			return nil, fmt.Errorf("--from %s: no workload %s in namespace %s", from, name, ns)
		}
		return found, nil
	}
	s, err := rbac.ParseSubject(from)
	if err != nil {
		return nil, fmt.Errorf("--from: %w", err)
	}
	return g.subjectNode(s), nil
}

// targetNode resolves t; an object target becomes the graph's extra target.
func (g *Graph) targetNode(t Target) (*Node, error) {
	switch t.Kind {
	case ClusterAdmin, AllSecrets, Nodes:
		return g.byID[string(t.Kind)], nil
	}
	if o := g.inv.Get("Secret", t.Namespace, t.Name); o != nil {
		return g.add(&Node{ID: "secret:" + t.Namespace + "/" + t.Name, Kind: Secret, Object: &o.Ref, File: o.Source.File, Line: o.Source.Line, obj: o}), nil
	}
	for _, ws := range [][]*netpol.Workload{g.net.Workloads(), g.net.HostNetworkWorkloads()} {
		for _, w := range ws {
			if w.Namespace == t.Namespace && w.Name == t.Name && w.Template != nil {
				return g.workload(w), nil
			}
		}
	}
	return nil, fmt.Errorf("--to %s: no Secret or workload %s in namespace %s", t, t.Name, t.Namespace)
}

// setTarget makes n the extra target, forgetting edges computed for another one.
func (g *Graph) setTarget(n *Node) {
	if g.target == n {
		return
	}
	if n != nil && (n.Kind == ClusterAdmin || n.Kind == AllSecrets || n.Kind == Nodes) {
		n = nil
	}
	if g.target == n {
		return
	}
	g.target = n
	g.pivots = nil
	for _, m := range g.nodes {
		m.out, m.done = nil, false
		m.esc, m.escEdges = nil, nil
	}
}

// Paths returns, for each target of q, a shortest path through every entry point that
// leads to it (from the internet) or the shortest path from the insider; ranked by target,
// then length, then entry point.
func (g *Graph) Paths(q Query) ([]*Path, error) {
	from, err := g.start(q.From)
	if err != nil {
		return nil, err
	}
	tos := q.To
	if len(tos) == 0 {
		tos = DefaultTargets
	}
	var targets []*Node
	for _, t := range tos {
		n, err := g.targetNode(t)
		if err != nil {
			return nil, err
		}
		if t.Kind == Secret || n.Kind == Workload || n.Kind == Secret {
			if g.target != nil && g.target != n && len(tos) > 1 {
				return nil, fmt.Errorf("--to: at most one NAMESPACE/NAME target per search")
			}
			g.setTarget(n)
		}
		targets = append(targets, n)
	}
	hasObject := false
	for _, n := range targets {
		hasObject = hasObject || n.Kind == Workload || n.Kind == Secret
	}
	if !hasObject {
		g.setTarget(nil)
	}
	return g.search(from, targets, nil), nil
}

// search finds the paths from start to each target, skipping edges whose cut is in skip.
func (g *Graph) search(start *Node, targets []*Node, skip map[string]bool) []*Path {
	// Forward: every node reachable from start, with the edges among them. Nodes are
	// created as their edges are computed, so the tables by node index grow as they do.
	seen := make([]bool, len(g.nodes))
	mark := func(n *Node) bool {
		if n.index >= len(seen) {
			seen = append(seen, make([]bool, len(g.nodes)-len(seen))...)
		}
		was := seen[n.index]
		seen[n.index] = true
		return was
	}
	mark(start)
	order := []*Node{start}
	var edges []*Edge
	visit := func(e *Edge) {
		if e == nil || skip[e.Cut.Key] {
			return
		}
		edges = append(edges, e)
		if !mark(e.To) {
			order = append(order, e.To)
		}
	}
	for i := 0; i < len(order); i++ {
		n := order[i]
		out := g.out(n)
		for j, e := range out {
			if n.esc != nil && j == n.escAt {
				visit(g.escapeEdge(n, skip))
			}
			visit(e)
		}
		if n.esc != nil && n.escAt >= len(out) {
			visit(g.escapeEdge(n, skip))
		}
	}
	in := g.inEdges(edges)
	var starts []*Node // where paths begin: entry points, or the insider
	// entry is the first edge from the internet to each entry point: looking it up for each
	// path among all the internet's edges cost entry points².
	var entry map[*Node]*Edge
	if start.Kind == Internet {
		entry = map[*Node]*Edge{}
		for _, e := range g.out(start) {
			if _, ok := entry[e.To]; !ok {
				entry[e.To] = e
			}
			if !skip[e.Cut.Key] {
				starts = append(starts, e.To)
			}
		}
	} else {
		starts = []*Node{start}
	}
	var out []*Path
	b := g.newBackward()
	for _, t := range targets {
		if t.index >= len(seen) || !seen[t.index] || t == start {
			continue
		}
		b.run(t, in)
		var paths []*Path
		for _, s := range starts {
			if b.dist[s.index] < 0 || s == t {
				continue
			}
			p := &Path{From: start, To: t}
			if start.Kind == Internet {
				p.Entry = s
				if e := entry[s]; e != nil {
					p.Steps = append(p.Steps, Step{Node: start}, Step{Node: s, Edge: e})
				}
			} else {
				p.Steps = append(p.Steps, Step{Node: s})
			}
			for cur := s; cur != t; {
				e := b.next[cur.index]
				if e.zero { // through the pod network: one step to the pivot
					e = g.reachPair(cur, b.next[e.To.index].To)
				}
				p.Steps = append(p.Steps, Step{Node: e.To, Edge: e})
				cur = e.To
			}
			paths = append(paths, p)
		}
		sort.SliceStable(paths, func(i, j int) bool { return paths[i].Len() < paths[j].Len() })
		out = append(out, paths...)
	}
	g.describe(out)
	return out
}

// inEdges are edges grouped by the node they enter, in the order given: the edges into
// node i are edges[off[i]:off[i+1]].
type inEdges struct {
	off   []int32
	edges []*Edge
}

func (g *Graph) inEdges(edges []*Edge) inEdges {
	off := make([]int32, len(g.nodes)+1)
	for _, e := range edges {
		off[e.To.index+1]++
	}
	for i := 1; i < len(off); i++ {
		off[i] += off[i-1]
	}
	out := make([]*Edge, len(edges))
	at := make([]int32, len(g.nodes))
	copy(at, off)
	for _, e := range edges {
		out[at[e.To.index]] = e
		at[e.To.index]++
	}
	return inEdges{off: off, edges: out}
}

func (in inEdges) of(n *Node) []*Edge {
	if n.index+1 >= len(in.off) {
		return nil
	}
	return in.edges[in.off[n.index]:in.off[n.index+1]]
}

// backward holds, after run(t), for every node that reaches t, its distance (-1: it does
// not) and its first edge on a shortest path to t; the tables are reused from target to
// target.
type backward struct {
	dist        []int32
	next        []*Edge
	front, back []*Node
}

func (g *Graph) newBackward() *backward {
	return &backward{dist: make([]int32, len(g.nodes)), next: make([]*Edge, len(g.nodes))}
}

// run computes, for every node that reaches t over the edges in, its first edge on a
// shortest path to t. Edges into the pod network cost nothing (0-1 breadth-first search).
func (b *backward) run(t *Node, in inEdges) {
	dist, next := b.dist, b.next
	for i := range dist {
		dist[i], next[i] = -1, nil
	}
	dist[t.index] = 0
	// A deque as two stacks' worth of slice: front holds zero-cost arrivals.
	front, back := b.front[:0], append(b.back[:0], t)
	for head := 0; len(front) > 0 || head < len(back); {
		var v *Node
		if n := len(front); n > 0 {
			v, front = front[n-1], front[:n-1]
		} else {
			v = back[head]
			head++
		}
		for _, e := range in.of(v) {
			d := dist[v.index] + 1
			if e.zero {
				d = dist[v.index]
			}
			f := e.From.index
			if old := dist[f]; old >= 0 && old < d {
				continue
			} else if old >= 0 && old == d {
				// Among equally short ways on, the one by the smallest next node and evidence,
				// so that the path does not depend on the order objects were read in (files or
				// a live cluster).
				if cur := next[f]; cur == nil || !edgeBefore(e, cur) {
					continue
				}
				next[f] = e
				continue
			}
			dist[f], next[f] = d, e
			if e.zero {
				front = append(front, e.From)
			} else {
				back = append(back, e.From)
			}
		}
	}
	b.front, b.back = front, back
}

func edgeBefore(a, b *Edge) bool {
	if a.To.ID != b.To.ID {
		return a.To.ID < b.To.ID
	}
	return a.Evidence < b.Evidence
}

// describe fills the Pod Security level and vulnerabilities of the workloads on paths.
func (g *Graph) describe(paths []*Path) {
	for _, p := range paths {
		for _, s := range p.Steps {
			n := s.Node
			if n.Kind != Workload || n.PodSecurity != "" {
				continue
			}
			n.PodSecurity = g.podSecurity(n.wl)
			n.Vulnerabilities = g.vulnSummary(n.wl)
		}
	}
}

// Loaded is the object a node stands for, when it was loaded.
func (n *Node) Loaded() *inventory.Object { return n.obj }

// EntryPath is the field that opens an entry point ("spec.ports[0].nodePort").
func (n *Node) EntryPath() string {
	if n.entry == nil {
		return ""
	}
	return n.entry.Path
}

// Edges returns every edge computed so far (searches compute the edges of the nodes they
// visit), in the order they were found; of a subject's ways into the nodes (one per
// privileged namespace where it may create pods), the one a search without cuts takes. Pairs joined through the pod network (no policy
// isolates either side) are listed as one edge each, which costs the square of their number.
func (g *Graph) Edges() []*Edge {
	var out, into []*Edge
	for _, n := range g.nodes {
		if e := g.escapeEdge(n, nil); e != nil {
			out = append(out, e)
		}
		for _, e := range n.out {
			switch {
			case e.zero:
				into = append(into, e)
			case e.From != g.hub:
				out = append(out, e)
			}
		}
	}
	for _, a := range into {
		for _, b := range g.hub.out {
			if a.From != b.To {
				if e := g.reachPair(a.From, b.To); e != nil {
					out = append(out, e)
				}
			}
		}
	}
	return out
}

// Detach returns paths whose nodes and edges are copies that hold nothing else of the graph
// they were found in (the edges off the paths, the tables of the searches, the RBAC
// searchers), so that a caller that keeps only the paths lets the graph go: hundreds of MB
// at 100,000 workloads. Nodes shared by paths stay shared; the graph itself is not changed.
func Detach(paths []*Path) []*Path {
	nodes := map[*Node]*Node{}
	node := func(n *Node) *Node {
		if n == nil {
			return nil
		}
		if c, ok := nodes[n]; ok {
			return c
		}
		c := *n
		c.out, c.done, c.esc, c.escAt, c.escEdges = nil, false, nil, 0, nil
		nodes[n] = &c
		return &c
	}
	edges := map[*Edge]*Edge{}
	out := make([]*Path, len(paths))
	for i, p := range paths {
		c := &Path{From: node(p.From), Entry: node(p.Entry), To: node(p.To), Steps: make([]Step, len(p.Steps))}
		for j, s := range p.Steps {
			c.Steps[j].Node = node(s.Node)
			if s.Edge == nil {
				continue
			}
			e, ok := edges[s.Edge]
			if !ok {
				cp := *s.Edge
				cp.From, cp.To = node(cp.From), node(cp.To)
				e = &cp
				edges[s.Edge] = e
			}
			c.Steps[j].Edge = e
		}
		out[i] = c
	}
	return out
}
