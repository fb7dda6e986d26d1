package checktest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/check"
)

// noTag is a tiny check for testing the runner itself.
var noTag = &check.Check{
	ID: "images/demo-no-tag", Title: "demo", Doc: "demo", Severity: check.Low,
	Kinds: []string{check.Workloads}, Scope: check.ScopeObject,
	Run: func(p *check.Pass) {
		for _, pt := range p.Inv.PodTemplates() {
			for _, img := range pt.Images() {
				if !strings.Contains(img.Image, ":") {
					p.Reportf(pt.Owner, img.Path+".image", "no tag on %s", img.Image)
				}
			}
		}
	},
}

// recorder captures what the runner reports instead of failing the real test.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); panic("fatal") }
func (r *recorder) Helper()                           {}

func TestRunnerPasses(t *testing.T) {
	Run(t, "testdata/good", noTag)
}

func TestRunnerCatchesMissingAnnotation(t *testing.T) {
	r := &recorder{TB: t}
	Run(r, "testdata/missing", noTag)
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "pods.yaml:9: want images/demo-no-tag — unexpected finding") {
		t.Errorf("runner reported %q, want one unexpected finding at line 9", r.errors)
	}
}

func TestRunnerCatchesMissingFinding(t *testing.T) {
	r := &recorder{TB: t}
	Run(r, "testdata/extra", noTag)
	if len(r.errors) != 1 || !strings.Contains(r.errors[0], "pods.yaml:9: want images/demo-no-tag — missing finding") {
		t.Errorf("runner reported %q, want one missing finding at line 9", r.errors)
	}
}
