package podsecurity_test

import (
	"fmt"
	"testing"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/podsecurity"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/internal/gen"
	"github.com/kubeharden/kubeharden/psa"
)

// BenchmarkChecks runs every podsecurity check over generated clusters.
func BenchmarkChecks(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		inv := gen.Inventory(n, 1)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var findings int
			for i := 0; i < b.N; i++ {
				fs, errs := check.Run(inv, &config.Config{}, nil, podsecurity.Checks())
				if len(errs) > 0 {
					b.Fatal(errs)
				}
				findings = len(fs)
			}
			b.ReportMetric(float64(findings), "findings")
		})
	}
}

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
