package drift

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/kubeharden/kubeharden/check"
)

// WriteTable writes the new and fixed findings, one a line, and the counts.
func WriteTable(w io.Writer, d *Diff) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHANGE\tCATEGORY\tSEVERITY\tCHECK\tOBJECT\tMESSAGE")
	for _, group := range []struct {
		name string
		es   []Entry
	}{{"new", d.Added}, {"fixed", d.Fixed}, {"suppressed", d.Suppressed}} {
		for _, e := range group.es {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", group.name, e.Category, e.Severity, e.Check, e.Object, oneLine(e.Message))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%s\n", summary(d))
	return err
}

func summary(d *Diff) string {
	s := fmt.Sprintf("%d new%s, %d fixed, %d suppressed since, %d unchanged.", len(d.Added), bySeverity(d.Added), len(d.Fixed), len(d.Suppressed), len(d.Unchanged))
	if n, m := len(d.OldErrors), len(d.NewErrors); n+m > 0 {
		s += fmt.Sprintf(" The scans reported input errors (old %d, new %d): they cover only what they read.", n, m)
	}
	return s
}

func bySeverity(es []Entry) string {
	if len(es) == 0 {
		return ""
	}
	counts := map[check.Severity]int{}
	for _, e := range es {
		counts[e.Severity]++
	}
	var parts []string
	for _, s := range check.Severities {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// WriteMarkdown writes the comparison as a review ticket: new risky grants, new exposure,
// other new findings, then what was fixed or suppressed, and the unchanged ones folded.
func WriteMarkdown(w io.Writer, d *Diff) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Drift since the last review\n\n`%s` → `%s`: %s\n", d.Old, d.New, summary(d))
	sections := []struct {
		title, cat string
		es         []Entry
	}{
		{"New risky grants", RiskyGrant, d.Added},
		{"New exposure", Exposure, d.Added},
		{"Other new findings", Other, d.Added},
	}
	for _, s := range sections {
		var es []Entry
		for _, e := range s.es {
			if e.Category == s.cat {
				es = append(es, e)
			}
		}
		if len(es) > 0 {
			fmt.Fprintf(&b, "\n## %s (%d)\n\n", s.title, len(es))
			table(&b, es)
		}
	}
	if len(d.Fixed) > 0 {
		fmt.Fprintf(&b, "\n## Fixed (%d)\n\n", len(d.Fixed))
		table(&b, d.Fixed)
	}
	if len(d.Suppressed) > 0 {
		fmt.Fprintf(&b, "\n## Suppressed since (%d)\n\nStill present, now covered by an exception: check its reason and expiry.\n\n", len(d.Suppressed))
		table(&b, d.Suppressed)
	}
	if len(d.Unchanged) > 0 {
		fmt.Fprintf(&b, "\n<details><summary>Unchanged (%d)</summary>\n\n", len(d.Unchanged))
		table(&b, d.Unchanged)
		b.WriteString("\n</details>\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func table(b *strings.Builder, es []Entry) {
	b.WriteString("| Severity | Check | Object | Where | Message |\n|---|---|---|---|---|\n")
	for _, e := range es {
		where := e.Path
		if e.File != "" {
			where = fmt.Sprintf("%s:%d %s", e.File, e.Line, e.Path)
		}
		fmt.Fprintf(b, "| %s | `%s` | %s | %s | %s |\n", e.Severity, e.Check, cell(e.Object.String()), cell(where), cell(e.Message))
	}
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}
