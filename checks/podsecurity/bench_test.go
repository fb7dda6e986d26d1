package podsecurity_test

import (
	"fmt"
	"testing"

	"github.com/kubeharden/kubeharden/check/checktest"
	"github.com/kubeharden/kubeharden/checks/podsecurity"
	"github.com/kubeharden/kubeharden/internal/gen"
	"github.com/kubeharden/kubeharden/psa"
)

// BenchmarkChecks runs every podsecurity check over generated clusters.
func BenchmarkChecks(b *testing.B) { checktest.Bench(b, podsecurity.Checks()) }

// BenchmarkPlan plans every namespace of generated clusters.
func BenchmarkPlan(b *testing.B) {
	ev, err := psa.New(psa.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1000, 10000} {
		inv := gen.Inventory(n, 1)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				ev.PlanAll(inv, psa.PlanOptions{})
			}
		})
	}
}
