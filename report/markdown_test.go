package report

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/scan"
)

// cells counts the cells of a Markdown table row: pipes not escaped with a backslash.
func cells(row string) int {
	return len(regexp.MustCompile(`(^|[^\\])\|`).FindAllString(row, -1)) - 1
}

func TestMarkdown(t *testing.T) {
	out := render(t, fixture(), Options{Format: "md"})
	if !strings.HasPrefix(out, "## kubeharden: score 29/100\n\n12 objects · 6 findings · 2 suppressed · **1 expired exception** · **2 input errors**\n") {
		t.Errorf("heading:\n%.200s", out)
	}
	order(t, out,
		"| Practice | Score | critical | high | medium | low | info |",
		"| **All** | **29** | 2 | 1 | 2 | 1 | 0 |",
		"| Network policies | 71 | 0 | 1 | 0 | 0 | 0 |",
		"| Pod Security | 38 | 2 | 0 | 0 | 0 | 0 |",
		"| RBAC | 100 | 0 | 0 | 0 | 0 | 0 |",
		"| Images | 71 | 0 | 0 | 2 | 1 | 0 |",
		"| Resource limits | 100 | 0 | 0 | 0 | 0 | 0 |",
		"### Network policies",
		"| **high** | `network/no-default-deny` | Namespace/shop | live | namespace shop has no default-deny NetworkPolicy |",
		"### Pod Security",
		// Each finding carries its fix.
		"| **critical** | `podsecurity/privileged` | shop/Deployment/api | [deploy/api.yaml:23](deploy/api.yaml#L23) | container \"api\" runs privileged<br>**Fix:** Set securityContext.privileged to false. |",
		"### Images",
		// Pipes and backticks in messages are escaped; the expired exception is marked.
		"| medium | `images/latest-tag` | shop/Deployment/api | [deploy/api.yaml:20](deploy/api.yaml#L20) | **exception expired:** image nginx uses the mutable tag \\`latest\\` \\| pin a version",
		// Low and info findings are collapsed.
		"<details><summary>1 low or info finding</summary>\n\n| Severity |",
		"| low | `images/not-pinned` | shop/Deployment/web | [deploy/web.yaml:9](deploy/web.yaml#L9) | image web:1.2 has no digest<br>**Fix:** ",
		"</details>",
		"### Input errors",
		"- deploy/bad.yaml:3: yaml: mapping values are not allowed in this context",
		"- shop/Secret/db: secrets is forbidden: cannot list",
	)
	if strings.Contains(out, "### RBAC") || strings.Contains(out, "internal mirror") || strings.Contains(out, "suppressed finding") {
		t.Error("suppressed findings shown without ShowSuppressed")
	}
	// Every finding row (the ones naming a check) has as many cells as its header; every
	// summary row has the practice, the score and five severities.
	rows := 0
	for _, l := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(l, "| ") && strings.Contains(l, "`"):
			rows++
			if n := cells(l); n != 5 {
				t.Errorf("finding row with %d cells: %q", n, l)
			}
		case strings.HasPrefix(l, "| Severity"):
		case strings.HasPrefix(l, "| "):
			if n := cells(l); n != 7 {
				t.Errorf("summary row with %d cells: %q", n, l)
			}
		}
	}
	if rows != 6 {
		t.Errorf("%d finding rows, want the 6 unsuppressed findings", rows)
	}
}

func TestMarkdownLinksAndSuppressed(t *testing.T) {
	out := render(t, fixture(), Options{Format: "md", ShowSuppressed: true, LinkBase: "https://github.com/acme/app/blob/abc123/"})
	order(t, out,
		"[deploy/api.yaml:23](https://github.com/acme/app/blob/abc123/deploy/api.yaml#L23)",
		"<details><summary>2 suppressed findings</summary>",
		"| Severity | Check | Object | Location | Message | Reason |",
		"| high | `rbac/wildcard-verbs` | ClusterRole/ops-admin | live | rule 0 grants every verb | suppressed by .kubeharden.yaml: break-glass role (until 2099-12-31) |",
		"| low | `images/not-pinned` | shop/Deployment/api | [deploy/api.yaml:20](https://github.com/acme/app/blob/abc123/deploy/api.yaml#L20) | image nginx:latest has no digest | suppressed by annotation kubeharden.io/ignore: internal mirror pins by policy |",
		"</details>")
}

func TestMarkdownEscapes(t *testing.T) {
	r := &scan.Result{Findings: []check.Finding{{Check: "images/not-pinned", Severity: check.High, Practice: "images",
		Object: web, File: "deploy/my app (v2).yaml", Line: 4,
		Message: "image a|b uses `x` <script>alert(1)</script> *bold* [link](http://x) for @octocat\nnext line"}}}
	out := render(t, r, Options{Format: "md"})
	row := lineWith(t, out, "images/not-pinned")
	for _, want := range []string{`a\|b`, "\\`x\\`", "&lt;script&gt;", `\*bold\*`, `\[link\]`, "@&#8203;octocat", "next line",
		"[deploy/my app (v2).yaml:4](deploy/my%20app%20%28v2%29.yaml#L4)"} {
		if !strings.Contains(row, want) {
			t.Errorf("row lacks %q: %s", want, row)
		}
	}
	if n := cells(row); n != 5 {
		t.Errorf("%d cells in %q", n, row)
	}
}

// TestMarkdownBudget: a huge result still fits a GitHub comment and says what it left out.
func TestMarkdownBudget(t *testing.T) {
	r := &scan.Result{}
	for i := range 3000 {
		r.Findings = append(r.Findings, check.Finding{Check: "images/latest-tag", Severity: check.Medium, Practice: "images",
			Object: scanRef("shop", fmt.Sprintf("app-%d", i)), File: fmt.Sprintf("deploy/app-%d.yaml", i), Line: 7,
			Message: "image nginx uses the mutable tag latest; pin a version or a digest so rollouts are reproducible"})
	}
	out := render(t, r, Options{Format: "md"})
	if len(out) > 65536 {
		t.Errorf("%d characters: over GitHub's comment limit", len(out))
	}
	shown := strings.Count(out, "| medium | `images/latest-tag`")
	m := regexp.MustCompile(`_(\d+) more findings not shown`).FindStringSubmatch(out)
	if m == nil || shown == 0 || fmt.Sprint(3000-shown) != m[1] {
		t.Errorf("%d rows shown, note %q", shown, m)
	}
}

func TestMarkdownAbsolutePaths(t *testing.T) {
	r := &scan.Result{Findings: []check.Finding{
		{Check: "images/latest-tag", Severity: check.Medium, Practice: "images", Object: web, File: "/repo/deploy/web.yaml", Line: 9, Message: "in root"},
		{Check: "images/latest-tag", Severity: check.Medium, Practice: "images", Object: api, File: "/other/api.yaml", Line: 3, Message: "outside"},
	}}
	out := render(t, r, Options{Format: "md", SourceRoot: "/repo", LinkBase: "https://example.com/blob/x"})
	lineWith(t, out, "[/repo/deploy/web.yaml:9](https://example.com/blob/x/deploy/web.yaml#L9)", "in root")
	if l := lineWith(t, out, "outside"); !strings.Contains(l, "| /other/api.yaml:3 |") {
		t.Errorf("file outside the root should not be linked: %s", l)
	}
}
