package report

import (
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/compliance"
	"github.com/kubeharden/kubeharden/exposure"
	"github.com/kubeharden/kubeharden/internal/browser"
	"github.com/kubeharden/kubeharden/scan"
)

// checkScoreChartAndMap checks, in the browser, the overall score's explanation, the findings
// chart and the exposure map against the scan and the entry points they were drawn from.
func checkScoreChartAndMap(t *testing.T, b *browser.Browser, r *scan.Result, entries []exposure.Entry) {
	t.Helper()
	// The explanation names this scan's N and ends in its score.
	why := b.Find("#score-why").Text()
	if !strings.Contains(why, "N = "+strconv.Itoa(r.Summary.Objects)+" objects") ||
		!strings.Contains(why, strconv.Itoa(r.Summary.Score)+" = 100·N/(N+W)") || !strings.Contains(why, "not their average") {
		t.Errorf("score explanation %q does not derive score %d from N = %d", why, r.Summary.Score, r.Summary.Objects)
	}

	// The chart: one bar per practice with open findings; each segment's count is the
	// number of open findings of that practice and severity, and is drawn in proportion.
	want := map[string]int{}
	practices := map[string]bool{}
	for _, f := range r.Findings {
		if !f.Suppressed {
			want[f.Practice+"/"+f.Severity.String()]++
			practices[f.Practice] = true
		}
	}
	var bars []struct {
		Practice, Severity string
		Count              int
		Width              float64
	}
	b.Exec(&bars, `return Array.from(document.querySelectorAll("svg.chart rect.ch-bar"), r => ({
		Practice: r.closest("g.ch-row").dataset.practice, Severity: r.dataset.severity,
		Count: +r.dataset.count, Width: r.getBoundingClientRect().width}));`)
	got := map[string]int{}
	perFinding := 0.0
	for _, bar := range bars {
		got[bar.Practice+"/"+bar.Severity] += bar.Count
		if bar.Count > 0 && bar.Width > 3 {
			if r := bar.Width / float64(bar.Count); perFinding == 0 {
				perFinding = r
			} else if r < perFinding*0.8 || r > perFinding*1.25 {
				t.Errorf("chart: bar %s/%s is %.0f px for %d findings, %.1f px per finding elsewhere", bar.Practice, bar.Severity, bar.Width, bar.Count, perFinding)
			}
		}
	}
	if len(bars) == 0 || len(got) != len(want) {
		t.Errorf("chart: %d bars for %d practice/severity pairs", len(got), len(want))
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("chart: %s shows %d findings, the scan has %d", k, got[k], n)
		}
	}
	if n := b.Count("svg.chart g.ch-row"); n != len(practices) {
		t.Errorf("chart: %d rows, want one per practice with findings (%d)", n, len(practices))
	}

	// The exposure map: one edge from the internet per entry point, labelled as the entry's
	// TLS says; every edge's label is TLS, plaintext or unknown and says so in its class.
	var m struct {
		Edges []struct{ Label, TLS, Class, Title string }
		Nodes []struct {
			Kind, Isolation, Text string
		}
		Overflow, Overlap []string
	}
	b.Exec(&m, `const out = {Edges: [], Nodes: [], Overflow: [], Overlap: []};
		const svg = document.querySelector("svg.exposure");
		if (!svg) return out;
		for (const g of svg.querySelectorAll("g.em-edge"))
			out.Edges.push({Label: g.querySelector("text").textContent, TLS: g.dataset.tls, Class: g.getAttribute("class"), Title: g.querySelector("title").textContent});
		const boxes = [];
		for (const g of svg.querySelectorAll("g.em-node")) {
			const kind = ["internet", "entry", "service", "workload"].find(k => g.classList.contains("em-" + k));
			out.Nodes.push({Kind: kind || "", Isolation: g.dataset.isolation || "", Text: g.querySelector("title").textContent});
			const r = g.querySelector("rect").getBBox();
			for (const tx of g.querySelectorAll("text")) {
				const b = tx.getBBox();
				if (b.x < r.x || b.x + b.width > r.x + r.width || b.y < r.y || b.y + b.height > r.y + r.height) out.Overflow.push(tx.textContent);
			}
			for (const o of boxes) if (!(r.x + r.width <= o.x || o.x + o.width <= r.x || r.y + r.height <= o.y || o.y + o.height <= r.y)) out.Overlap.push(g.querySelector("title").textContent);
			boxes.push(r);
		}
		return out;`)
	fromInternet := map[string]string{}
	for _, e := range m.Edges {
		if e.Label != e.TLS || (e.TLS != "TLS" && e.TLS != "plaintext" && e.TLS != "unknown") || !strings.Contains(e.Class, "em-"+strings.ToLower(e.TLS)) {
			t.Errorf("exposure map: edge %q labelled %q, data-tls %q, class %q", e.Title, e.Label, e.TLS, e.Class)
		}
		if rest, ok := strings.CutPrefix(e.Title, "internet → "); ok {
			endpoint, _, _ := strings.Cut(rest, ": ")
			fromInternet[endpoint] = e.TLS
		}
	}
	labels := map[string]bool{}
	for _, e := range entries {
		w := map[exposure.TLS]string{exposure.TLSTerminated: "TLS", exposure.TLSPassthrough: "TLS", exposure.TLSProtocol: "TLS",
			exposure.TLSNone: "plaintext", exposure.TLSRedirect: "plaintext"}[e.TLS]
		if w == "" {
			w = "unknown"
		}
		labels[w] = true
		if got, ok := fromInternet[e.Endpoint]; !ok || got != w {
			t.Errorf("exposure map: internet → %s (%s) labelled %q, want %q", e.Endpoint, e.TLS, got, w)
		}
	}
	if !labels["TLS"] || !labels["plaintext"] {
		t.Errorf("the fixture should have TLS and plaintext entry points: %v", labels)
	}

	// Workloads show their namespace's isolation as the network checks found it.
	open := map[string]bool{}
	for _, f := range r.Findings {
		if f.Check == "network/no-default-deny-ingress" || f.Check == "network/namespace-not-isolated" || f.Check == "network/allow-all-ingress" {
			open[scan.NamespaceOf(f.Object)] = true
		}
	}
	workloads := map[string]bool{}
	for _, e := range entries {
		for _, be := range e.Backends {
			if be.Workload != nil {
				workloads[be.Workload.Kind+" "+be.Workload.Namespace+"/"+be.Workload.Name] = open[be.Workload.Namespace]
			}
		}
	}
	drawn := 0
	for _, n := range m.Nodes {
		if n.Kind != "workload" {
			continue
		}
		drawn++
		name, _, _ := strings.Cut(n.Text, "\n")
		notIso, ok := workloads[name]
		want := map[bool]string{true: "not-isolated", false: "isolated"}[notIso]
		if !ok || n.Isolation != want {
			t.Errorf("exposure map: workload %q isolation %q, want %q (known %v)", name, n.Isolation, want, ok)
		}
	}
	if drawn != len(workloads) || drawn == 0 {
		t.Errorf("exposure map: %d workloads drawn, %d behind the entry points", drawn, len(workloads))
	}
	sort.Strings(m.Overflow)
	for _, s := range append(m.Overflow, m.Overlap...) {
		t.Errorf("exposure map: text or box out of place: %s", s)
	}
}

// TestScoreExplanation follows the worked example of docs/scoring.md.
func TestScoreExplanation(t *testing.T) {
	var fs []check.Finding
	add := func(practice string, sev check.Severity, n int, suppressed bool) {
		for range n {
			fs = append(fs, check.Finding{Check: practice + "/x", Practice: practice, Severity: sev, Suppressed: suppressed})
		}
	}
	add("podsecurity", check.Critical, 1, false)
	add("network", check.High, 2, false)
	add("rbac", check.High, 1, false)
	add("rbac", check.High, 2, true)
	add("images", check.Medium, 4, false)
	add("images", check.Low, 6, false)
	add("versions", check.Info, 5, false)
	r := &scan.Result{Findings: fs, Summary: scan.Summary{Objects: 40, Score: 49,
		Practices: map[string]int{"podsecurity": 49, "network": 79, "rbac": 79, "images": 74, "versions": 100, "resources": 100}}}
	got := scoreExplanation(r)
	want := "49 = 100·N/(N+W): N = 40 objects, W = 39 (every unsuppressed finding weighed together: critical 10, high 5, medium 2, low 1, info 0) " +
		"gives 100·40/79 = 50.6 → 51, capped at 49 while a critical finding remains. " +
		"Practice scores (49–100) use the same N and only their own findings, so the overall score is not their average."
	if got != want {
		t.Errorf("explanation\n got %s\nwant %s", got, want)
	}
	if got := scoreExplanation(&scan.Result{Summary: scan.Summary{Objects: 3, Score: 100}}); got != "100: no unsuppressed findings." {
		t.Errorf("clean scan: %q", got)
	}
}

// TestFrameworkFormats: the control-level summary appears in the table, Markdown and HTML.
func TestFrameworkFormats(t *testing.T) {
	r := fixture()
	r.Summary.Framework = &compliance.Summary{Framework: "cis", Name: "CIS Kubernetes Benchmark", Version: "v1.10.0", Passed: 1, Failed: 1,
		Controls: []compliance.ControlResult{
			{ID: "5.2.2", Title: "Minimize the admission of privileged containers", Checks: []string{"podsecurity/privileged"}, Findings: 2, Worst: "critical"},
			{ID: "5.2.13", Title: "Minimize the admission of containers which use HostPorts", Checks: []string{"podsecurity/hostPorts"}, Passed: true},
		}}
	for format, want := range map[string][]string{
		"table": {"CIS Kubernetes Benchmark v1.10.0: 1 of 2 controls checked pass", "  FAIL 5.2.2   Minimize the admission of privileged containers · 2 findings, worst critical", "  PASS 5.2.13  Minimize"},
		"md":    {"**CIS Kubernetes Benchmark v1.10.0: 1 of 2 controls checked pass**", "| 5.2.2 | Minimize the admission of privileged containers | FAIL (2 findings, worst critical) | `podsecurity/privileged` |"},
		"html":  {`<caption>CIS Kubernetes Benchmark v1.10.0: 1 of 2 controls checked pass</caption>`, `<tr class="fail"><th scope="row"><code>5.2.2</code></th>`, `<tr class="pass">`},
	} {
		out := render(t, r, Options{Format: format})
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("-o %s lacks %q", format, w)
			}
		}
	}
}
