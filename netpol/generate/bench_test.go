package generate_test

import (
	"testing"

	"github.com/kubeharden/kubeharden/internal/gen"
	"github.com/kubeharden/kubeharden/netpol/generate"
)

// BenchmarkGenerate is netpol generate over a generated cluster of 10,000 workloads: what
// the network checks' fixes cost whenever a workload, Service or policy changes.
func BenchmarkGenerate(b *testing.B) {
	inv := gen.Inventory(10000, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		generate.Generate(inv, generate.Options{})
	}
}
