package scan

import (
	"testing"

	"github.com/kubeharden/kubeharden/check"
)

// TestDerivedPractice: attack findings cap the overall score but add no weight to it; their
// practice has its own score, and the other practices' scores do not move.
func TestDerivedPractice(t *testing.T) {
	checks := []*check.Check{{ID: "network/x"}, {ID: "attack/y"}}
	network := check.Finding{Check: "network/x", Practice: "network", Severity: check.High}
	attack := check.Finding{Check: "attack/y", Practice: "attack", Severity: check.Critical}

	alone := summarize(40, []check.Finding{network}, checks)
	both := summarize(40, []check.Finding{network, attack}, checks)
	// 100·40/(40+5) = 88.9 → 89, capped at 79 by the high finding.
	if alone.Score != 79 || alone.Practices["network"] != 79 || alone.Practices["attack"] != 100 {
		t.Errorf("without the path: %+v", alone)
	}
	// The same W (the path weighs nothing), capped at 49 by the critical path.
	if both.Score != 49 || both.Practices["network"] != 79 {
		t.Errorf("with the path: %+v", both)
	}
	// attack alone: 100·40/(40+10) = 80, capped at 49.
	if both.Practices["attack"] != 49 {
		t.Errorf("attack practice score %d, want 49", both.Practices["attack"])
	}
	if onlyPath := summarize(40, []check.Finding{attack}, checks); onlyPath.Score != 49 || onlyPath.BySeverity["critical"] != 1 {
		t.Errorf("only the path: %+v (want 100 capped at 49, the finding counted)", onlyPath)
	}
}
