package report

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
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
	XMLName   xml.Name      `xml:"testcase"`
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
// form a last suite of erroring test cases. The practices' test cases are encoded one at a
// time into the document's skeleton, so a large result never exists twice in memory; the
// bytes are those of encoding the whole document (TestJUnitStreamedEqualsWhole).
func writeJUnit(w io.Writer, r *scan.Result, _ Options) error {
	j := planJUnit(r)
	var skel bytes.Buffer
	if err := encodeXML(&skel, j.doc); err != nil {
		return err
	}
	const end = "\n  </testsuite>"
	parts := bytes.Split(skel.Bytes(), []byte(end))
	if len(parts) != len(j.doc.Suites)+1 {
		return fmt.Errorf("report: %d suites in the JUnit skeleton, want %d", len(parts)-1, len(j.doc.Suites))
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	for i, part := range parts[:len(j.doc.Suites)] {
		bw.Write(part)
		// One encoder per suite: it puts a newline and the indentation before every test
		// case but the first.
		enc := xml.NewEncoder(bw)
		enc.Indent("    ", "  ")
		first, err := true, error(nil)
		j.cases(j.doc.Suites[i].Name, func(tc junitCase) {
			if first {
				bw.WriteByte('\n')
				first = false
			}
			if err == nil {
				err = enc.Encode(tc)
			}
		})
		if err != nil {
			return err
		}
		bw.WriteString(end)
	}
	bw.Write(parts[len(parts)-1])
	return bw.Flush()
}

// encodeXML writes v as an XML document indented by two spaces, ending in a newline.
func encodeXML(w *bytes.Buffer, v any) error {
	w.WriteString(xml.Header)
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	w.WriteByte('\n')
	return nil
}

// junitPlan is a JUnit document whose practice suites have their counts but not yet their
// test cases, which cases makes on demand.
type junitPlan struct {
	doc        junitSuites
	keys       map[string][]junitKey // per practice, in first-seen order
	byKey      map[junitKey][]*check.Finding
	ran        map[string][]*check.Check
	practiceOf map[string]string
}

type junitKey struct {
	check string
	obj   inventory.Ref
}

func planJUnit(r *scan.Result) *junitPlan {
	j := &junitPlan{
		doc:        junitSuites{Name: "kubeharden"},
		keys:       map[string][]junitKey{},
		byKey:      map[junitKey][]*check.Finding{},
		ran:        map[string][]*check.Check{},
		practiceOf: map[string]string{},
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		k := junitKey{f.Check, f.Object}
		if _, seen := j.byKey[k]; !seen {
			j.keys[f.Practice] = append(j.keys[f.Practice], k)
		}
		j.byKey[k] = append(j.byKey[k], f)
		j.practiceOf[f.Check] = f.Practice
	}
	for _, c := range r.Checks {
		if c != nil {
			j.ran[c.Practice()] = append(j.ran[c.Practice()], c)
		}
	}
	for _, cs := range j.ran {
		check.SortChecks(cs)
	}
	practices := map[string]bool{}
	for p := range j.keys {
		practices[p] = true
	}
	for p := range j.ran {
		practices[p] = true
	}

	for _, p := range practiceOrder(practices) {
		props := &junitProperties{[]junitProperty{{"title", practiceTitle(p)}}}
		if score, ok := r.Summary.Practices[p]; ok {
			props.List = append(props.List, junitProperty{"score", fmt.Sprint(score)})
		}
		s := junitSuite{Name: p, Time: "0", Properties: props}
		for _, k := range j.keys[p] {
			if slices.ContainsFunc(j.byKey[k], func(f *check.Finding) bool { return !f.Suppressed }) {
				s.Failures++
			} else {
				s.Skipped++
			}
		}
		s.Tests = len(j.keys[p]) + len(j.passed(p))
		j.doc.Suites = append(j.doc.Suites, s)
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
		j.doc.Suites = append(j.doc.Suites, s)
	}

	for _, s := range j.doc.Suites {
		j.doc.Tests += s.Tests
		j.doc.Failures += s.Failures
		j.doc.Errors += s.Errors
		j.doc.Skipped += s.Skipped
	}
	return j
}

// passed lists the checks of practice p that ran and found nothing.
func (j *junitPlan) passed(p string) []*check.Check {
	var out []*check.Check
	for _, c := range j.ran[p] {
		if _, found := j.practiceOf[c.ID]; !found {
			out = append(out, c)
		}
	}
	return out
}

// cases makes the test cases of practice p, in order: findings', then passing checks'.
func (j *junitPlan) cases(p string, emit func(junitCase)) {
	for _, k := range j.keys[p] {
		fs := j.byKey[k]
		tc := junitCase{Name: k.check + " " + k.obj.String(), Classname: p, Time: "0", File: fs[0].File, Line: fs[0].Line}
		var open []*check.Finding
		for _, f := range fs {
			if !f.Suppressed {
				open = append(open, f)
			}
		}
		if len(open) > 0 {
			tc.Failure = &junitProblem{Message: open[0].Message, Type: worst(open).String(), Text: junitText(fs)}
		} else {
			tc.Skipped = &junitProblem{Message: suppressionNote(fs[0]), Text: junitText(fs)}
		}
		emit(tc)
	}
	for _, c := range j.passed(p) {
		emit(junitCase{Name: c.ID, Classname: p, Time: "0"})
	}
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
