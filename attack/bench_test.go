package attack_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/kubeharden/kubeharden/attack"
	"github.com/kubeharden/kubeharden/internal/benchmetric"
	"github.com/kubeharden/kubeharden/internal/gen"
	"github.com/kubeharden/kubeharden/inventory"
)

// allPaths is the work of `kubeharden attack-paths` after loading: build the engines, find
// every path from the internet to the three targets, rank the choke points.
func allPaths(tb testing.TB, inv *inventory.Inventory) ([]*attack.Path, []attack.Choke) {
	g, err := attack.Analyze(inv, attack.Options{Now: now, RBACDefaults: true})
	if err != nil {
		tb.Fatal(err)
	}
	ps, err := g.Paths(attack.Query{})
	if err != nil {
		tb.Fatal(err)
	}
	cs, err := g.ChokePoints(ps)
	if err != nil {
		tb.Fatal(err)
	}
	return ps, cs
}

func benchPaths(b *testing.B, inv *inventory.Inventory) {
	b.ReportAllocs()
	b.ResetTimer()
	cpu := benchmetric.CPUTime()
	var ps []*attack.Path
	for i := 0; i < b.N; i++ {
		ps, _ = allPaths(b, inv)
	}
	b.ReportMetric(float64(benchmetric.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(len(ps)), "paths")
}

// BenchmarkPaths runs allPaths on generated clusters of both profiles: the default mix, and
// the multitenant one whose group bindings (system:serviceaccounts, system:authenticated)
// give every service account somewhere to go.
func BenchmarkPaths(b *testing.B) {
	for _, p := range gen.Profiles {
		for _, n := range []int{1000, 10000} {
			b.Run(fmt.Sprintf("profile=%s/workloads=%d", p, n), func(b *testing.B) {
				benchPaths(b, gen.Options{Profile: p}.Inventory(n, 1))
			})
		}
	}
}

// TestScale10k holds the goal: every path on a generated cluster of 10,000 workloads in
// under 5 s. It logs wall and CPU time, which moves less on a loaded machine.
func TestScale10k(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 workloads: not in -short")
	}
	inv := gen.Inventory(10000, 1)
	start, cpu := time.Now(), benchmetric.CPUTime()
	ps, cs := allPaths(t, inv)
	wall, used := time.Since(start), time.Duration(benchmetric.CPUTime()-cpu)
	by := map[attack.Kind]int{}
	for _, p := range ps {
		by[p.To.Kind]++
	}
	t.Logf("10,000 workloads (%d objects): %d paths %v, %d choke points; %v wall, %v CPU", inv.Len(), len(ps), fmt.Sprint(by), len(cs), wall.Round(time.Millisecond), used.Round(time.Millisecond))
	if len(ps) == 0 {
		t.Error("no paths: the generated cluster has exposed workloads with tokens and privileged pods")
	}
	if wall > 5*time.Second && used > 5*time.Second {
		t.Errorf("%v wall, %v CPU: want under 5 s", wall, used)
	}
}
