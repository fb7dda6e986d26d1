package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/kubeharden/kubeharden/compliance"
)

// frameworkLine is the headline of a control-level summary: "CIS Kubernetes Benchmark v1.10.0:
// 9 of 14 controls pass".
func frameworkLine(s *compliance.Summary) string {
	return sanitize(fmt.Sprintf("%s %s: %d of %d controls checked pass", s.Name, s.Version, s.Passed, s.Passed+s.Failed))
}

// controlVerdict is "PASS", or "FAIL (3 findings, worst high)".
func controlVerdict(c compliance.ControlResult) string {
	if c.Passed {
		return "PASS"
	}
	return fmt.Sprintf("FAIL (%s, worst %s)", plural(c.Findings, "finding", "findings"), c.Worst)
}

// frameworkTable writes the controls one per line for the table format, failures first.
func frameworkTable(w io.Writer, s *compliance.Summary) {
	fmt.Fprintln(w, frameworkLine(s))
	idw := 0
	for _, c := range s.Controls {
		idw = max(idw, width(c.ID))
	}
	for _, pass := range []bool{false, true} {
		for _, c := range s.Controls {
			if c.Passed != pass {
				continue
			}
			line := fmt.Sprintf("  %-4s %s  %s", map[bool]string{true: "PASS", false: "FAIL"}[pass], pad(sanitize(c.ID), idw), sanitize(c.Title))
			if !pass {
				line += " · " + plural(c.Findings, "finding", "findings") + ", worst " + c.Worst
			}
			fmt.Fprintln(w, line)
		}
	}
}

// mdFramework writes the controls as a Markdown table.
func mdFramework(w io.Writer, s *compliance.Summary) {
	fmt.Fprintf(w, "**%s**\n\n| Control | Title | Result | Checks |\n|---|---|---|---|\n", mdEscape(frameworkLine(s)))
	for _, c := range s.Controls {
		var checks []string
		for _, id := range c.Checks {
			checks = append(checks, "`"+mdCode(id)+"`")
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", mdEscape(c.ID), mdEscape(c.Title), controlVerdict(c), strings.Join(checks, " "))
	}
	fmt.Fprintln(w)
}

// htmlFramework is the control table of the HTML report.
type htmlFramework struct {
	Line     string
	Controls []htmlControl
}

type htmlControl struct {
	ID, Title, Verdict, Checks string
	Passed                     bool
}

func htmlFrameworkOf(s *compliance.Summary) *htmlFramework {
	if s == nil {
		return nil
	}
	v := &htmlFramework{Line: frameworkLine(s)}
	for _, c := range s.Controls {
		v.Controls = append(v.Controls, htmlControl{ID: sanitize(c.ID), Title: sanitize(c.Title), Verdict: controlVerdict(c),
			Checks: sanitize(strings.Join(c.Checks, ", ")), Passed: c.Passed})
	}
	return v
}
