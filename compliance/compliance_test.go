package compliance

import (
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/check"
	_ "github.com/kubeharden/kubeharden/checks/all"
)

// TestEveryCheckMapped: the table has one row per registered check and no row for a check
// that does not exist; each row names, per framework, real controls or "none".
func TestEveryCheckMapped(t *testing.T) {
	d, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(Frameworks(), ","); got != "cis,nsa,pss,mitre" {
		t.Errorf("frameworks %s", got)
	}
	registered := map[string]bool{}
	for _, c := range check.All() {
		registered[c.ID] = true
		if d.Checks[c.ID] == nil {
			t.Errorf("check %s has no row in mapping.csv (write %q for frameworks it does not serve)", c.ID, None)
		}
	}
	for _, id := range d.Rows {
		if !registered[id] {
			t.Errorf("mapping.csv:%d: %s is not a registered check", d.Lines[id], id)
		}
	}
	// Every framework is mapped by some check, and the PSS checks map to PSS controls.
	for _, f := range d.Frameworks {
		n := 0
		for _, id := range d.Rows {
			n += len(d.Checks[id][f.ID])
		}
		if n < 10 {
			t.Errorf("%s: only %d mappings", f.ID, n)
		}
	}
	for _, c := range check.All() {
		if strings.HasPrefix(c.ID, "podsecurity/") && strings.ContainsAny(c.ID[len("podsecurity/"):], "ABCDEFGHIJKLMNOPQRSTUVWXYZ") && len(d.Checks[c.ID]["pss"]) == 0 {
			t.Errorf("%s checks a Pod Security Standards control but maps to none", c.ID)
		}
	}
}

// TestMalformedTables: a typo in a control, an empty cell, an unknown control and a
// duplicate row are each rejected with the line.
func TestMalformedTables(t *testing.T) {
	fw := []byte(`- {id: cis, name: CIS, version: "1", pattern: '^5\.[0-9]+\.[0-9]+$', controls: [{id: 5.1.1, title: x}]}
`)
	for table, want := range map[string]string{
		"check,cis\na/b,5.1.1\n":           "",
		"check,cis\na/b,5.1\n":             "mapping.csv:2: a/b: cis control \"5.1\" is not well-formed",
		"check,cis\na/b,\n":                "the cis cell is empty",
		"check,cis\na/b,5.1.2\n":           "cis has no control \"5.1.2\"",
		"check,cis\na/b,none\na/b,5.1.1\n": "mapping.csv:3: a/b has a second row",
		"check,nsa\na/b,none\n":            "column 2 is \"nsa\"",
	} {
		_, err := parse([]byte(table), fw)
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", table, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: error %v, want %q", table, err, want)
		}
	}
}

func TestSummarize(t *testing.T) {
	d, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	ran := []*check.Check{check.Lookup("podsecurity/privileged"), check.Lookup("podsecurity/hostPorts"), check.Lookup("rbac/cluster-admin")}
	fs := []check.Finding{
		{Check: "podsecurity/privileged", Severity: check.High},
		{Check: "podsecurity/privileged", Severity: check.High},
		{Check: "rbac/cluster-admin", Severity: check.Critical, Suppressed: true},
	}
	s := d.Summarize("cis", ran, fs)
	got := map[string]ControlResult{}
	for _, c := range s.Controls {
		got[c.ID] = c
	}
	if c := got["5.2.2"]; c.Passed || c.Findings != 2 || c.Worst != "high" {
		t.Errorf("5.2.2 = %+v, want failed by 2 high findings", c)
	}
	if c := got["5.2.13"]; !c.Passed || c.Findings != 0 {
		t.Errorf("5.2.13 = %+v, want passed", c)
	}
	if c := got["5.1.1"]; !c.Passed {
		t.Errorf("5.1.1 = %+v: a suppressed finding does not fail a control", c)
	}
	if s.Passed != 2 || s.Failed != 1 || len(s.Controls) != 3 {
		t.Errorf("summary %+v", s)
	}
	if n := len(d.Filter(check.All(), "pss")); n == 0 || n >= len(check.All()) {
		t.Errorf("pss keeps %d of %d checks", n, len(check.All()))
	}
}
