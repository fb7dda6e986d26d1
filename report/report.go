// Package report renders a scan result in the formats that `kubeharden scan -o` offers: a
// table for people at a terminal, JSON and YAML for programs, SARIF for code-scanning
// dashboards, JUnit XML for CI test views, a self-contained HTML page to browse and filter and
// Markdown for pull-request comments.
//
// Every format renders the same *scan.Result and never changes it; each lives in its own file.
package report

import (
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/exposure"
	"github.com/kubeharden/kubeharden/scan"
)

// Formats are the output formats Write accepts, in the order help text lists them.
var Formats = []string{"table", "json", "yaml", "sarif", "junit", "html", "md"}

// Options choose the format and how it looks.
type Options struct {
	// Format is one of Formats; empty means "table".
	Format string
	// Color adds ANSI colours to the table; set it only when writing to a terminal.
	Color bool
	// ShowSuppressed lists suppressed findings (with their reason) in the table and Markdown.
	// JSON, YAML, SARIF and JUnit always carry them, marked as suppressed; HTML carries them
	// too and starts with them shown instead of hidden.
	ShowSuppressed bool
	// ToolVersion is kubeharden's version, recorded in SARIF and HTML.
	ToolVersion string
	// Width is the terminal width the table wraps messages to; 0 leaves lines unwrapped, which
	// suits logs and files that people grep.
	Width int
	// LinkBase prefixes file links in Markdown and HTML, e.g.
	// "https://github.com/org/repo/blob/<sha>/", so that links in a pull-request comment open
	// the right line. Empty: Markdown links are relative and HTML has none (a report file is
	// rarely opened next to the sources).
	LinkBase string
	// SourceRoot is the directory that absolute file paths are made relative to in SARIF URIs
	// and Markdown links (code scanning resolves them against the repository root). Empty, or
	// for files outside it: SARIF uses file:// URIs and Markdown shows the path without a link.
	SourceRoot string
	// AttackPaths are drawn by the HTML report, in its own section.
	AttackPaths []AttackPath
	// Exposure are the entry points the HTML report draws as its exposure map.
	Exposure []exposure.Entry
	// Verbose lists, in the table, the files skipped as not Kubernetes.
	Verbose bool
}

// Write renders r to w in opts.Format.
func Write(w io.Writer, r *scan.Result, opts Options) error {
	if r == nil {
		return fmt.Errorf("report: no scan result to write")
	}
	var write func(io.Writer, *scan.Result, Options) error
	switch opts.Format {
	case "", "table":
		write = writeTable
	case "json":
		write = writeJSON
	case "yaml":
		write = writeYAML
	case "sarif":
		write = writeSARIF
	case "junit":
		write = writeJUnit
	case "html":
		write = writeHTML
	case "md":
		write = writeMarkdown
	default:
		return fmt.Errorf("unknown output format %q (want one of %s)", opts.Format, strings.Join(Formats, ", "))
	}
	return write(w, r, opts)
}

// practiceGroup is the findings of one practice, highest severity first.
type practiceGroup struct {
	Practice string
	Findings []*check.Finding
}

// groupByPractice returns the findings grouped in check.Practices order (unknown practices
// last, by name), each group sorted by severity, highest first, keeping the result's order
// (file, line, object) within a severity. keep filters findings.
func groupByPractice(fs []check.Finding, keep func(*check.Finding) bool) []practiceGroup {
	byPractice := map[string][]*check.Finding{}
	for i := range fs {
		if f := &fs[i]; keep(f) {
			byPractice[f.Practice] = append(byPractice[f.Practice], f)
		}
	}
	var out []practiceGroup
	for _, p := range practiceOrder(byPractice) {
		g := byPractice[p]
		sort.SliceStable(g, func(i, j int) bool { return g[i].Severity > g[j].Severity })
		out = append(out, practiceGroup{p, g})
	}
	return out
}

// practiceOrder lists the keys of m in check.Practices order, unknown ones last by name.
func practiceOrder[T any](m map[string]T) []string {
	ps := make([]string, 0, len(m))
	for p := range m {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool {
		a, b := check.PracticeIndex(ps[i]), check.PracticeIndex(ps[j])
		if a != b {
			return a < b
		}
		return ps[i] < ps[j]
	})
	return ps
}

func practiceTitle(p string) string {
	if t := check.PracticeTitles[p]; t != "" {
		return t
	}
	if p == "" {
		return "Other"
	}
	return p
}

// location is "file:line", "file", or "live" for objects read from a cluster.
func location(f *check.Finding) string {
	switch {
	case f.File == "":
		return "live"
	case f.Line > 0:
		return f.File + ":" + strconv.Itoa(f.Line)
	}
	return f.File
}

// isExpired says that an exception matched f but had expired, so f counts again.
func isExpired(f *check.Finding) bool {
	return !f.Suppressed && f.Suppression != nil && f.Suppression.Expired
}

// suppressionNote says why a suppressed finding is suppressed.
func suppressionNote(f *check.Finding) string {
	s := f.Suppression
	if s == nil {
		return "suppressed"
	}
	src := "annotation " + check.IgnoreAnnotation
	if s.Source != "annotation" {
		src = s.Source
		if src == "" {
			src = "config"
		}
	}
	note := "suppressed by " + src
	if s.Reason != "" {
		note += ": " + s.Reason
	}
	if !s.Expires.IsZero() {
		note += " (until " + s.Expires.String() + ")"
	}
	return note
}

// checkIndex maps check IDs to the checks that ran, falling back to the registry for findings
// of checks the result does not list.
type checkIndex map[string]*check.Check

func indexChecks(r *scan.Result) checkIndex {
	idx := checkIndex{}
	for _, c := range r.Checks {
		if c != nil {
			idx[c.ID] = c
		}
	}
	return idx
}

func (idx checkIndex) get(id string) *check.Check {
	if c := idx[id]; c != nil {
		return c
	}
	return check.Lookup(id)
}

// severityCounts counts unsuppressed findings by severity.
func severityCounts(fs []*check.Finding) map[check.Severity]int {
	n := map[check.Severity]int{}
	for _, f := range fs {
		if !f.Suppressed {
			n[f.Severity]++
		}
	}
	return n
}

// sourceURI turns a file path into a relative, slash-separated URI reference. With a root,
// paths (relative ones taken from the working directory) are made relative to it when they
// lie under it, else become file:// URIs; without, relative paths stay as they are. rel reports
// whether the result is relative (and so resolves against %SRCROOT%).
func sourceURI(file, root string) (uri string, rel bool) {
	p := filepath.Clean(file)
	if root != "" && !filepath.IsAbs(p) {
		// Relative to the working directory, which need not be root.
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
	}
	if filepath.IsAbs(p) && root != "" {
		if r, err := filepath.Rel(root, p); err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			p = r
		}
	}
	if filepath.IsAbs(p) {
		s := filepath.ToSlash(p)
		if !strings.HasPrefix(s, "/") {
			s = "/" + s // a Windows drive: file:///C:/...
		}
		return (&url.URL{Scheme: "file", Path: s}).String(), false
	}
	return (&url.URL{Path: filepath.ToSlash(p)}).String(), true
}
