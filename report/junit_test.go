package report

import (
	"bytes"
	"encoding/xml"
	"slices"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/scan"
)

// The test reads JUnit with its own types, as a CI dashboard would.
type jDoc struct {
	XMLName xml.Name `xml:"testsuites"`
	jCounts
	Suites []struct {
		Name string `xml:"name,attr"`
		jCounts
		Props []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			Name      string    `xml:"name,attr"`
			Classname string    `xml:"classname,attr"`
			File      string    `xml:"file,attr"`
			Line      int       `xml:"line,attr"`
			Failure   *jProblem `xml:"failure"`
			Error     *jProblem `xml:"error"`
			Skipped   *jProblem `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

type jCounts struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Skipped  int `xml:"skipped,attr"`
}

type jProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

func readJUnit(t *testing.T, out string) jDoc {
	t.Helper()
	if !strings.HasPrefix(out, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("no XML declaration: %.60q", out)
	}
	var d jDoc
	if err := xml.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("not XML: %v\n%s", err, out)
	}
	return d
}

func TestJUnit(t *testing.T) {
	d := readJUnit(t, render(t, fixture(), Options{Format: "junit"}))
	type counts struct{ tests, failures, errors, skipped int }
	want := []struct {
		name string
		counts
	}{
		{"network", counts{1, 1, 0, 0}},
		{"podsecurity", counts{1, 1, 0, 0}}, // two findings on one object: one test case
		{"rbac", counts{1, 0, 0, 1}},        // only suppressed: skipped
		{"images", counts{4, 3, 0, 1}},
		{"resources", counts{1, 0, 0, 0}}, // a check without findings passes
		{"input", counts{2, 0, 2, 0}},
	}
	if len(d.Suites) != len(want) {
		t.Fatalf("%d suites, want %d", len(d.Suites), len(want))
	}
	sum := counts{}
	for i, w := range want {
		s := d.Suites[i]
		got := counts{s.Tests, s.Failures, s.Errors, s.Skipped}
		if s.Name != w.name || got != w.counts {
			t.Errorf("suite %d = %s %+v, want %s %+v", i, s.Name, got, w.name, w.counts)
		}
		// The attributes agree with the test cases they count.
		c := counts{tests: len(s.Cases)}
		for _, tc := range s.Cases {
			if tc.Failure != nil {
				c.failures++
			}
			if tc.Error != nil {
				c.errors++
			}
			if tc.Skipped != nil {
				c.skipped++
			}
		}
		if c != got {
			t.Errorf("suite %s says %+v but holds %+v", s.Name, got, c)
		}
		sum.tests, sum.failures, sum.errors, sum.skipped = sum.tests+c.tests, sum.failures+c.failures, sum.errors+c.errors, sum.skipped+c.skipped
	}
	if (counts{d.Tests, d.Failures, d.Errors, d.Skipped}) != sum || sum != (counts{10, 5, 2, 2}) {
		t.Errorf("totals = %d/%d/%d/%d, suites add up to %+v", d.Tests, d.Failures, d.Errors, d.Skipped, sum)
	}

	ps := d.Suites[1]
	if len(ps.Props) != 2 || ps.Props[0].Value != "Pod Security" || ps.Props[1].Name != "score" || ps.Props[1].Value != "38" {
		t.Errorf("podsecurity properties = %+v", ps.Props)
	}
	priv := ps.Cases[0]
	if priv.Name != "podsecurity/privileged shop/Deployment/api" || priv.Classname != "podsecurity" ||
		priv.File != "deploy/api.yaml" || priv.Line != 23 || priv.Failure.Type != "critical" ||
		priv.Failure.Message != `container "api" runs privileged` {
		t.Errorf("privileged case = %+v %+v", priv, priv.Failure)
	}
	for _, want := range []string{"deploy/api.yaml:23", `container "api" runs privileged`, "deploy/api.yaml:31", `container "sidecar" runs privileged`, "Remediation: Set securityContext.privileged to false."} {
		if !strings.Contains(priv.Failure.Text, want) {
			t.Errorf("failure text lacks %q:\n%s", want, priv.Failure.Text)
		}
	}
	rb := d.Suites[2].Cases[0]
	if rb.Skipped == nil || rb.Skipped.Message != "suppressed by .kubeharden.yaml: break-glass role (until 2099-12-31)" {
		t.Errorf("suppressed case = %+v", rb)
	}
	if rc := d.Suites[4].Cases[0]; rc.Name != "resources/missing-requests" || rc.Failure != nil || rc.Skipped != nil {
		t.Errorf("passing case = %+v", rc)
	}
	in := d.Suites[5].Cases
	if in[0].File != "deploy/bad.yaml" || in[0].Line != 3 || in[0].Error.Message != "yaml: mapping values are not allowed in this context" ||
		in[1].Name != "shop/Secret/db" {
		t.Errorf("input cases = %+v", in)
	}
}

// TestJUnitHostileText: CDATA terminators and control characters in messages still give
// well-formed XML that reads back.
func TestJUnitHostileText(t *testing.T) {
	msg := "a ]]> b <c> & \x00\x1b d"
	r := &scan.Result{Findings: []check.Finding{{Check: "images/latest-tag", Severity: check.Medium, Practice: "images",
		Object: web, Message: msg}}}
	d := readJUnit(t, render(t, r, Options{Format: "junit"}))
	f := d.Suites[0].Cases[0].Failure
	if f == nil || !strings.Contains(f.Text, "a ]]> b <c> & \uFFFD\uFFFD d") {
		t.Errorf("failure = %+v", f)
	}
	if e := readJUnit(t, render(t, &scan.Result{}, Options{Format: "junit"})); e.Tests != 0 || len(e.Suites) != 0 {
		t.Errorf("empty result = %+v", e)
	}
}

// TestJUnitStreamedEqualsWhole: the document written test case by test case is byte for byte
// the whole document encoded at once.
func TestJUnitStreamedEqualsWhole(t *testing.T) {
	noErrors := fixture()
	noErrors.Errors = nil
	for name, r := range map[string]*scan.Result{"fixture": fixture(), "no errors": noErrors, "empty": {}} {
		j := planJUnit(r)
		doc := j.doc
		doc.Suites = slices.Clone(doc.Suites)
		for i := range doc.Suites {
			j.cases(doc.Suites[i].Name, func(tc junitCase) { doc.Suites[i].Cases = append(doc.Suites[i].Cases, tc) })
		}
		var whole bytes.Buffer
		if err := encodeXML(&whole, doc); err != nil {
			t.Fatal(err)
		}
		if got := render(t, r, Options{Format: "junit"}); got != whole.String() {
			t.Errorf("%s: streamed JUnit differs from the whole document:\n%s\n---\n%s", name, got, whole.String())
		}
	}
}
