package report

import (
	"bufio"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"html/template"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/scan"
)

// The HTML report is one self-contained file: the template, its stylesheet and its script are
// embedded here and inlined into the page, so it opens offline, from an artifact store or an
// email attachment, and loads nothing from the network.
//
//go:embed html/report.html html/report.css html/report.js html/attack.html html/attack.css
var htmlAssets embed.FS

var (
	htmlTemplate = template.Must(template.New("report.html").Funcs(template.FuncMap{
		"breakable": breakable,
		"code":      codeSpans,
	}).ParseFS(htmlAssets, "html/report.html", "html/attack.html"))
	htmlCSS = mustAsset("html/report.css") + mustAsset("html/attack.css")
	htmlJS  = mustAsset("html/report.js")
	// htmlCSP allows exactly the inlined stylesheet and script, by hash, and nothing else: no
	// network, no inline event handlers, no style attributes. A finding's text that slipped past
	// escaping still could not run.
	htmlCSP = "default-src 'none'; style-src '" + cspHash(htmlCSS) + "'; script-src '" + cspHash(htmlJS) +
		"'; base-uri 'none'; form-action 'none'"
)

func mustAsset(name string) string {
	b, err := htmlAssets.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time: cannot happen
	}
	return string(b)
}

// cspHash is the CSP source expression that allows an inline element with exactly this text.
func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// htmlReport is what the template renders. html/template escapes every string in it; only CSS
// and JS, this package's own embedded assets, are inserted as they are.
type htmlReport struct {
	Version string
	CSP     string
	CSS     template.CSS
	JS      template.JS

	Score                                  int
	Objects, Findings, Suppressed, Expired int
	ShowSuppressed                         bool
	Incomplete                             string
	Severities                             []htmlCount
	Practices                              []htmlPractice
	Groups                                 []htmlGroup
	Checks                                 []htmlCheck
	Errors                                 []htmlError
	Attack                                 *htmlAttack
	Filter                                 string
	Namespaces                             []htmlNamespace
	// TitleScore is the score as the page title gives it; ScoreState says "incomplete" first
	// when the input was not read completely, so N/100 never reads as a clean bill.
	TitleScore, ScoreState, ScoreWhy string
	Chart                            *htmlChart
	Framework                        *htmlFramework
	Exposure                         *htmlExposure
}

type htmlCount struct {
	Severity string
	Count    int
}

// htmlPractice is a row of the summary table.
type htmlPractice struct {
	Title, Anchor string // Anchor is empty when the practice has no findings to link to
	Score         string
	Counts        []int // unsuppressed, in check.Severities order
}

// htmlGroup is one practice's section of findings, in severity bands.
type htmlGroup struct {
	Practice, Title, Anchor, Score string
	Open, Suppressed               int
	Bands                          []htmlBand
}

type htmlBand struct {
	Severity string
	Rows     []htmlRow
}

type htmlRow struct {
	Severity, Practice             string
	Check, CheckTitle, CheckAnchor string
	Kind, Object                   string
	Location, Link, Path           string
	Message, Remediation, Note     string
	Suppressed, Expired            bool
}

// htmlCheck documents a check that has findings in the report.
type htmlCheck struct {
	ID, Anchor, Title, Severity string
	Doc, Remediation            string
	References                  []string
	Fixable                     bool
	Count                       int
}

type htmlError struct{ Where, Message string }

// writeHTML writes a standalone page: the summary, input errors, findings grouped by practice
// then severity (with client-side filters; suppressed findings hidden until asked for), and
// the documentation of every check that found something.
func writeHTML(w io.Writer, r *scan.Result, opts Options) error {
	v := &htmlReport{
		Version: sanitize(opts.ToolVersion),
		CSP:     htmlCSP,
		CSS:     template.CSS(htmlCSS),
		JS:      template.JS(htmlJS),

		Score:          r.Summary.Score,
		Objects:        r.Summary.Objects,
		Findings:       r.Summary.Findings,
		Suppressed:     r.Summary.Suppressed,
		Expired:        r.Summary.Expired,
		ShowSuppressed: opts.ShowSuppressed,
		Attack:         attackView(opts.AttackPaths),
		Incomplete:     sanitize(incompleteNote(r)),
		Filter:         filterLine(r.Summary),
		TitleScore:     strings.TrimPrefix(strings.ToLower(scoreText(r.Summary)[:1])+scoreText(r.Summary)[1:], "score: "),
		ScoreWhy:       scoreExplanation(r),
		Chart:          chartView(r),
		Framework:      htmlFrameworkOf(r.Summary.Framework),
		Exposure:       exposureView(opts.Exposure, r),
		Namespaces:     htmlNamespaces(r.Summary.Namespaces),
	}
	if r.Summary.Incomplete {
		v.ScoreState = "incomplete"
		if r.Summary.Objects == 0 {
			v.ScoreWhy = "No score: nothing was read."
		}
	}
	for _, s := range check.Severities {
		v.Severities = append(v.Severities, htmlCount{s.String(), r.Summary.BySeverity[s.String()]})
	}

	idx := indexChecks(r)
	groups := groupByPractice(r.Findings, func(*check.Finding) bool { return true })
	counts := map[string]map[check.Severity]int{}
	for p := range r.Summary.Practices {
		counts[p] = nil
	}
	fired := map[string]*htmlCheck{}
	for _, g := range groups {
		counts[g.Practice] = severityCounts(g.Findings)
		hg := htmlGroup{Practice: g.Practice, Title: practiceTitle(g.Practice), Anchor: practiceAnchor(g.Practice),
			Score: practiceScore(r.Summary.Practices, g.Practice)}
		for _, f := range g.Findings {
			if f.Suppressed {
				hg.Suppressed++
			} else {
				hg.Open++
			}
			sev := f.Severity.String()
			if n := len(hg.Bands); n == 0 || hg.Bands[n-1].Severity != sev {
				hg.Bands = append(hg.Bands, htmlBand{Severity: sev})
			}
			band := &hg.Bands[len(hg.Bands)-1]
			band.Rows = append(band.Rows, htmlFinding(f, idx, fired, opts))
		}
		v.Groups = append(v.Groups, hg)
	}
	for _, p := range practiceOrder(counts) {
		row := htmlPractice{Title: practiceTitle(p), Score: practiceScore(r.Summary.Practices, p)}
		if counts[p] != nil {
			row.Anchor = practiceAnchor(p)
		}
		for _, s := range check.Severities {
			row.Counts = append(row.Counts, counts[p][s])
		}
		v.Practices = append(v.Practices, row)
	}
	for _, c := range fired {
		v.Checks = append(v.Checks, *c)
	}
	sortChecks(v.Checks)
	for _, e := range r.Errors {
		where := e.File
		if where != "" && e.Line > 0 {
			where += ":" + strconv.Itoa(e.Line)
		}
		if where == "" {
			where = e.Resource
		}
		v.Errors = append(v.Errors, htmlError{Where: sanitize(where), Message: sanitize(e.Message)})
	}

	bw := bufio.NewWriter(w)
	if err := htmlTemplate.Execute(bw, v); err != nil {
		return err
	}
	return bw.Flush()
}

// htmlFinding is one row; it records the finding's check in fired for the checks section.
func htmlFinding(f *check.Finding, idx checkIndex, fired map[string]*htmlCheck, opts Options) htmlRow {
	row := htmlRow{
		Severity:    f.Severity.String(),
		Practice:    f.Practice,
		Check:       sanitize(f.Check),
		CheckAnchor: checkAnchor(f.Check),
		Kind:        sanitize(f.Object.Kind),
		Object:      sanitize(f.Object.Name),
		Location:    sanitize(location(f)),
		Path:        sanitize(f.Path),
		Message:     sanitize(f.Message),
		Remediation: sanitize(f.Remediation),
		Suppressed:  f.Suppressed,
		Expired:     isExpired(f),
	}
	if f.Object.Namespace != "" {
		row.Object = sanitize(f.Object.Namespace + "/" + f.Object.Name)
	}
	if f.Suppressed {
		row.Note = sanitize(suppressionNote(f))
	}
	if f.File != "" && opts.LinkBase != "" {
		if uri, rel := sourceURI(f.File, opts.SourceRoot); rel {
			row.Link = strings.TrimSuffix(opts.LinkBase, "/") + "/" + strings.TrimPrefix(uri, "./")
			if f.Line > 0 {
				row.Link += "#L" + strconv.Itoa(f.Line)
			}
		}
	}
	hc := fired[f.Check]
	if hc == nil {
		hc = &htmlCheck{ID: sanitize(f.Check), Anchor: row.CheckAnchor, Title: sanitize(f.Check), Severity: f.Severity.String()}
		if c := idx.get(f.Check); c != nil {
			hc.Severity = c.Severity.String()
			hc.Doc = sanitize(c.Doc)
			hc.Remediation = sanitize(c.Remediation)
			hc.Fixable = c.Fixable
			for _, ref := range c.References {
				hc.References = append(hc.References, sanitize(ref))
			}
			if c.Title != "" {
				hc.Title = sanitize(c.Title)
			}
		}
		fired[f.Check] = hc
	}
	hc.Count++
	row.CheckTitle = hc.Title
	if row.Remediation == "" {
		row.Remediation = hc.Remediation
	}
	return row
}

// sortChecks orders the checks section by practice, then ID, as `kubeharden checks` does.
func sortChecks(cs []htmlCheck) {
	practice := func(id string) int { p, _, _ := strings.Cut(id, "/"); return check.PracticeIndex(p) }
	sort.Slice(cs, func(i, j int) bool {
		if pi, pj := practice(cs[i].ID), practice(cs[j].ID); pi != pj {
			return pi < pj
		}
		return cs[i].ID < cs[j].ID
	})
}

func practiceScore(scores map[string]int, p string) string {
	if v, ok := scores[p]; ok {
		return strconv.Itoa(v)
	}
	return "–"
}

// Anchors are fragment IDs: letters, digits, '-', '.' and '_' only, so that a link's
// fragment and the element's id match without any URL encoding.
func practiceAnchor(p string) string { return "practice-" + anchorText(p) }
func checkAnchor(id string) string   { return "check-" + anchorText(id) }

func anchorText(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.', r == '_':
			return r
		}
		return '-'
	}, s)
}

// breakable escapes s and lets the browser break the line after each of seps, so that paths
// wrap at "/" or "." rather than mid-word.
func breakable(s, seps string) template.HTML {
	var b strings.Builder
	for {
		i := strings.IndexAny(s, seps)
		if i < 0 {
			b.WriteString(template.HTMLEscapeString(s))
			return template.HTML(b.String())
		}
		b.WriteString(template.HTMLEscapeString(s[:i+1]))
		b.WriteString("<wbr>")
		s = s[i+1:]
	}
}

// codeSpans escapes s and shows `quoted` parts as code, as messages and docs quote fields and
// commands in backticks. Unbalanced backticks are left as they are.
func codeSpans(s string) template.HTML {
	parts := strings.Split(s, "`")
	if len(parts) < 3 || len(parts)%2 == 0 {
		return template.HTML(template.HTMLEscapeString(s))
	}
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 && p != "" {
			b.WriteString("<code>" + template.HTMLEscapeString(p) + "</code>")
		} else {
			b.WriteString(template.HTMLEscapeString(p))
		}
	}
	return template.HTML(b.String())
}
