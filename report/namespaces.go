package report

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/scan"
)

// filterLine says which namespaces the findings and scores are limited to, or "".
func filterLine(s scan.Summary) string {
	f := s.Filter
	if f == nil {
		return ""
	}
	var parts []string
	if len(f.Include) > 0 {
		only := "only " + strings.Join(f.Include, ", ")
		if f.Keep(scan.ClusterScope) {
			only += " (and cluster-scoped objects)"
		}
		parts = append(parts, only)
	}
	if len(f.Exclude) > 0 {
		parts = append(parts, "not "+strings.Join(f.Exclude, ", "))
	}
	return sanitize("Namespaces: " + strings.Join(parts, "; ") + "; objects, findings and scores count only these")
}

// namespaceTable writes the per-namespace scores as columns for the table format: names
// left-aligned, numbers right-aligned under their headings.
func namespaceTable(w io.Writer, rows []scan.NamespaceScore) {
	if len(rows) == 0 {
		return
	}
	nw := width("NAMESPACE")
	for _, r := range rows {
		nw = max(nw, width(sanitize(r.Namespace)))
	}
	heads := []string{"SCORE", "OBJECTS"}
	for _, s := range check.Severities {
		heads = append(heads, strings.ToUpper(s.String()))
	}
	var b strings.Builder
	b.WriteString(pad("NAMESPACE", nw))
	for _, h := range heads {
		b.WriteString("  " + h)
	}
	fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	for _, r := range rows {
		b.Reset()
		b.WriteString(pad(sanitize(r.Namespace), nw))
		nums := []int{r.Score, r.Objects}
		for _, s := range check.Severities {
			nums = append(nums, r.BySeverity[s.String()])
		}
		for i, n := range nums {
			fmt.Fprintf(&b, "  %*d", len(heads[i]), n)
		}
		fmt.Fprintln(w, b.String())
	}
}

// mdNamespaceTable writes the per-namespace scores as a Markdown table.
func mdNamespaceTable(w io.Writer, rows []scan.NamespaceScore) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprint(w, "| Namespace | Score | Objects |")
	for _, s := range check.Severities {
		fmt.Fprintf(w, " %s |", s)
	}
	fmt.Fprint(w, "\n|---|--:|--:|")
	for range check.Severities {
		fmt.Fprint(w, "--:|")
	}
	fmt.Fprintln(w)
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %d | %d |", mdEscape(r.Namespace), r.Score, r.Objects)
		for _, s := range check.Severities {
			fmt.Fprintf(w, " %d |", r.BySeverity[s.String()])
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
}

// htmlNamespace is a row of the HTML report's per-namespace table.
type htmlNamespace struct {
	Namespace      string
	Score, Objects string
	Counts         []int
}

func htmlNamespaces(rows []scan.NamespaceScore) []htmlNamespace {
	var out []htmlNamespace
	for _, r := range rows {
		h := htmlNamespace{Namespace: sanitize(r.Namespace), Score: strconv.Itoa(r.Score), Objects: strconv.Itoa(r.Objects)}
		for _, s := range check.Severities {
			h.Counts = append(h.Counts, r.BySeverity[s.String()])
		}
		out = append(out, h)
	}
	return out
}
