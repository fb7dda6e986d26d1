package check

import (
	"testing"

	"github.com/kubeharden/kubeharden/inventory"
)

// TestManyFindingsInOnePass: a pass gathers its findings in chunks of growing size; one that
// reports 100,000 findings (a check at 100,000 workloads) must keep them all.
func TestManyFindingsInOnePass(t *testing.T) {
	const n = 100_000
	many := &Check{ID: "images/many", Title: "t", Doc: "d", Severity: Low, Run: func(p *Pass) {
		o := p.Inv.ByKind("Pod")[0]
		for range n {
			p.Reportf(o, "spec", "bad")
		}
	}}
	fs, errs := Run(inventory.Build([]*inventory.Object{pod("a", nil)}), nil, nil, []*Check{many})
	if len(errs) > 0 || len(fs) != n {
		t.Fatalf("%d findings, errors %v; want %d findings", len(fs), errs, n)
	}
}
