package fix_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kubeharden/kubeharden/fix/fixtest"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/fix"
	"github.com/kubeharden/kubeharden/scan"
)

// write makes the changes on disk, as fix --write does.
func write(t testing.TB, res *fix.Result) {
	t.Helper()
	for _, c := range res.Changes {
		if err := os.MkdirAll(filepath.Dir(c.Path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(c.Path, c.New, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

type key struct{ check, object string }

// resolvedByOtherFixes are checks without fixes of their own whose findings a fix of another
// check settles: a risky ServiceAccount is no risk to a pod that no longer mounts its token
// (secrets/unused-token-automount), and an attack path goes when a fix cuts one of its hops
// (a default-deny NetworkPolicy, a token no longer mounted).
var resolvedByOtherFixes = map[string]bool{
	"rbac/workload-risky-serviceaccount": true,
	"attack/internet-to-cluster-admin":   true,
	"attack/internet-to-secrets":         true,
	"attack/internet-to-node":            true,
}

func keys(res *scan.Result, keep func(check.Finding) bool) map[key]int {
	out := map[key]int{}
	for _, f := range res.Findings {
		if !f.Suppressed && keep(f) {
			out[key{f.Check, f.Object.String()}]++
		}
	}
	return out
}

func fixable(f check.Finding) bool { c := check.Lookup(f.Check); return c != nil && c.Fixable }

// TestInsecureExample runs fix --write on a copy of examples/insecure and scans the result:
// no finding with a fix remains, what fixable checks still report is what they found before
// and could not fix (a privileged container, a root image), every finding of the other checks
// is still reported, and fixing again changes nothing.
func TestInsecureExample(t *testing.T) {
	root := fixtest.Copy(t, filepath.Join("..", "examples"))
	dir := filepath.Join(root, "insecure")

	plan, before := run(t, dir, nil, nil)
	if len(plan.Changes) == 0 || plan.Fixed == 0 {
		t.Fatal("fix changes nothing in examples/insecure")
	}
	for _, s := range plan.Skipped {
		t.Errorf("skipped: %+v", s)
	}
	withFix := 0
	for _, f := range before.Findings {
		if len(f.Fixes) > 0 {
			withFix++
		}
	}
	write(t, plan)

	again, after := run(t, dir, nil, nil)
	for _, f := range after.Findings {
		if len(f.Fixes) > 0 {
			t.Errorf("after fix, %s on %s still offers a fix: %s", f.Check, f.Object, f.Message)
		}
	}
	wasFixable, isFixable := keys(before, fixable), keys(after, fixable)
	for k, n := range isFixable {
		if wasFixable[k] < n {
			t.Errorf("after fix, %s on %s is reported %d times, before %d", k.check, k.object, n, wasFixable[k])
		}
	}
	other := func(f check.Finding) bool { return !fixable(f) }
	wasOther, isOther := keys(before, other), keys(after, other)
	for k, n := range wasOther {
		if isOther[k] < n && !resolvedByOtherFixes[k.check] {
			t.Errorf("after fix, non-fixable %s on %s is reported %d times, before %d", k.check, k.object, isOther[k], n)
		}
	}
	if len(again.Changes) > 0 || len(again.Patches) > 0 || again.Fixed > 0 {
		for _, c := range again.Changes {
			t.Errorf("second fix changes %s", c.Path)
		}
		t.Errorf("second fix: %d findings fixed, want 0", again.Fixed)
	}
	t.Logf("%d findings, %d with fixes; after fix %d (%d of fixable checks, needing a decision)",
		before.Summary.Findings, withFix, after.Summary.Findings, len(isFixable))
}

// TestGoldenIdempotent fixes the golden fixtures with every check at once, then again: the
// second run changes nothing.
func TestGoldenIdempotent(t *testing.T) {
	dir := fixtest.Copy(t, filepath.Join("testdata", "golden", "in"))
	plan, _ := run(t, dir, nil, goldenImages)
	write(t, plan)
	again, after := run(t, dir, nil, goldenImages)
	for _, c := range again.Changes {
		t.Errorf("second fix changes %s", c.Path)
	}
	for _, f := range after.Findings {
		if len(f.Fixes) > 0 {
			t.Errorf("after fix, %s on %s still offers a fix: %s", f.Check, f.Object, f.Message)
		}
	}
}
