package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/compliance"
)

// TestScanFramework: --framework keeps only the findings of checks the framework maps, and
// judges each control those checks serve; a control fails exactly when one of its checks
// has an unsuppressed finding.
func TestScanFramework(t *testing.T) {
	d, err := compliance.Load()
	if err != nil {
		t.Fatal(err)
	}
	all, _ := scanResult(t, "../../examples/insecure")
	for _, fw := range compliance.Frameworks() {
		r, code := scanResult(t, "--framework", fw, "../../examples/insecure")
		if code != 1 {
			t.Errorf("%s: exit %d, want 1", fw, code)
		}
		kept := 0
		for _, f := range all.Findings {
			if len(d.Controls(f.Check, fw)) > 0 {
				kept++
			}
		}
		if len(r.Findings) != kept || kept == 0 || (fw != "nsa" && kept == len(all.Findings)) {
			t.Errorf("%s: %d findings, want the %d of %d whose checks it maps", fw, len(r.Findings), kept, len(all.Findings))
		}
		s := r.Summary.Framework
		if s == nil || s.Framework != fw || len(s.Controls) == 0 || s.Passed+s.Failed != len(s.Controls) {
			t.Fatalf("%s: framework summary %+v", fw, s)
		}
		failing := map[string]int{}
		for _, f := range r.Findings {
			if !f.Suppressed {
				for _, c := range d.Controls(f.Check, fw) {
					failing[c]++
				}
			}
		}
		for _, c := range s.Controls {
			if c.Passed != (failing[c.ID] == 0) || c.Findings != failing[c.ID] {
				t.Errorf("%s %s: passed=%v with %d findings; the findings say %d", fw, c.ID, c.Passed, c.Findings, failing[c.ID])
			}
		}
		if s.Failed == 0 {
			t.Errorf("%s: the insecure example fails no control", fw)
		}
	}
	code, out, _ := runCLI(t, "", "scan", "--framework", "cis", "--color", "never", "../../examples/insecure")
	if code != 1 || !strings.Contains(out, "CIS Kubernetes Benchmark v1.10.0: ") || !strings.Contains(out, "FAIL 5.2.2 ") {
		t.Errorf("table: exit %d\n%s", code, out)
	}
	if code, _, errOut := runCLI(t, "", "scan", "--framework", "iso27001", "../../examples/insecure"); code != 2 || !strings.Contains(errOut, "cis, nsa, pss, mitre") {
		t.Errorf("unknown framework: exit %d, %s", code, errOut)
	}
}

// TestChecksFramework: checks --framework lists exactly the mapped checks with their controls.
func TestChecksFramework(t *testing.T) {
	d, err := compliance.Load()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runCLI(t, "", "checks", "--framework", "cis", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		Framework string
		Checks    []struct {
			Check    string
			Controls []string
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, id := range d.Rows {
		if len(d.Controls(id, "cis")) > 0 {
			n++
		}
	}
	if got.Framework != "cis" || len(got.Checks) != n || n == 0 {
		t.Errorf("%d checks listed, %d mapped", len(got.Checks), n)
	}
	for _, c := range got.Checks {
		if strings.Join(c.Controls, ";") != strings.Join(d.Controls(c.Check, "cis"), ";") {
			t.Errorf("%s: controls %v", c.Check, c.Controls)
		}
	}
	code, md, _ := runCLI(t, "", "checks", "--framework", "cis", "-o", "md")
	if code != 0 || !strings.Contains(md, "| `podsecurity/privileged` | high | `5.2.2` Minimize the admission of privileged containers |") {
		t.Errorf("md: exit %d\n%s", code, md)
	}
}

// TestExplainControls: explain names the controls a check maps to.
func TestExplainControls(t *testing.T) {
	code, out, _ := runCLI(t, "", "explain", "podsecurity/privileged")
	if code != 0 || !strings.Contains(out, "  - CIS 5.2.2\n") || !strings.Contains(out, "  - PSS baseline/Privileged Containers\n") {
		t.Errorf("explain: exit %d\n%s", code, out)
	}
}
