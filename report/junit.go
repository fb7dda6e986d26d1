package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/scan"
)

// The JUnit XML shape that Jenkins, GitLab, Azure DevOps and the GitHub test-report actions
// read: testsuites > testsuite > testcase with failure, error or skipped.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string           `xml:"name,attr"`
	Tests      int              `xml:"tests,attr"`
	Failures   int              `xml:"failures,attr"`
	Errors     int              `xml:"errors,attr"`
	Skipped    int              `xml:"skipped,attr"`
	Time       string           `xml:"time,attr"`
	Properties *junitProperties `xml:"properties,omitempty"`
	Cases      []junitCase      `xml:"testcase"`
}

type junitProperties struct {
	List []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	Skipped   *junitProblem `xml:"skipped,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",cdata"` // multi-line, so CDATA keeps it readable

}

// writeJUnit writes one test suite per practice: a failing test case per (check, object) with
// unsuppressed findings, a skipped one where all of them are suppressed, and a passing one
// for each check that found nothing, so dashboards show the whole rule set. Input errors
// form a last suite of erroring test cases.
func writeJUnit(w io.Writer, r *scan.Result, _ Options) error {
	doc := junitSuites{Name: "kubeharden"}

	type key struct {
		check string
		obj   inventory.Ref
	}
	cases := map[string][]key{} // per practice, in first-seen order
	byKey := map[key][]*check.Finding{}
	practiceOf := map[string]string{}
	for i := range r.Findings {
		f := &r.Findings[i]
		k := key{f.Check, f.Object}
		if _, seen := byKey[k]; !seen {
			cases[f.Practice] = append(cases[f.Practice], k)
		}
		byKey[k] = append(byKey[k], f)
		practiceOf[f.Check] = f.Practice
	}
	ran := map[string][]*check.Check{}
	for _, c := range r.Checks {
		if c != nil {
			ran[c.Practice()] = append(ran[c.Practice()], c)
		}
	}
	practices := map[string]bool{}
	for p := range cases {
		practices[p] = true
	}
	for p := range ran {
		practices[p] = true
	}

	for _, p := range practiceOrder(practices) {
		props := &junitProperties{[]junitProperty{{"title", practiceTitle(p)}}}
		if score, ok := r.Summary.Practices[p]; ok {
			props.List = append(props.List, junitProperty{"score", fmt.Sprint(score)})
		}
		s := junitSuite{Name: p, Time: "0", Properties: props}
		for _, k := range cases[p] {
			fs := byKey[k]
			tc := junitCase{Name: k.check + " " + k.obj.String(), Classname: p, Time: "0", File: fs[0].File, Line: fs[0].Line}
			var open []*check.Finding
			for _, f := range fs {
				if !f.Suppressed {
					open = append(open, f)
				}
			}
			if len(open) > 0 {
				tc.Failure = &junitProblem{Message: open[0].Message, Type: worst(open).String(), Text: junitText(fs)}
				s.Failures++
			} else {
				tc.Skipped = &junitProblem{Message: suppressionNote(fs[0]), Text: junitText(fs)}
				s.Skipped++
			}
			s.Cases = append(s.Cases, tc)
		}
		cs := append([]*check.Check(nil), ran[p]...)
		check.SortChecks(cs)
		for _, c := range cs {
			if _, found := practiceOf[c.ID]; found {
				continue
			}
			s.Cases = append(s.Cases, junitCase{Name: c.ID, Classname: p, Time: "0"})
		}
		s.Tests = len(s.Cases)
		doc.Suites = append(doc.Suites, s)
	}

	if len(r.Errors) > 0 {
		s := junitSuite{Name: "input", Time: "0"}
		for _, e := range r.Errors {
			name := e.File
			if name == "" {
				name = e.Resource
			}
			if name == "" {
				name = "scan"
			}
			s.Cases = append(s.Cases, junitCase{Name: name, Classname: "input", File: e.File, Line: e.Line, Time: "0",
				Error: &junitProblem{Message: e.Message, Type: "input", Text: xmlText(e.Error())}})
		}
		s.Tests, s.Errors = len(s.Cases), len(s.Cases)
		doc.Suites = append(doc.Suites, s)
	}

	for _, s := range doc.Suites {
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		doc.Skipped += s.Skipped
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func worst(fs []*check.Finding) check.Severity {
	var s check.Severity
	for _, f := range fs {
		s = max(s, f.Severity)
	}
	return s
}

// junitText lists every finding of a test case, as CI views show the failure body verbatim.
func junitText(fs []*check.Finding) string {
	var b strings.Builder
	for i, f := range fs {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s %s at %s", f.Severity, f.Check, location(f))
		if f.Path != "" {
			fmt.Fprintf(&b, " (%s)", f.Path)
		}
		fmt.Fprintf(&b, "\n%s\n", f.Message)
		if f.Remediation != "" {
			fmt.Fprintf(&b, "Remediation: %s\n", f.Remediation)
		}
		if f.Suppressed {
			fmt.Fprintf(&b, "%s\n", suppressionNote(f))
		}
	}
	return xmlText(b.String())
}

// xmlText replaces characters XML 1.0 cannot carry (CDATA is not escaped by encoding/xml).
func xmlText(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF {
			return r
		}
		return '\uFFFD'
	}, s)
}
