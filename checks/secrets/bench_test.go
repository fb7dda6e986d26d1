package secrets_test

import (
	"fmt"
	"testing"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/check/checktest"
	"github.com/kubeharden/kubeharden/checks/secrets"
	"github.com/kubeharden/kubeharden/internal/gen"
	"github.com/kubeharden/kubeharden/inventory"
)

// BenchmarkChecks runs each check of the package over generated clusters (internal/gen).
func BenchmarkChecks(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		var objs []*inventory.Object
		for _, o := range gen.Objects(n, 1) {
			objs = append(objs, inventory.New(o, inventory.Source{File: "gen.yaml", Line: 1}, nil))
		}
		inv := inventory.Build(objs)
		for _, c := range secrets.Checks() {
			b.Run(fmt.Sprintf("%s/%d", c.ID, n), func(b *testing.B) {
				for b.Loop() {
					check.Run(inv, nil, nil, []*check.Check{c})
				}
			})
		}
	}
}

// BenchmarkPractice runs the checks of the package over the generator's multitenant profile
// at 1,000 and 10,000 workloads, with a new inventory each time so the engines are built
// again: what `scan --check 'secrets/*'` adds to loading. The growth from 1,000 to 10,000 is
// what issue 19 bounds (at most ×11).
func BenchmarkPractice(b *testing.B) {
	checktest.BenchWith(b, secrets.Checks(), checktest.BenchOptions{Profile: "multitenant", Sizes: []int{1000, 10000}, Fresh: true})
}
