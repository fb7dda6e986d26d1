package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/scan"
)

// mdBudget keeps a comment under GitHub's limit of 65,536 characters per comment body: rows
// past it are counted, not shown.
const mdBudget = 60000

// writeMarkdown writes a pull-request comment: a summary table, then each practice's findings
// as a table, with low and info findings collapsed so the important ones stand out.
func writeMarkdown(w io.Writer, r *scan.Result, opts Options) error {
	bw := bufio.NewWriter(w)
	m := &md{w: bw, opts: opts, budget: mdBudget}
	s := r.Summary

	if note := incompleteNote(r); note != "" {
		fmt.Fprintf(bw, "## kubeharden: incomplete scan\n\n> **%s**\n\n", mdEscape(note))
		fmt.Fprintf(bw, "%s\n\n", mdEscape(scoreText(s)))
	} else {
		fmt.Fprintf(bw, "## kubeharden: score %d/100\n\n", s.Score)
	}
	parts := []string{plural(s.Objects, "object", "objects"), plural(s.Findings, "finding", "findings")}
	if s.Suppressed > 0 {
		parts = append(parts, fmt.Sprintf("%d suppressed", s.Suppressed))
	}
	if s.Baselined > 0 {
		parts = append(parts, fmt.Sprintf("%d in the baseline, not shown", s.Baselined))
	}
	if s.Expired > 0 {
		parts = append(parts, "**"+plural(s.Expired, "expired exception", "expired exceptions")+"**")
	}
	if len(r.Errors) > 0 {
		parts = append(parts, "**"+plural(len(r.Errors), "input error", "input errors")+"**")
	}
	fmt.Fprintf(bw, "%s\n\n", strings.Join(parts, " · "))
	if l := readLine(r); l != "" {
		fmt.Fprintf(bw, "%s\n\n", mdEscape(strings.TrimSuffix(l, " (-v lists them)")))
	}
	if l := filterLine(s); l != "" {
		fmt.Fprintf(bw, "%s\n\n", mdEscape(l))
	}
	m.summaryTable(r)
	mdNamespaceTable(bw, s.Namespaces)
	if s.Framework != nil {
		mdFramework(bw, s.Framework)
	}

	groups := groupByPractice(r.Findings, func(f *check.Finding) bool { return !f.Suppressed })
	for _, g := range groups {
		var major, minor []*check.Finding
		for _, f := range g.Findings {
			if f.Severity >= check.Medium {
				major = append(major, f)
			} else {
				minor = append(minor, f)
			}
		}
		fmt.Fprintf(bw, "### %s\n\n", mdEscape(practiceTitle(g.Practice)))
		if len(major) > 0 {
			m.findings(major, false)
		}
		if len(minor) > 0 {
			fmt.Fprintf(bw, "<details><summary>%s</summary>\n\n", plural(len(minor), "low or info finding", "low or info findings"))
			m.findings(minor, false)
			fmt.Fprint(bw, "</details>\n\n")
		}
	}
	if opts.ShowSuppressed {
		var sup []*check.Finding
		for _, g := range groupByPractice(r.Findings, func(f *check.Finding) bool { return f.Suppressed }) {
			sup = append(sup, g.Findings...)
		}
		if len(sup) > 0 {
			fmt.Fprintf(bw, "<details><summary>%s</summary>\n\n", plural(len(sup), "suppressed finding", "suppressed findings"))
			m.findings(sup, true)
			fmt.Fprint(bw, "</details>\n\n")
		}
	}
	if m.omitted > 0 {
		fmt.Fprintf(bw, "_%s not shown to keep this comment within GitHub's size limit; run `kubeharden scan` for the full list._\n\n",
			plural(m.omitted, "more finding", "more findings"))
	}
	if len(r.Errors) > 0 {
		fmt.Fprintf(bw, "### Input errors\n\n")
		for _, e := range r.Errors {
			where := e.File
			if where != "" && e.Line > 0 {
				where += ":" + strconv.Itoa(e.Line)
			}
			if where == "" {
				where = e.Resource
			}
			if where != "" {
				fmt.Fprintf(bw, "- %s: %s\n", mdEscape(where), mdEscape(e.Message))
			} else {
				fmt.Fprintf(bw, "- %s\n", mdEscape(e.Message))
			}
		}
		fmt.Fprintln(bw)
	}
	return bw.Flush()
}

type md struct {
	w       *bufio.Writer
	opts    Options
	budget  int
	omitted int
}

// summaryTable counts unsuppressed findings by severity, overall and per practice, next to
// the scores.
func (m *md) summaryTable(r *scan.Result) {
	byPractice := map[string]map[check.Severity]int{}
	for p := range r.Summary.Practices {
		byPractice[p] = map[check.Severity]int{}
	}
	for _, f := range r.Findings {
		if f.Suppressed {
			continue
		}
		if byPractice[f.Practice] == nil {
			byPractice[f.Practice] = map[check.Severity]int{}
		}
		byPractice[f.Practice][f.Severity]++
	}
	fmt.Fprint(m.w, "| Practice | Score |")
	for _, s := range check.Severities {
		fmt.Fprintf(m.w, " %s |", s)
	}
	fmt.Fprint(m.w, "\n|---|--:|")
	for range check.Severities {
		fmt.Fprint(m.w, "--:|")
	}
	fmt.Fprintf(m.w, "\n| **All** | **%d** |", r.Summary.Score)
	for _, s := range check.Severities {
		fmt.Fprintf(m.w, " %d |", r.Summary.BySeverity[s.String()])
	}
	fmt.Fprintln(m.w)
	for _, p := range practiceOrder(byPractice) {
		score := "–"
		if v, ok := r.Summary.Practices[p]; ok {
			score = strconv.Itoa(v)
		}
		fmt.Fprintf(m.w, "| %s | %s |", mdEscape(practiceTitle(p)), score)
		for _, s := range check.Severities {
			fmt.Fprintf(m.w, " %d |", byPractice[p][s])
		}
		fmt.Fprintln(m.w)
	}
	fmt.Fprintln(m.w)
}

// findings writes one table; suppressed tables add the reason.
func (m *md) findings(fs []*check.Finding, suppressed bool) {
	head := "| Severity | Check | Object | Location | Message |\n|---|---|---|---|---|\n"
	if suppressed {
		head = "| Severity | Check | Object | Location | Message | Reason |\n|---|---|---|---|---|---|\n"
	}
	var b strings.Builder
	b.WriteString(head)
	rows := 0
	for i, f := range fs {
		sev := f.Severity.String()
		if f.Severity >= check.High && !suppressed {
			sev = "**" + sev + "**"
		}
		msg := mdEscape(f.Message)
		if isExpired(f) {
			msg = "**exception expired:** " + msg
		}
		if fix := m.fix(f); fix != "" && !suppressed {
			msg += "<br>**Fix:** " + mdEscape(fix)
		}
		row := fmt.Sprintf("| %s | `%s` | %s | %s | %s |", sev, mdCode(f.Check), mdEscape(f.Object.String()), m.link(f), msg)
		if suppressed {
			row += " " + mdEscape(suppressionNote(f)) + " |"
		}
		row += "\n"
		if m.budget-len(row) < 0 {
			m.omitted += len(fs) - i
			break
		}
		m.budget -= len(row)
		b.WriteString(row)
		rows++
	}
	if rows > 0 {
		fmt.Fprintf(m.w, "%s\n", b.String())
	}
}

// fix is the finding's remediation, else its check's.
func (m *md) fix(f *check.Finding) string {
	if f.Remediation != "" {
		return f.Remediation
	}
	if c := check.Lookup(f.Check); c != nil {
		return c.Remediation
	}
	return ""
}

// link is file:line linking to the line (under Options.LinkBase), or "live". A file outside
// the source root gets no link: no base could resolve it.
func (m *md) link(f *check.Finding) string {
	if f.File == "" {
		return "live"
	}
	text := mdEscape(location(f))
	target, rel := sourceURI(f.File, m.opts.SourceRoot)
	if !rel {
		return text
	}
	target = strings.TrimPrefix(target, "./")
	if m.opts.LinkBase != "" {
		target = strings.TrimSuffix(m.opts.LinkBase, "/") + "/" + target
	}
	if f.Line > 0 {
		target += "#L" + strconv.Itoa(f.Line)
	}
	return "[" + text + "](" + strings.NewReplacer("(", "%28", ")", "%29").Replace(target) + ")"
}

// mdEscaper escapes what would otherwise format text in a table cell or a paragraph: table
// pipes, code backticks, emphasis, links and HTML, and breaks "@name" so a message quoting an
// image digest ("nginx@sha256:…") mentions nobody.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "|", `\|`, "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`,
	"<", "&lt;", ">", "&gt;", "&", "&amp;", "@", "@&#8203;", "\r\n", " ", "\n", " ", "\r", " ",
)

func mdEscape(s string) string { return mdEscaper.Replace(sanitize(s)) }

// mdCode makes s safe inside a single-backtick code span (IDs never contain backticks; this
// guards against hand-written ones).
func mdCode(s string) string {
	return strings.NewReplacer("`", "'", "|", `\|`).Replace(sanitize(s))
}
