package review

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// listLimit bounds each list of a subject in the Markdown document.
const listLimit = 50

// WriteTable writes one line per subject, riskiest first, and the window.
func WriteTable(w io.Writer, rep *Report) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SUBJECT\tRISK\tACTIVE\tBINDINGS\tIDLE BINDINGS\tUSED\tUNUSED\tBROADER\tDENIED\tCHANGES")
	for _, s := range rep.Subjects {
		idle := 0
		for _, b := range s.Bindings {
			if !b.Used {
				idle++
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", s.Subject, s.Risk.Level, s.Active, len(s.Bindings), idle,
			len(s.Used), len(s.Unused), len(s.Broader), len(s.Denied), len(s.Suggestion.Changes))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%s\n", windowLine(rep.Window))
	fmt.Fprintf(w, "%d change(s) proposed; %s\n", len(rep.Changes), verdict(rep))
	return nil
}

func windowLine(w Window) string {
	s := fmt.Sprintf("Evidence: %d requests (%d denied) from %d file(s)", w.Requests, w.Denied, w.Files)
	if !w.First.IsZero() {
		s += fmt.Sprintf(", %s to %s", w.First.UTC().Format(time.RFC3339), w.Last.UTC().Format(time.RFC3339))
	}
	if !w.Since.IsZero() {
		s += fmt.Sprintf(" (window asked: since %s)", w.Since.UTC().Format(time.RFC3339))
	}
	if w.Errors > 0 {
		s += fmt.Sprintf("; %d unreadable line(s) or file(s)", w.Errors)
	}
	return s + "."
}

func verdict(rep *Report) string {
	if len(rep.Changes) == 0 {
		return "nothing to verify."
	}
	if rep.Verified {
		return "verified with the RBAC engine: every audited request stays allowed, every removed permission is denied."
	}
	return fmt.Sprintf("verification FAILED (%d problem(s)): do not apply without review.", len(rep.Problems))
}

// WriteMarkdown writes the review as a document a security team can file: the window of the
// evidence, subjects riskiest first with what they used and did not, and the proposed changes
// with the commands that apply them.
func WriteMarkdown(w io.Writer, rep *Report) error {
	var b strings.Builder
	b.WriteString("# RBAC review\n\n")
	b.WriteString(windowLine(rep.Window) + "\n\n")
	fmt.Fprintf(&b, "%d subject(s); %d change(s) proposed; %s\n", len(rep.Subjects), len(rep.Changes), verdict(rep))
	for _, p := range rep.Problems {
		fmt.Fprintf(&b, "\n- problem: %s", mdEscape(p))
	}
	b.WriteString("\n\n## Subjects by risk\n\n| # | Subject | Risk | Active | Used | Unused | Broader | Idle bindings | Changes |\n|---|---|---|---|---|---|---|---|---|\n")
	for i, s := range rep.Subjects {
		idle := 0
		for _, bu := range s.Bindings {
			if !bu.Used {
				idle++
			}
		}
		fmt.Fprintf(&b, "| %d | %s | %s | %s | %d | %d | %d | %d | %d |\n", i+1, mdEscape(s.Subject.String()), s.Risk.Level, yesNo(s.Active),
			len(s.Used), len(s.Unused), len(s.Broader), idle, len(s.Suggestion.Changes))
	}
	for i, s := range rep.Subjects {
		fmt.Fprintf(&b, "\n### %d. %s — %s\n\n", i+1, mdEscape(s.Subject.String()), s.Risk.Level)
		if s.Risk.Reason != "" {
			fmt.Fprintf(&b, "%s.\n\n", mdEscape(s.Risk.Reason))
		}
		if !s.Active {
			b.WriteString("**No activity in the window.**\n\n")
		}
		if len(s.Bindings) > 0 {
			b.WriteString("Bindings:\n\n")
			for _, bu := range s.Bindings {
				state := "used"
				if !bu.Used {
					state = "**granted nothing used**"
				}
				if bu.Default {
					state += ", default policy"
				}
				fmt.Fprintf(&b, "- %s → %s (%s)\n", mdEscape(bu.Binding), mdEscape(bu.Role), state)
			}
			b.WriteString("\n")
		}
		section(&b, "Used", s.Used, true)
		section(&b, "Unused", s.Unused, false)
		section(&b, "Wildcards used only in part", s.Broader, true)
		section(&b, "Denied", s.Denied, true)
		if len(s.ImpersonatedBy) > 0 {
			b.WriteString("Impersonated by:\n\n")
			for _, im := range s.ImpersonatedBy {
				fmt.Fprintf(&b, "- %s (%d requests)\n", mdEscape(im.User), im.Requests)
			}
			b.WriteString("\n")
		}
		if n := len(s.Suggestion.StillGranted); n > 0 {
			fmt.Fprintf(&b, "Removed here but still granted by bindings this review does not change (%d):\n\n", n)
			for j, x := range s.Suggestion.StillGranted {
				if j == listLimit {
					fmt.Fprintf(&b, "- … and %d more\n", n-listLimit)
					break
				}
				fmt.Fprintf(&b, "- `%s`\n", x)
			}
			b.WriteString("\n")
		}
		if len(s.Suggestion.Changes) > 0 {
			var refs []string
			for _, c := range s.Suggestion.Changes {
				refs = append(refs, fmt.Sprintf("[%s %s](#change-%d)", c.Action, mdEscape(c.Target), changeIndex(rep, c)))
			}
			fmt.Fprintf(&b, "Proposed: %s\n", strings.Join(refs, ", "))
		}
	}
	if len(rep.Changes) > 0 {
		b.WriteString("\n## Proposed changes\n\nApply in order. Each keeps every request of the window allowed.\n")
	}
	for i, c := range rep.Changes {
		fmt.Fprintf(&b, "\n<a id=\"change-%d\"></a>\n### Change %d: %s %s\n\n%s.\n\n", i+1, i+1, c.Action, mdEscape(c.Target), mdEscape(c.Reason))
		if n := len(c.Removed); n > 0 {
			fmt.Fprintf(&b, "Removes %d permission(s): ", n)
			var xs []string
			for j, p := range c.Removed {
				if j == listLimit {
					xs = append(xs, fmt.Sprintf("… and %d more", n-listLimit))
					break
				}
				xs = append(xs, "`"+p.String()+"`")
			}
			b.WriteString(strings.Join(xs, ", ") + "\n\n")
		}
		b.WriteString("```sh\n")
		for _, d := range c.Delete {
			b.WriteString(deleteCommand(d) + "\n")
		}
		if c.Apply != "" {
			b.WriteString("kubectl apply -f - <<'EOF'\n" + c.Apply + "EOF\n")
		}
		b.WriteString("```\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func changeIndex(rep *Report, c *Change) int {
	for i, x := range rep.Changes {
		if x == c {
			return i + 1
		}
	}
	return 0
}

func section(b *strings.Builder, title string, ps []Permission, counts bool) {
	if len(ps) == 0 {
		return
	}
	fmt.Fprintf(b, "%s (%d):\n\n", title, len(ps))
	for i, p := range ps {
		if i == listLimit {
			fmt.Fprintf(b, "- … and %d more\n", len(ps)-listLimit)
			break
		}
		line := "- `" + p.String() + "`"
		if counts && p.Count > 0 {
			line += fmt.Sprintf(" ×%d", p.Count)
		}
		if p.Impersonated {
			line += " (impersonated)"
		}
		if len(p.Via) > 0 {
			line += " via " + mdEscape(strings.Join(p.Via, ", "))
		}
		b.WriteString(line + "\n")
	}
	b.WriteString("\n")
}

// deleteCommand renders "RoleBinding/ns/name" as a kubectl delete command.
func deleteCommand(ref string) string {
	parts := strings.Split(ref, "/")
	kind := strings.ToLower(parts[0])
	if len(parts) == 3 {
		return "kubectl delete " + kind + " " + parts[2] + " -n " + parts[1]
	}
	return "kubectl delete " + kind + " " + parts[len(parts)-1]
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "<", "&lt;", ">", "&gt;").Replace(s)
}
