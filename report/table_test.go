package report

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/scan"
)

// lineWith returns the first line containing every one of parts, or fails.
func lineWith(t *testing.T, out string, parts ...string) string {
	t.Helper()
next:
	for _, l := range strings.Split(out, "\n") {
		for _, p := range parts {
			if !strings.Contains(l, p) {
				continue next
			}
		}
		return l
	}
	t.Fatalf("no line contains all of %q in:\n%s", parts, out)
	return ""
}

// order fails unless the parts appear in out in this order.
func order(t *testing.T, out string, parts ...string) {
	t.Helper()
	at := 0
	for _, p := range parts {
		i := strings.Index(out[at:], p)
		if i < 0 {
			t.Fatalf("%q missing (or out of order, expected after %d) in:\n%s", p, at, out)
		}
		at += i + len(p)
	}
}

func TestTable(t *testing.T) {
	out := render(t, fixture(), Options{Format: "table"})
	if strings.Contains(out, "\x1b[") {
		t.Error("colour codes without Color")
	}
	// Practices in check.Practices order, by title; rbac has only a suppressed finding.
	order(t, out, "SEVERITY", "CHECK", "OBJECT", "LOCATION", "MESSAGE",
		"Network policies (score 71): 1 high",
		"Pod Security (score 38): 2 critical",
		"Images (score 71): 2 medium, 1 low",
		"Input errors (2)")
	if strings.Contains(out, "RBAC") || strings.Contains(out, "rbac/wildcard-verbs") {
		t.Error("a practice with only suppressed findings is shown")
	}
	// Rows: severity, check, object, file:line or live, message; highest severity first.
	lineWith(t, out, "critical", "podsecurity/privileged", "shop/Deployment/api", "deploy/api.yaml:23", `container "api" runs privileged`)
	// A second finding of the same check on the same object shares its row, with its line.
	order(t, out, `container "api" runs privileged`, `+ container "sidecar" runs privileged (deploy/api.yaml:31)`,
		"fix: Set securityContext.privileged to false.", "Images")
	lineWith(t, out, "high", "network/no-default-deny", "Namespace/shop", "live", "no default-deny NetworkPolicy")
	lineWith(t, out, "medium", "images/latest-tag", "shop/Pod/debug", "live", "busybox")
	order(t, out, "Images", "medium", "medium", "low", "images/not-pinned", "shop/Deployment/web", "deploy/web.yaml:9")
	// The expired exception is marked and counts; the suppressed finding is hidden.
	lineWith(t, out, "medium", "images/latest-tag", "deploy/api.yaml:20", "[exception expired] image nginx")
	if strings.Contains(out, "internal mirror") || strings.Contains(out, "[suppressed]") {
		t.Error("suppressed finding shown without ShowSuppressed")
	}
	lineWith(t, out, "deploy/bad.yaml:3: yaml: mapping values are not allowed")
	lineWith(t, out, "shop/Secret/db: secrets is forbidden")
	lineWith(t, out, "12 objects · 6 findings (2 critical, 1 high, 2 medium, 1 low) · 2 suppressed · 1 expired exception · 2 input errors")
	lineWith(t, out, "Score 29/100 · network 71 · podsecurity 38 · rbac 100 · images 71 · resources 100")

	// Columns line up: every finding row has its check ID at the same offset.
	col := -1
	for _, l := range strings.Split(out, "\n") {
		for _, id := range []string{"podsecurity/", "network/", "images/"} {
			if i := strings.Index(l, id); i >= 0 && strings.HasPrefix(l, "  ") {
				if col >= 0 && i != col {
					t.Errorf("check column at %d, want %d: %q", i, col, l)
				}
				col = i
			}
		}
	}
}

func TestTableShowSuppressed(t *testing.T) {
	out := render(t, fixture(), Options{Format: "table", ShowSuppressed: true})
	order(t, out, "RBAC (score 100): 1 suppressed",
		"rbac/wildcard-verbs", "ClusterRole/ops-admin", "live", "[suppressed] rule 0 grants every verb",
		"↳ suppressed by .kubeharden.yaml: break-glass role (until 2099-12-31)")
	order(t, out, "Images (score 71): 2 medium, 1 low, 1 suppressed",
		"[suppressed] image nginx:latest has no digest",
		"↳ suppressed by annotation kubeharden.io/ignore: internal mirror pins by policy")
}

func TestTableColor(t *testing.T) {
	out := render(t, fixture(), Options{Format: "table", Color: true, ShowSuppressed: true})
	lineWith(t, out, "\x1b[1;31mcritical", "podsecurity/privileged")
	lineWith(t, out, "\x1b[31mhigh", "network/no-default-deny")
	lineWith(t, out, "\x1b[33mmedium", "images/latest-tag")
	// Suppressed rows are dim as a whole, without a severity colour.
	l := lineWith(t, out, "rbac/wildcard-verbs")
	if !strings.HasPrefix(l, "\x1b[2m") || strings.Contains(l, "\x1b[31m") {
		t.Errorf("suppressed row not dimmed: %q", l)
	}
	lineWith(t, out, "\x1b[1;33m[exception expired]\x1b[0m")
	// Padding is computed before colouring: without the codes, columns match the plain table.
	plain := render(t, fixture(), Options{Format: "table", ShowSuppressed: true})
	if stripped := regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(out, ""); stripped != plain {
		t.Errorf("coloured table differs from the plain one once codes are stripped:\n%s\n---\n%s", stripped, plain)
	}
}

func TestTableWrap(t *testing.T) {
	r := fixture()
	long := strings.Repeat("very-long-name-", 6) + "end"
	r.Findings = append(r.Findings, check.Finding{Check: "images/latest-tag", Severity: check.Medium, Practice: "images",
		Object: scanRef("shop", long), File: "deploy/" + long + ".yaml", Line: 7,
		Message: "image " + long + " uses the mutable tag latest and will change under you without notice; pin a version"})
	for _, width := range []int{100, 200} {
		out := render(t, r, Options{Format: "table", Width: width})
		inTable := false
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "  SEVERITY") {
				inTable = true
			}
			if strings.HasPrefix(l, "  deploy/bad.yaml") {
				inTable = false // input errors are not wrapped
			}
			if inTable && utf8.RuneCountInString(l) > width && !strings.HasPrefix(strings.TrimSpace(l), "at deploy/") {
				t.Errorf("width %d: line of %d runes: %q", width, utf8.RuneCountInString(l), l)
			}
		}
		// Long cells keep both ends; the message is wrapped, not cut.
		lineWith(t, out, "shop/Deploy", "…", "name-end")
		// A file path is never cut: too long for its column, it gets a line of its own.
		lineWith(t, out, "at deploy/"+long+".yaml:7")
		msg := regexp.MustCompile(`\s+`).ReplaceAllString(out, " ")
		if !strings.Contains(msg, "will change under you without notice; pin a version") {
			t.Errorf("width %d: wrapped message lost words:\n%s", width, out)
		}
	}
	// Unwrapped (Width 0), each finding is one line, for grep.
	out := render(t, r, Options{Format: "table"})
	lineWith(t, out, "images/latest-tag", "end.yaml:7", "without notice; pin a version")
}

func TestTableSanitizes(t *testing.T) {
	r := &scan.Result{Findings: []check.Finding{{Check: "images/latest-tag", Severity: check.Medium, Practice: "images",
		Object: scanRef("shop", "x\x1b[2Jy"), Message: "bad\x1b]0;title\x07 name\nsecond line"}}}
	out := render(t, r, Options{Format: "table", Color: true})
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(regexp.MustCompile("\x1b\\[[0-9;]*m").ReplaceAllString(l, ""), "\x1b") || strings.ContainsRune(l, '\x07') {
			t.Errorf("control character from input reached the terminal: %q", l)
		}
	}
	lineWith(t, out, "x\uFFFD[2Jy", "bad\uFFFD]0;title\uFFFD name second line")
}

func TestTableEmpty(t *testing.T) {
	out := render(t, &scan.Result{Summary: scan.Summary{Objects: 3, Score: 100}}, Options{Format: "table"})
	order(t, out, "No findings.", "3 objects · 0 findings", "Score 100/100")
}

func TestWrap(t *testing.T) {
	for _, tc := range []struct {
		in   string
		w    int
		want []string
	}{
		{"a b c", 0, []string{"a b c"}},
		{"aaa bbb ccc", 7, []string{"aaa bbb", "ccc"}},
		{"abcdefghij k", 4, []string{"abcd", "efgh", "ij k"}},
		{"  ", 5, []string{""}},
	} {
		if got := wrap(tc.in, tc.w); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("wrap(%q, %d) = %q, want %q", tc.in, tc.w, got, tc.want)
		}
	}
	if got := shorten("abcdefghij", 5); got != "ab…ij" {
		t.Errorf("shorten = %q", got)
	}
}
