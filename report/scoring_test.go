package report

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/scan"
)

// TestScoringDocExample runs the worked example of docs/scoring.md through scan.Run (the real
// scoring and suppression) and the table, and compares with the summary the page shows.
func TestScoringDocExample(t *testing.T) {
	var objs []*inventory.Object
	for i := range 40 {
		u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": fmt.Sprintf("cm-%d", i), "namespace": "app"}}}
		objs = append(objs, inventory.New(u, inventory.Source{File: "app.yaml", Line: 1 + 5*i}, nil))
	}
	inv := inventory.Build(objs)
	// reporter returns a check that reports n findings of severity sev, on objects 0..n-1.
	reporter := func(id string, sev check.Severity, n int) *check.Check {
		return &check.Check{ID: id, Title: id, Doc: id, Severity: sev, Run: func(p *check.Pass) {
			for i := range n {
				p.Reportf(objs[i], "data", "finding %d", i)
			}
		}}
	}
	checks := []*check.Check{
		reporter("podsecurity/example", check.Critical, 1),
		reporter("network/example", check.High, 2),
		reporter("rbac/example", check.High, 3), // two of them suppressed below
		reporter("images/medium", check.Medium, 4),
		reporter("images/low", check.Low, 6),
		reporter("versions/example", check.Info, 5),
		reporter("resources/example", check.Medium, 0),
	}
	cfg := &config.Config{Path: ".kubeharden.yaml", Exceptions: []config.Exception{
		{Check: "rbac/example", Name: "cm-[12]", Reason: "accepted"},
	}}
	r := scan.Run(inv, scan.Options{Config: cfg, Checks: checks, Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	out := render(t, r, Options{Format: "table"})
	lines := strings.Split(strings.TrimSpace(out), "\n")
	got := strings.Join(lines[len(lines)-2:], "\n")

	doc, err := os.ReadFile("../docs/scoring.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(doc), "The table ends with:\n\n```\n")
	want, _, ok2 := strings.Cut(block, "\n```")
	if !ok || !ok2 {
		t.Fatal("docs/scoring.md has no example table summary")
	}
	if got != want {
		t.Errorf("docs/scoring.md shows\n%s\nbut the scan prints\n%s", want, got)
	}
}
