package netpol_test

import (
	"testing"

	"github.com/kubeharden/kubeharden/internal/gen"
	"github.com/kubeharden/kubeharden/netpol"
)

func BenchmarkZZFromInventory(b *testing.B) {
	inv := gen.Inventory(10000, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		netpol.FromInventory(inv)
	}
}
