package attack

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/netpol"
)

// vulnIndex maps every name a report gives its image (the reference scanned, tags, digests)
// to the report's vulnerabilities.
func vulnIndex(reports []*inventory.VulnReport) map[string][]inventory.Vulnerability {
	out := map[string][]inventory.Vulnerability{}
	for _, r := range reports {
		for _, name := range append(append([]string{r.Image}, r.Tags...), r.Digests...) {
			if name != "" {
				out[name] = append(out[name], r.Vulnerabilities...)
			}
		}
	}
	return out
}

var vulnRank = map[string]int{"critical": 0, "high": 1, "medium": 2, "low": 3}

// vulnSummary says what the reports know of w's images: "2 critical, 1 high (CVE-…, …)".
// An image matches a report by its reference as written, or by its digest.
func (g *Graph) vulnSummary(w *netpol.Workload) string {
	if len(g.vulns) == 0 || w.Template == nil {
		return ""
	}
	seen := map[string]bool{}
	var vs []inventory.Vulnerability
	for _, c := range w.Template.Containers() {
		img := c.Container.Image
		names := []string{img}
		if _, d, ok := strings.Cut(img, "@"); ok {
			names = append(names, d)
		}
		for _, n := range names {
			for _, v := range g.vulns[n] {
				if k := v.ID + " " + v.Package; !seen[k] {
					seen[k] = true
					vs = append(vs, v)
				}
			}
		}
	}
	if len(vs) == 0 {
		return ""
	}
	sort.SliceStable(vs, func(i, j int) bool { return rank(vs[i].Severity) < rank(vs[j].Severity) })
	count := map[string]int{}
	for _, v := range vs {
		count[v.Severity]++
	}
	var parts []string
	for _, s := range []string{"critical", "high", "medium", "low", "unknown"} {
		if count[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", count[s], s))
		}
	}
	var ids []string
	for i, v := range vs {
		if i == 3 {
			ids = append(ids, "…")
			break
		}
		ids = append(ids, v.ID)
	}
	return strings.Join(parts, ", ") + " (" + strings.Join(ids, ", ") + ")"
}

func rank(s string) int {
	if r, ok := vulnRank[s]; ok {
		return r
	}
	return len(vulnRank)
}
