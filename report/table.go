package report

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/scan"
)

// Column limits for the table: long object names and paths are shortened in the middle, so
// both ends (namespace and name, directory and file:line) stay readable.
const (
	maxCell = 48
	minCell = 16
	// minMessage is the narrowest message column worth wrapping into; below it the message
	// goes on its own line under the row.
	minMessage = 30
	indent     = "  "
	gap        = "  "
)

// ANSI SGR codes, per severity. Only used when Options.Color is set.
var severityColor = map[check.Severity]string{
	check.Critical: "1;31", // bold red
	check.High:     "31",   // red
	check.Medium:   "33",   // yellow
	check.Low:      "36",   // cyan
	check.Info:     "90",   // grey
}

const (
	sgrBold = "1"
	sgrDim  = "2"
	sgrWarn = "1;33"
)

type tableRow struct {
	f                  *check.Finding
	sev, id, obj, loc  string
	msg, note          string
	suppressed, expiry bool
	// more are the messages of further findings of the same check on the same object, each
	// with its location when that differs; fix is the check's remediation.
	more []string
	fix  string
}

// podSecuritySuffix starts the part of a Pod Security message that repeats, word for word,
// on every finding in a namespace; the table prints it once per practice.
const podSecuritySuffix = ": fails Pod Security "

// mergeRows makes the rows of one practice: findings of one check on one object (same
// severity, both shown or both suppressed) share a row, rows of a check stay together
// (highest severity first, then by check), and the Pod Security suffix is cut from each
// message and returned once as a note.
func mergeRows(fs []*check.Finding, idx checkIndex) ([]tableRow, []string) {
	type key struct {
		check, obj          string
		sev                 check.Severity
		suppressed, expired bool
	}
	var rows []tableRow
	at := map[key]int{}
	var notes []string
	seen := map[string]bool{}
	for _, f := range fs {
		row := newRow(f)
		if i := strings.Index(row.msg, podSecuritySuffix); i >= 0 {
			note := row.msg[i+2:]
			row.msg = row.msg[:i]
			if !seen[note] {
				seen[note] = true
				notes = append(notes, strings.ToUpper(note[:1])+note[1:])
			}
		}
		c := idx.get(f.Check)
		if c != nil && c.Severity != 0 && c.Severity != f.Severity {
			// So that checks and scan never seem to disagree about a severity.
			row.msg += " [" + f.Severity.String() + " here; the check's default is " + c.Severity.String() + ": kubeharden explain " + f.Check + "]"
		}
		k := key{f.Check, row.obj, f.Severity, f.Suppressed, row.expiry}
		if i, ok := at[k]; ok {
			m := row.msg
			if row.loc != rows[i].loc {
				m += " (" + row.loc + ")"
			}
			rows[i].more = append(rows[i].more, m)
			continue
		}
		row.fix = sanitize(f.Remediation)
		if row.fix == "" && c != nil {
			row.fix = sanitize(c.Remediation)
		}
		at[k] = len(rows)
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i].f, rows[j].f
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		return a.Check < b.Check
	})
	return rows, notes
}

// noteWidth is the width notes and fixes wrap to.
func (t *table) noteWidth() int {
	if t.opts.Width <= 0 {
		return 0
	}
	return t.opts.Width - len(indent)
}

// writeTable writes findings grouped by practice, then input errors, then the summary.
func writeTable(w io.Writer, r *scan.Result, opts Options) error {
	bw := bufio.NewWriter(w)
	t := &table{w: bw, opts: opts}
	groups := groupByPractice(r.Findings, func(f *check.Finding) bool { return opts.ShowSuppressed || !f.Suppressed })
	// Rows are made twice, to measure and to write, rather than kept: a large result would
	// otherwise hold all its cells at once.
	t.measure(groups)

	if note := incompleteNote(r); note != "" {
		// First, so that nobody reads the findings below as the whole story.
		for _, l := range wrap(note, t.opts.Width) {
			fmt.Fprintln(bw, t.paint(sgrWarn, l))
		}
		fmt.Fprintln(bw)
	}
	if len(groups) == 0 {
		fmt.Fprintln(bw, "No findings.")
	} else {
		t.header()
	}
	idx := indexChecks(r)
	for _, g := range groups {
		fmt.Fprintln(bw)
		t.groupTitle(g, r.Summary.Practices)
		rows, notes := mergeRows(g.Findings, idx)
		for _, n := range notes {
			for _, l := range wrap(n, t.noteWidth()) {
				fmt.Fprintln(bw, t.paint(sgrDim, indent+l))
			}
		}
		fixed := map[string]bool{}
		for i, row := range rows {
			t.row(row)
			// The fix once per check, after its last adjacent row.
			if last := i == len(rows)-1 || rows[i+1].f.Check != row.f.Check; last && !fixed[row.f.Check] && row.fix != "" {
				fixed[row.f.Check] = true
				for _, l := range wrap("fix: "+row.fix, t.noteWidth()-2) {
					fmt.Fprintln(bw, t.paint(sgrDim, indent+indent+l))
				}
			}
		}
	}
	if len(r.Errors) > 0 {
		fmt.Fprintln(bw)
		fmt.Fprintln(bw, t.paint(sgrBold, fmt.Sprintf("Input errors (%d)", len(r.Errors))))
		for _, e := range r.Errors {
			fmt.Fprintln(bw, indent+sanitize(e.Error()))
		}
	}
	fmt.Fprintln(bw)
	t.summary(r)
	return bw.Flush()
}

func newRow(f *check.Finding) tableRow {
	row := tableRow{
		f:          f,
		sev:        f.Severity.String(),
		id:         sanitize(f.Check),
		obj:        sanitize(objectName(f)),
		loc:        sanitize(location(f)),
		msg:        sanitize(f.Message),
		suppressed: f.Suppressed,
		expiry:     isExpired(f),
	}
	if f.Suppressed {
		row.note = sanitize(suppressionNote(f))
	}
	return row
}

type table struct {
	w                *bufio.Writer
	opts             Options
	sevW, idW, objW  int
	locW, msgCol     int
	msgW, wrapIndent int
}

// measure sizes the columns once for all groups, so they line up across practices. With a
// width, the object and location columns give up room (down to minCell) so that the message
// keeps a column; when even that does not fit, the message moves under its row and the
// columns shrink only as far as the row needs to fit.
func (t *table) measure(groups []practiceGroup) {
	t.sevW, t.idW, t.objW, t.locW = len("SEVERITY"), len("CHECK"), len("OBJECT"), len("LOCATION")
	for _, g := range groups {
		for _, f := range g.Findings {
			row := newRow(f)
			t.sevW = max(t.sevW, width(row.sev))
			t.idW = max(t.idW, min(width(row.id), maxCell))
			t.objW = max(t.objW, min(width(row.obj), maxCell))
			t.locW = max(t.locW, min(width(row.loc), maxCell))
		}
	}
	fixed := len(indent) + t.sevW + t.idW + 4*len(gap)
	t.msgW, t.wrapIndent = 0, 0
	if w := t.opts.Width; w > 0 {
		obj, loc := shrink(t.objW, t.locW, w-fixed-minMessage)
		if obj+loc <= w-fixed-minMessage {
			t.objW, t.locW = obj, loc
			t.msgW = w - fixed - obj - loc
		} else {
			// Too narrow for a message column: the message goes under the row, indented,
			// and so does file:line, leaving the object its whole name where it fits.
			t.locW = 0
			t.objW = max(min(t.objW, w-fixed+len(gap)), minCell)
			t.wrapIndent = 2 * len(indent)
			t.msgW = max(w-t.wrapIndent, minMessage)
		}
	}
	t.msgCol = fixed + t.objW + t.locW
	if t.wrapIndent == 0 {
		t.wrapIndent = t.msgCol
	}
}

// shrink narrows the wider of two columns, then both, until they fit room or reach minCell.
func shrink(a, b, room int) (int, int) {
	for a+b > room && (a > minCell || b > minCell) {
		if a >= b && a > minCell || b <= minCell {
			a--
		} else {
			b--
		}
	}
	return a, b
}

func (t *table) header() {
	line := indent + pad("SEVERITY", t.sevW) + gap + pad("CHECK", t.idW) + gap + pad("OBJECT", t.objW) + gap + "LOCATION"
	if t.locW == 0 {
		line = strings.TrimRight(indent+pad("SEVERITY", t.sevW)+gap+pad("CHECK", t.idW)+gap+"OBJECT", " ")
	}
	if t.wrapIndent == t.msgCol {
		line = pad(line, t.msgCol) + "MESSAGE"
	}
	fmt.Fprintln(t.w, t.paint(sgrBold, line))
}

func (t *table) groupTitle(g practiceGroup, scores map[string]int) {
	title := practiceTitle(g.Practice)
	if s, ok := scores[g.Practice]; ok {
		title += fmt.Sprintf(" (score %d)", s)
	}
	var parts []string
	n := severityCounts(g.Findings)
	for _, s := range check.Severities {
		if n[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[s], s))
		}
	}
	if sup := len(g.Findings) - sum(n); sup > 0 {
		parts = append(parts, fmt.Sprintf("%d suppressed", sup))
	}
	fmt.Fprintln(t.w, t.paint(sgrBold, title)+": "+strings.Join(parts, ", "))
}

func (t *table) row(row tableRow) {
	msg := row.msg
	if row.expiry {
		msg = "[exception expired] " + msg
	}
	if row.suppressed {
		msg = "[suppressed] " + msg
	}
	lines := wrap(msg, t.msgW)
	loc := row.loc
	if width(loc) > t.locW && t.opts.Width > 0 {
		// A path cut in the middle cannot be opened: it goes whole on a line of its own.
		// Unwrapped, it stays in the row (which then sticks out), so that grep finds it.
		lines = append(lines, "at "+loc)
		loc = ""
	}
	for _, m := range row.more {
		lines = append(lines, wrap("+ "+m, t.msgW)...)
	}
	if row.note != "" {
		lines = append(lines, wrap("↳ "+row.note, t.msgW)...)
	}

	sev := pad(row.sev, t.sevW)
	if !row.suppressed {
		sev = t.paint(severityColor[row.f.Severity], sev)
	}
	cells := indent + sev + gap + pad(shorten(row.id, t.idW), t.idW) + gap +
		pad(shorten(row.obj, t.objW), t.objW) + gap + pad(loc, t.locW) + gap
	first := 0
	if t.wrapIndent == t.msgCol {
		cells += lines[0]
		first = 1
	}
	if row.suppressed {
		cells = t.paint(sgrDim, cells)
	} else if row.expiry && first == 1 {
		cells = strings.Replace(cells, "[exception expired]", t.paint(sgrWarn, "[exception expired]"), 1)
	}
	fmt.Fprintln(t.w, strings.TrimRight(cells, " "))
	for _, l := range lines[first:] {
		l = strings.Repeat(" ", t.wrapIndent) + l
		if row.suppressed {
			l = t.paint(sgrDim, l)
		}
		fmt.Fprintln(t.w, l)
	}
}

func (t *table) summary(r *scan.Result) {
	s := r.Summary
	var parts []string
	parts = append(parts, plural(s.Objects, "object", "objects"))
	counts := plural(s.Findings, "finding", "findings")
	var bySev []string
	for _, sev := range check.Severities {
		if n := s.BySeverity[sev.String()]; n > 0 {
			bySev = append(bySev, t.paint(severityColor[sev], fmt.Sprintf("%d %s", n, sev)))
		}
	}
	if len(bySev) > 0 {
		counts += " (" + strings.Join(bySev, ", ") + ")"
	}
	parts = append(parts, counts)
	if s.Suppressed > 0 {
		parts = append(parts, fmt.Sprintf("%d suppressed", s.Suppressed))
	}
	if s.Baselined > 0 {
		parts = append(parts, fmt.Sprintf("%d in the baseline, not shown", s.Baselined))
	}
	if s.Expired > 0 {
		parts = append(parts, t.paint(sgrWarn, plural(s.Expired, "expired exception", "expired exceptions")))
	}
	if len(r.Errors) > 0 {
		parts = append(parts, plural(len(r.Errors), "input error", "input errors"))
	}
	t.joinLine(parts)

	scores := []string{t.paint(sgrBold, scoreText(s))}
	for _, p := range practiceOrder(s.Practices) {
		scores = append(scores, fmt.Sprintf("%s %d", p, s.Practices[p]))
	}
	t.joinLine(scores)
	if l := readLine(r); l != "" {
		for _, l := range wrap(l, t.opts.Width) {
			fmt.Fprintln(t.w, l)
		}
	}
	if l := filterLine(s); l != "" {
		for _, l := range wrap(l, t.opts.Width) {
			fmt.Fprintln(t.w, l)
		}
	}
	if len(s.Namespaces) > 0 {
		fmt.Fprintln(t.w)
		namespaceTable(t.w, s.Namespaces)
	}
	if s.Framework != nil {
		fmt.Fprintln(t.w)
		frameworkTable(t.w, s.Framework)
	}
	if t.opts.Verbose {
		for _, sk := range r.Skipped {
			fmt.Fprintln(t.w, indent+"skipped "+sanitize(sk.File)+": "+sk.Reason)
		}
	}
	if note := incompleteNote(r); note != "" {
		for _, l := range wrap(note, t.opts.Width) {
			fmt.Fprintln(t.w, t.paint(sgrWarn, l))
		}
	}
}

// joinLine writes parts separated by " · ", breaking the line before a part that would pass
// the width.
func (t *table) joinLine(parts []string) {
	const sep = " · "
	line, n := "", 0
	for _, p := range parts {
		pw := width(ansi.ReplaceAllString(p, ""))
		switch {
		case n == 0:
		case t.opts.Width > 0 && n+width(sep)+pw > t.opts.Width:
			fmt.Fprintln(t.w, line)
			line, n = "", 0
		default:
			line += sep
			n += width(sep)
		}
		line += p
		n += pw
	}
	fmt.Fprintln(t.w, line)
}

// ansi matches the SGR sequences paint adds.
var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func (t *table) paint(code, s string) string {
	if !t.opts.Color || code == "" || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func sum(m map[check.Severity]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func width(s string) int { return utf8.RuneCountInString(s) }

func pad(s string, w int) string {
	if n := width(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

// shorten cuts s to at most w runes by replacing its middle with "…".
func shorten(s string, w int) string {
	r := []rune(s)
	if len(r) <= w {
		return s
	}
	head := (w - 1) / 2
	tail := w - 1 - head
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}

// wrap breaks s into lines of at most w runes at spaces (w <= 0: one line); words longer than
// w are split.
func wrap(s string, w int) []string {
	words := strings.Fields(s)
	if len(words) == 0 {
		return []string{""}
	}
	if w <= 0 {
		return []string{strings.Join(words, " ")}
	}
	var lines []string
	var cur []rune
	for _, word := range words {
		rw := []rune(word)
		for len(rw) > w {
			if len(cur) > 0 {
				lines = append(lines, string(cur))
				cur = nil
			}
			lines = append(lines, string(rw[:w]))
			rw = rw[w:]
		}
		switch {
		case len(cur) == 0:
			cur = rw
		case len(cur)+1+len(rw) <= w:
			cur = append(append(cur, ' '), rw...)
		default:
			lines = append(lines, string(cur))
			cur = rw
		}
	}
	if len(cur) > 0 {
		lines = append(lines, string(cur))
	}
	return lines
}

// sanitize replaces control characters, so text taken from manifests (names, values quoted
// in messages) cannot move the cursor or recolour a terminal.
func sanitize(s string) string {
	if strings.IndexFunc(s, isControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return ' '
		}
		if isControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
}

func isControl(r rune) bool { return unicode.IsControl(r) }

// objectName is the finding's object, after its cluster when a scan read several.
func objectName(f *check.Finding) string {
	if f.Cluster != "" {
		return f.Cluster + ":" + f.Object.String()
	}
	return f.Object.String()
}
