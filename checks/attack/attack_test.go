package attack_test

import (
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/check/checktest"
	"github.com/kubeharden/kubeharden/checks/attack"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
)

func TestFixtures(t *testing.T) {
	checktest.Run(t, "testdata", attack.Checks()...)
}

// TestExamples: the insecure example's entry points lead to all three targets, the hardened
// example's to none; each finding names its whole path and the changes that cut it.
func TestExamples(t *testing.T) {
	count := func(dir string) map[string]int {
		objs, errs := load.Files([]string{dir}, load.Options{})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		res := scan.Run(inventory.Build(objs), scan.Options{Checks: attack.Checks(), Now: checktest.Now})
		n := map[string]int{}
		for _, f := range res.Findings {
			n[f.Check]++
			if !strings.Contains(f.Message, "internet → ") || !strings.Contains(f.Remediation, "Cut the path at any step: ") {
				t.Errorf("%s on %s: message %q, remediation %q", f.Check, f.Object, f.Message, f.Remediation)
			}
		}
		return n
	}
	insecure := count("../../examples/insecure")
	for _, c := range attack.Checks() {
		if insecure[c.ID] == 0 {
			t.Errorf("insecure example: no %s finding", c.ID)
		}
	}
	if hardened := count("../../examples/hardened"); len(hardened) > 0 {
		t.Errorf("hardened example: %v", hardened)
	}
}
