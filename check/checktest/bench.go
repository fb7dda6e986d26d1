package checktest

import (
	"fmt"
	"testing"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/internal/gen"
)

// Bench runs checks over generated clusters (internal/gen, seed 1) of 100, 1,000 and 10,000
// workloads, as one sub-benchmark each, and reports how many findings they made.
func Bench(b *testing.B, checks []*check.Check) {
	for _, n := range []int{100, 1000, 10000} {
		inv := gen.Inventory(n, 1)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var findings int
			for b.Loop() {
				fs, errs := check.RunAt(inv, &config.Config{}, nil, checks, Now)
				if len(errs) > 0 {
					b.Fatal(errs)
				}
				findings = len(fs)
			}
			b.ReportMetric(float64(findings), "findings")
		})
	}
}
