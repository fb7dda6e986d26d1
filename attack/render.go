package attack

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// dotShape draws each kind of node.
var dotShape = map[Kind]string{
	Internet: "doubleoctagon", EntryPoint: "cds", Workload: "box3d", ServiceAccount: "note", Subject: "ellipse",
	Secret: "folder", AllSecrets: "folder", Nodes: "box", ClusterAdmin: "octagon",
}

var dotColor = map[Kind]string{Internet: "#d32f2f", ClusterAdmin: "#b71c1c", AllSecrets: "#e65100", Secret: "#e65100", Nodes: "#6a1b9a"}

// WriteDOT draws paths as a Graphviz digraph: each node once, each edge once, labelled with
// its kind and with the evidence as its tooltip.
func WriteDOT(w io.Writer, paths []*Path) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "digraph attack_paths {")
	fmt.Fprintln(bw, `  rankdir=LR; node [fontname="Helvetica", fontsize=10]; edge [fontname="Helvetica", fontsize=9];`)
	nodes := map[*Node]bool{}
	edges := map[*Edge]bool{}
	for _, p := range paths {
		for _, s := range p.Steps {
			if !nodes[s.Node] {
				nodes[s.Node] = true
				n := s.Node
				attrs := fmt.Sprintf("label=%s, shape=%s", dotQuote(dotLabel(n)), dotShape[n.Kind])
				if c := dotColor[n.Kind]; c != "" {
					attrs += fmt.Sprintf(", color=%q, fontcolor=%q", c, c)
				}
				fmt.Fprintf(bw, "  %s [%s];\n", dotQuote(n.ID), attrs)
			}
			if e := s.Edge; e != nil && !edges[e] {
				edges[e] = true
				fmt.Fprintf(bw, "  %s -> %s [label=%s, tooltip=%s];\n", dotQuote(e.From.ID), dotQuote(e.To.ID), dotQuote(string(e.Kind)), dotQuote(e.Evidence))
			}
		}
	}
	fmt.Fprintln(bw, "}")
	return bw.Flush()
}

func dotLabel(n *Node) string {
	l := n.Label()
	if n.PodSecurity != "" {
		l += "\nPod Security: " + n.PodSecurity
	}
	if n.Vulnerabilities != "" {
		l += "\n" + n.Vulnerabilities
	}
	return l
}

// dotQuote quotes s as a DOT string: backslashes and quotes escaped, newlines as \n.
func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", "")
	return `"` + r.Replace(s) + `"`
}

// WriteMarkdown writes the paths, one section per target, each path a numbered list of its
// steps with their evidence, then the choke points.
func WriteMarkdown(w io.Writer, paths []*Path, chokes []Choke) error {
	bw := bufio.NewWriter(w)
	if len(paths) == 0 {
		fmt.Fprintln(bw, "No attack paths.")
		return bw.Flush()
	}
	var last *Node
	for i, p := range paths {
		if p.To != last {
			last = p.To
			fmt.Fprintf(bw, "## To %s\n\n", mdEscape(p.To.Label()))
		}
		fmt.Fprintf(bw, "### Path %d (%d steps)\n\n", i+1, p.Len())
		for j, s := range p.Steps {
			line := "**" + mdEscape(s.Node.Label()) + "**"
			if s.Node.PodSecurity != "" {
				line += " · Pod Security " + s.Node.PodSecurity
			}
			if s.Node.Vulnerabilities != "" {
				line += " · " + mdEscape(s.Node.Vulnerabilities)
			}
			if s.Edge != nil {
				line += fmt.Sprintf(" — %s (%s): %s", s.Edge.Kind, s.Edge.Engine, mdEscape(s.Edge.Evidence))
			}
			fmt.Fprintf(bw, "%d. %s\n", j+1, line)
		}
		fmt.Fprintln(bw)
	}
	if len(chokes) > 0 {
		fmt.Fprintf(bw, "## Choke points\n\n| change | cuts | of | used by |\n|---|--:|--:|--:|\n")
		for _, c := range chokes {
			fmt.Fprintf(bw, "| %s | %d | %d | %d |\n", mdEscape(c.Change), c.Cuts, c.Of, c.Uses)
		}
	}
	return bw.Flush()
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;", ">", "&gt;").Replace(s)
}
