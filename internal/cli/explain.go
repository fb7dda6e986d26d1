package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/internal/suggest"
	"github.com/kubeharden/kubeharden/scan"
)

func init() {
	register(func(e *env) *cobra.Command {
		return &cobra.Command{
			Use:     "explain CHECK-ID",
			Short:   "Print a check's documentation, fix and references",
			Example: "  kubeharden explain podsecurity/privileged",
			Args:    cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c := check.Lookup(args[0])
				if c == nil {
					var ids []string
					for _, c := range check.All() {
						ids = append(ids, c.ID)
					}
					msg := fmt.Sprintf("no check %q", args[0])
					if s := suggest.Closest(args[0], ids); s != "" {
						msg += "; did you mean " + s + "?"
					} else {
						msg += " (kubeharden checks lists them)"
					}
					return exit(scan.ExitInput, fmt.Errorf("%s", msg))
				}
				w := e.stdout
				fmt.Fprintf(w, "%s: %s\n\n", c.ID, c.Title)
				fmt.Fprintf(w, "Severity:  %s\nPractice:  %s\n", c.Severity, check.PracticeTitles[c.Practice()])
				if c.Fixable {
					fmt.Fprintln(w, "Fixable:   yes, kubeharden fix repairs it")
				}
				fmt.Fprintf(w, "\n%s\n", wrapText(c.Doc, 80))
				if c.Remediation != "" {
					fmt.Fprintf(w, "\nFix:\n%s\n", indentText(wrapText(c.Remediation, 78), "  "))
				}
				if len(c.References) > 0 {
					fmt.Fprintln(w, "\nReferences:")
					for _, r := range c.References {
						fmt.Fprintln(w, "  - "+r)
					}
				}
				if ctl := controlsLine(c.ID); ctl != "" {
					fmt.Fprintln(w, "\nControls (kubeharden checks --framework):")
					for _, part := range strings.Split(ctl, " · ") {
						fmt.Fprintln(w, "  - "+part)
					}
				}
				return nil
			},
		}
	})
}

// wrapText breaks text into lines of at most width characters at spaces.
func wrapText(s string, width int) string {
	var lines []string
	var cur string
	for _, word := range strings.Fields(s) {
		switch {
		case cur == "":
			cur = word
		case len(cur)+1+len(word) <= width:
			cur += " " + word
		default:
			lines = append(lines, cur)
			cur = word
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	return strings.Join(lines, "\n")
}

func indentText(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}
