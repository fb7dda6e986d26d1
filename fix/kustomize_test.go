package fix_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/fix"
	"github.com/kubeharden/kubeharden/fix/fixtest"
	"github.com/kubeharden/kubeharden/scan"
)

// planKustomize is fix --write's plan for a kustomization: the plan, with its patch files
// and kustomization edits, and the scan it came from.
func planKustomize(t *testing.T, dir string) (*fix.Result, *scan.Result) {
	t.Helper()
	plan, res := run(t, dir, nil, nil)
	plan.Changes = append(plan.Changes, fix.PatchFiles(plan.Patches, os.ReadFile)...)
	return plan, res
}

// TestKustomizeExample fixes a copy of examples/kustomize/overlays/insecure: the fixes
// become strategic-merge patches listed in the overlay's kustomization (its comments
// kept), the base is not touched, the rebuilt overlay offers no fix any more, and a second
// run changes nothing.
func TestKustomizeExample(t *testing.T) {
	root := fixtest.Copy(t, filepath.Join("..", "examples", "kustomize"))
	overlay := filepath.Join(root, "overlays", "insecure")
	kfile := filepath.Join(overlay, "kustomization.yaml")
	// A comment the edit must keep.
	old, err := os.ReadFile(kfile)
	if err != nil {
		t.Fatal(err)
	}
	old = append([]byte("# The insecure overlay: kept on purpose.\n"), old...)
	if err := os.WriteFile(kfile, old, 0o644); err != nil {
		t.Fatal(err)
	}
	base, err := os.ReadFile(filepath.Join(root, "base", "deployment.yaml"))
	if err != nil {
		t.Fatal(err)
	}

	plan, before := planKustomize(t, overlay)
	if plan.Fixed == 0 || len(plan.Changes) == 0 {
		t.Fatal("fix changes nothing in the insecure overlay")
	}
	for _, c := range plan.Changes {
		if !strings.HasPrefix(c.Path, overlay+string(filepath.Separator)) {
			t.Errorf("fix changes %s, outside the overlay", c.Path)
		}
	}
	for _, p := range plan.Patches {
		for _, e := range p.Errors {
			t.Errorf("patch of %s: %s", p.Object, e)
		}
	}
	write(t, plan)

	got, err := os.ReadFile(kfile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(got), "# The insecure overlay: kept on purpose.\n") {
		t.Errorf("the kustomization lost its comment:\n%s", got)
	}
	if !strings.Contains(string(got), "kubeharden-patches/") {
		t.Errorf("the kustomization lists no kubeharden patch:\n%s", got)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "base", "deployment.yaml")); string(b) != string(base) {
		t.Errorf("fix changed the base:\n%s", b)
	}

	again, after := planKustomize(t, overlay)
	for _, f := range after.Findings {
		if len(f.Fixes) > 0 && !f.Suppressed {
			t.Errorf("after fix, %s on %s still offers a fix: %s", f.Check, f.Object, f.Message)
		}
	}
	wasFixable, isFixable := keys(before, fixable), keys(after, fixable)
	for k, n := range isFixable {
		if wasFixable[k] < n {
			t.Errorf("after fix, %s on %s is reported %d times, before %d", k.check, k.object, n, wasFixable[k])
		}
	}
	for _, c := range again.Changes {
		if string(c.Old) != string(c.New) {
			t.Errorf("second fix changes %s:\n%s", c.Path, c.New)
		}
	}
	if again.Fixed > 0 {
		t.Errorf("second fix: %d findings fixed, want 0", again.Fixed)
	}
	t.Logf("%d findings fixed; after fix %d findings, %d of fixable checks needing a decision", plan.Fixed, after.Summary.Findings, len(isFixable))
}
