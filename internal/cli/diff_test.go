package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/drift"
)

// TestDiffScans scans the insecure example, then a copy with a new cluster-admin binding and
// a NodePort Service at the top of one file (moving every line below) and without the
// database's file, and compares the two real reports: new, fixed and unchanged match what
// the reports say (compared by their fields, not by fingerprint), moved lines change nothing,
// and the new grant comes first, then the exposure.
func TestDiffScans(t *testing.T) {
	dir := t.TempDir()
	oldDir, newDir := filepath.Join(dir, "old"), filepath.Join(dir, "new")
	for _, d := range []string{oldDir, newDir} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob("../../examples/insecure/*.yaml")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(oldDir, filepath.Base(f)), b, 0o644)
		if filepath.Base(f) == "database.yaml" {
			continue // gone in the new scan: its findings are fixed
		}
		if filepath.Base(f) == "rbac.yaml" {
			// Lines move: the added objects come first.
			b = append([]byte(`apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: contractor-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: contractor}
---
apiVersion: v1
kind: Service
metadata: {name: debug, namespace: shop-api}
spec:
  type: NodePort
  selector: {app: api}
  ports: [{port: 80, nodePort: 30080}]
---
`), b...)
		}
		os.WriteFile(filepath.Join(newDir, filepath.Base(f)), b, 0o644)
	}
	scanTo := func(d, out string) {
		code, stdout, stderr := runCLI(t, "", "scan", d, "-o", "json")
		if code != 1 {
			t.Fatalf("scan %s: exit %d: %s", d, code, stderr)
		}
		if err := os.WriteFile(out, []byte(stdout), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	oldJSON, newJSON := filepath.Join(dir, "old.json"), filepath.Join(dir, "new.json")
	scanTo(oldDir, oldJSON)
	scanTo(newDir, newJSON)
	oldRep, err := drift.ReadReport(oldJSON)
	if err != nil {
		t.Fatal(err)
	}
	newRep, _ := drift.ReadReport(newJSON)

	code, stdout, stderr := runCLI(t, "", "diff", oldJSON, newJSON, "-o", "json")
	if code != 1 {
		t.Fatalf("diff: exit %d (want 1: new findings): %s", code, stderr)
	}
	var d drift.Diff
	if err := json.Unmarshal([]byte(stdout), &d); err != nil {
		t.Fatal(err)
	}
	// Expected, from the reports themselves: findings are the same when check, object (without
	// apiVersion), path and message are; file and line do not count.
	type key struct{ check, kind, ns, name, path, msg string }
	keyOf := func(f check.Finding) key {
		return key{f.Check, f.Object.Kind, f.Object.Namespace, f.Object.Name, f.Path, f.Message}
	}
	oldKeys, newKeys := map[key]int{}, map[key]int{}
	for _, f := range oldRep.Findings {
		oldKeys[keyOf(f)]++
	}
	for _, f := range newRep.Findings {
		newKeys[keyOf(f)]++
	}
	added, fixed, same, moved := 0, 0, 0, 0
	for k, n := range newKeys {
		added += max(0, n-oldKeys[k])
		same += min(n, oldKeys[k])
	}
	for k, n := range oldKeys {
		fixed += max(0, n-newKeys[k])
	}
	lines := map[key]int{}
	for _, f := range oldRep.Findings {
		lines[keyOf(f)] = f.Line
	}
	for _, f := range newRep.Findings {
		if l, ok := lines[keyOf(f)]; ok && l != f.Line && f.Line > 0 {
			moved++
		}
	}
	if added == 0 || fixed == 0 || moved == 0 {
		t.Fatalf("the edit gave %d new, %d fixed, %d moved findings: the test needs each", added, fixed, moved)
	}
	if len(d.Added) != added || len(d.Fixed) != fixed || len(d.Unchanged) != same {
		t.Errorf("diff: %d new, %d fixed, %d unchanged; want %d, %d, %d", len(d.Added), len(d.Fixed), len(d.Unchanged), added, fixed, same)
	}
	t.Logf("%d new, %d fixed, %d unchanged (%d of them on moved lines)", added, fixed, same, moved)
	onAdded := map[string]bool{}
	for _, e := range d.Added {
		onAdded[e.Object.Name] = true
	}
	if !onAdded["contractor-admin"] || !onAdded["debug"] {
		t.Errorf("the added binding and Service must have new findings: %v", onAdded)
	}
	if d.Added[0].Category != drift.RiskyGrant || d.Added[len(d.Added)-1].Category == drift.RiskyGrant {
		t.Errorf("risky grants must come first: %+v", d.Added)
	}
	sawExposure := false
	for _, e := range d.Added {
		if e.Category == drift.Exposure {
			sawExposure = true
		}
		if sawExposure && e.Category == drift.RiskyGrant {
			t.Errorf("a risky grant after exposure: %s", e.Check)
		}
	}
	if !sawExposure {
		t.Errorf("the NodePort Service gave no new exposure finding: %+v", d.Added)
	}
	// Fingerprints agree with the library's.
	if d.Added[0].Fingerprint != check.Fingerprint(d.Added[0].Finding) {
		t.Error("fingerprint differs from check.Fingerprint")
	}

	code, md, _ := runCLI(t, "", "diff", oldJSON, newJSON, "-o", "md")
	if code != 1 || !strings.Contains(md, "## New risky grants") || !strings.Contains(md, "## New exposure") || !strings.Contains(md, "## Fixed") {
		t.Errorf("markdown (exit %d):\n%s", code, md)
	}
	if strings.Index(md, "## New risky grants") > strings.Index(md, "## New exposure") {
		t.Error("markdown: risky grants must come before exposure")
	}
	if code, _, _ := runCLI(t, "", "diff", oldJSON, oldJSON); code != 0 {
		t.Errorf("a report against itself: exit %d, want 0", code)
	}
	if code, _, stderr := runCLI(t, "", "diff", oldJSON, filepath.Join(oldDir, "rbac.yaml")); code != 2 || !strings.Contains(stderr, "not a scan report") {
		t.Errorf("a YAML file as report: exit %d, %s", code, stderr)
	}
}
