package checktest

import (
	"fmt"
	"testing"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/internal/benchmetric"
	"github.com/kubeharden/kubeharden/internal/gen"
	"github.com/kubeharden/kubeharden/inventory"
)

// Bench runs checks over generated clusters (internal/gen, seed 1) of 100, 1,000 and 10,000
// workloads, as one sub-benchmark each, and reports how many findings they made.
func Bench(b *testing.B, checks []*check.Check) { BenchWith(b, checks, BenchOptions{}) }

// BenchOptions say what BenchWith generates and measures.
type BenchOptions struct {
	// Profile is the generator's mix of objects (gen.Options.Profile): "" for the default,
	// "multitenant" for issue 19's RBAC-heavy clusters.
	Profile string
	// Sizes are the numbers of workloads; nil means 100, 1,000 and 10,000.
	Sizes []int
	// Fresh builds a new inventory each round, so that the engines are built again: what a
	// scan pays for the checks besides loading. The rounds also report allocations and CPU
	// time, which a loaded machine inflates less than wall time.
	Fresh bool
	// Baseline adds, per size, a run of no check over a fresh inventory ("/checks=none"):
	// what every practice pays before its checks.
	Baseline bool
}

// BenchWith is Bench with options. Sub-benchmarks are named by size alone for the default
// profile with the inventory built once ("1000"), else "profile=P/workloads=N".
func BenchWith(b *testing.B, checks []*check.Check, opts BenchOptions) {
	sizes := opts.Sizes
	if sizes == nil {
		sizes = []int{100, 1000, 10000}
	}
	profile := opts.Profile
	if profile == "" {
		profile = "default"
	}
	for _, n := range sizes {
		name := fmt.Sprint(n)
		if opts.Profile != "" || opts.Fresh {
			name = fmt.Sprintf("profile=%s/workloads=%d", profile, n)
		}
		var objs []*inventory.Object
		for _, o := range (gen.Options{Profile: opts.Profile}).Objects(n, 1) {
			objs = append(objs, inventory.New(o, inventory.Source{File: "gen.yaml", Line: len(objs) + 1}, nil))
		}
		inv := inventory.Build(objs)
		b.Run(name, func(b *testing.B) {
			if opts.Fresh {
				b.ReportAllocs()
			}
			cpu := benchmetric.CPUTime()
			var findings int
			for b.Loop() {
				if opts.Fresh {
					inv = inventory.Build(objs)
				}
				fs, errs := check.RunAt(inv, &config.Config{}, nil, checks, Now)
				if len(errs) > 0 {
					b.Fatal(errs)
				}
				findings = len(fs)
			}
			if opts.Fresh {
				b.ReportMetric(float64(benchmetric.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
			}
			b.ReportMetric(float64(findings), "findings")
		})
		if opts.Baseline {
			b.Run(name+"/checks=none", func(b *testing.B) {
				b.ReportAllocs()
				cpu := benchmetric.CPUTime()
				for b.Loop() {
					check.RunAt(inventory.Build(objs), &config.Config{}, nil, nil, Now)
				}
				b.ReportMetric(float64(benchmetric.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
			})
		}
	}
}
