package ingress_test

import (
	"fmt"
	"testing"

	"github.com/kubeharden/kubeharden/check/checktest"
	"github.com/kubeharden/kubeharden/checks/ingress"
	"github.com/kubeharden/kubeharden/exposure"
	"github.com/kubeharden/kubeharden/internal/gen"
)

// BenchmarkChecks runs every ingress check over generated clusters.
func BenchmarkChecks(b *testing.B) { checktest.Bench(b, ingress.Checks()) }

// BenchmarkExposure lists the entry points of generated clusters.
func BenchmarkExposure(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		inv := gen.Inventory(n, 1)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var entries int
			for i := 0; i < b.N; i++ {
				entries = len(exposure.List(inv, checktest.Now))
			}
			b.ReportMetric(float64(entries), "entries")
		})
	}
}
