package report

import (
	"sort"
	"strings"

	"github.com/kubeharden/kubeharden/exposure"
	"github.com/kubeharden/kubeharden/scan"
)

// The exposure map draws what package exposure lists, in four columns: the internet, the
// entry points (Ingress, Gateway, LoadBalancer, NodePort, external IPs, host ports), the
// Services behind them and the workloads that receive the traffic. Every edge says whether
// its traffic is encrypted; every workload says whether its namespace is isolated.
const (
	emColGap   = 96 // room between columns for the edge labels
	emRowGap   = 14
	emHead     = 28 // column headings
	emMaxEntry = 60 // entry points drawn; the rest are counted
)

// Edge encryption as the map labels it.
const (
	emTLS       = "TLS"
	emPlaintext = "plaintext"
	emUnknown   = "unknown"
)

type htmlExposure struct {
	Width, Height int
	Columns       []htmlExposureColumn
	Nodes         []htmlExposureNode
	Edges         []htmlExposureEdge
	Entries       int // entry points drawn
	Omitted       int // entry points left out of the drawing
	Title         string
}

type htmlExposureColumn struct {
	X     int
	Title string
}

type htmlExposureNode struct {
	X, Y, W, H, TextX int
	Kind              string // internet, entry, service, workload
	Isolation         string // workloads: isolated, not-isolated, unknown
	Title             string
	Lines             []htmlExposureLine
}

type htmlExposureLine struct {
	Y      int
	Text   string
	Detail bool
}

type htmlExposureEdge struct {
	X1, Y1, X2, Y2 int
	LX, LY         int
	TLS            string // one of emTLS, emPlaintext, emUnknown
	Class          string // the TLS value as a class name
	Title          string
}

// edgeTLS is how the internet's traffic to an entry point travels.
func edgeTLS(t exposure.TLS) string {
	switch t {
	case exposure.TLSTerminated, exposure.TLSPassthrough, exposure.TLSProtocol:
		return emTLS
	case exposure.TLSNone, exposure.TLSRedirect:
		return emPlaintext
	}
	return emUnknown
}

// backendTLS is how traffic travels past the entry point: still encrypted when TLS passes
// through or the protocol itself is encrypted, plain when it was plain; after an entry point
// that terminates TLS, nothing in the objects says whether the hop to the backend is
// encrypted again.
func backendTLS(t exposure.TLS) (string, string) {
	switch t {
	case exposure.TLSPassthrough, exposure.TLSProtocol:
		return emTLS, "encrypted end to end"
	case exposure.TLSNone, exposure.TLSRedirect:
		return emPlaintext, "plain text"
	case exposure.TLSTerminated:
		return emUnknown, "TLS ends at the entry point; whether the hop to the backend is encrypted is not declared"
	}
	return emUnknown, "what the port carries is not declared"
}

// worseTLS keeps the weaker of two labels when several routes share an edge.
func worseTLS(a, b string) string {
	rank := map[string]int{emTLS: 0, emUnknown: 1, emPlaintext: 2}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// Isolation of a workload's namespace, from the network checks' findings.
const (
	isolated    = "isolated"
	notIsolated = "not-isolated"
	isoUnknown  = "unknown"
)

// isolationChecks are the findings that say a namespace accepts traffic it should not: no
// default deny, open to every namespace, or a rule that admits everyone.
var isolationChecks = map[string]bool{
	"network/no-default-deny-ingress": true,
	"network/namespace-not-isolated":  true,
	"network/allow-all-ingress":       true,
}

// namespaceIsolation says, for each namespace with an isolation finding, that it is not
// isolated; known reports whether the checks that could say so ran at all.
func namespaceIsolation(r *scan.Result) (open map[string]bool, known bool) {
	for _, c := range r.Checks {
		if c != nil && c.ID == "network/no-default-deny-ingress" {
			known = true
		}
	}
	open = map[string]bool{}
	for _, f := range r.Findings {
		// Suppressed or not, the traffic is admitted: a suppression accepts the risk.
		if isolationChecks[f.Check] {
			open[scan.NamespaceOf(f.Object)] = true
		}
	}
	return open, known
}

func isolationText(iso string) string {
	switch iso {
	case isolated:
		return "namespace isolated"
	case notIsolated:
		return "namespace NOT isolated"
	}
	return "isolation not checked"
}

// exposureView lays the entry points out for the template; nil when there are none.
func exposureView(entries []exposure.Entry, r *scan.Result) *htmlExposure {
	if len(entries) == 0 {
		return nil
	}
	v := &htmlExposure{}
	if len(entries) > emMaxEntry {
		v.Omitted = len(entries) - emMaxEntry
		entries = entries[:emMaxEntry]
	}
	v.Entries = len(entries)
	open, known := namespaceIsolation(r)

	type nodeKey struct {
		col int
		id  string
	}
	var cols [4][]*htmlExposureNode
	nodes := map[nodeKey]*htmlExposureNode{}
	node := func(col int, id, kind, label, detail string) *htmlExposureNode {
		k := nodeKey{col, id}
		if n := nodes[k]; n != nil {
			return n
		}
		n := &htmlExposureNode{Kind: kind, Title: sanitize(label)}
		if detail != "" {
			n.Title += "\n" + sanitize(detail)
		}
		lines := boxLines(sanitize(label), sanitize(detail))
		for i, l := range lines {
			n.Lines = append(n.Lines, htmlExposureLine{Text: l, Detail: detail != "" && i == len(lines)-1})
		}
		nodes[k] = n
		cols[col] = append(cols[col], n)
		return n
	}
	type edgeKey struct{ from, to *htmlExposureNode }
	var edgeOrder []edgeKey
	edges := map[edgeKey]*htmlExposureEdge{}
	edge := func(from, to *htmlExposureNode, tls, title string) {
		k := edgeKey{from, to}
		if e := edges[k]; e != nil {
			e.TLS = worseTLS(e.TLS, tls)
			return
		}
		edges[k] = &htmlExposureEdge{TLS: tls, Title: sanitize(title)}
		edgeOrder = append(edgeOrder, k)
	}

	internet := node(0, "internet", "internet", "Internet", "")
	for _, e := range entries {
		what := string(e.Kind) + " " + e.Object.Namespace + "/" + e.Object.Name
		entry := node(1, string(e.Kind)+"\x00"+e.Object.String()+"\x00"+e.Endpoint, "entry", what, e.Endpoint)
		in := edgeTLS(e.TLS)
		why := string(e.TLS)
		if e.TLSDetail != "" {
			why += ": " + e.TLSDetail
		}
		if e.Plaintext != "" {
			why += " (" + e.Plaintext + ")"
		}
		edge(internet, entry, in, "internet → "+e.Endpoint+": "+in+" ("+why+")")
		out, outWhy := backendTLS(e.TLS)
		for _, b := range e.Backends {
			from := entry
			svc := b.Service
			if svc == "" && e.Object.Kind == "Service" {
				svc = e.Object.Namespace + "/" + e.Object.Name
			}
			if svc != "" {
				s := node(2, svc, "service", "Service "+svc, b.Port)
				edge(entry, s, out, e.Endpoint+" → Service "+svc+": "+out+" ("+outWhy+")")
				from = s
			}
			if b.Workload == nil {
				continue
			}
			iso := isoUnknown
			if known {
				iso = isolated
				if open[scan.NamespaceOf(*b.Workload)] {
					iso = notIsolated
				}
			}
			w := node(3, b.Workload.String(), "workload", b.Workload.Kind+" "+b.Workload.Namespace+"/"+b.Workload.Name, isolationText(iso))
			w.Isolation = iso
			edge(from, w, out, "→ "+b.Workload.Kind+"/"+b.Workload.Name+" "+b.Port+": "+out+" ("+outWhy+")")
		}
	}

	// Rows top to bottom in each column, the internet centred on the tallest.
	rows := 0
	for _, c := range cols[1:] {
		rows = max(rows, len(c))
	}
	v.Height = 2*apPad + emHead + rows*apBoxH + max(rows-1, 0)*emRowGap
	titles := []string{"Internet", "Entry points", "Services", "Workloads"}
	for i := range cols {
		x := apPad + i*(apBoxW+emColGap)
		v.Columns = append(v.Columns, htmlExposureColumn{X: x, Title: titles[i]})
		for j, n := range cols[i] {
			n.X, n.W, n.H, n.TextX = x, apBoxW, apBoxH, x+8
			n.Y = apPad + emHead + j*(apBoxH+emRowGap)
			if i == 0 {
				n.Y = apPad + emHead + (v.Height-2*apPad-emHead-apBoxH)/2
			}
			for k := range n.Lines {
				n.Lines[k].Y = n.Y + 18 + k*15
			}
		}
	}
	v.Width = 2*apPad + 4*apBoxW + 3*emColGap
	for _, k := range edgeOrder {
		e := edges[k]
		e.X1, e.Y1 = k.from.X+k.from.W, k.from.Y+k.from.H/2
		e.X2, e.Y2 = k.to.X-3, k.to.Y+k.to.H/2
		// Labels sit near the target, where edges from one source have fanned out.
		e.LX, e.LY = e.X1+(e.X2-e.X1)*62/100, e.Y1+(e.Y2-e.Y1)*62/100-4
		e.Class = strings.ToLower(e.TLS)
		v.Edges = append(v.Edges, *e)
	}
	for _, c := range cols {
		for _, n := range c {
			v.Nodes = append(v.Nodes, *n)
		}
	}
	var kinds []string
	seen := map[string]bool{}
	for _, e := range entries {
		if !seen[string(e.Kind)] {
			seen[string(e.Kind)] = true
			kinds = append(kinds, string(e.Kind))
		}
	}
	sort.Strings(kinds)
	v.Title = "Exposure map: " + plural(len(entries), "entry point", "entry points") + " (" + strings.Join(kinds, ", ") + ")"
	return v
}
