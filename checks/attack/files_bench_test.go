package attack_test

import (
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubeharden/kubeharden/check"
	_ "github.com/kubeharden/kubeharden/checks/all"
	"github.com/kubeharden/kubeharden/internal/benchmetric"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
)

// BenchmarkScanFiles is `scan FILES --check PATTERNS` in process, on manifests too large to
// generate on every run (100,000 workloads take internal/gen minutes and 213 MB), for
// profiling with -cpuprofile:
//
//	KUBEHARDEN_BENCH_FILES=DIR_OR_FILES    files or directories, separated as in PATH
//	KUBEHARDEN_BENCH_CHECKS=attack/*       check ID globs, comma-separated (default attack/*);
//	                                       groups separated by ; run one after the other
//	                                       (sub-benchmarks) on the same loaded objects
//	KUBEHARDEN_BENCH_HEAP=FILE             a heap profile taken after the checks ran, while the
//	                                       inventory and the engines it holds are live
//
// It is skipped when KUBEHARDEN_BENCH_FILES is unset. Loading is outside the timer.
func BenchmarkScanFiles(b *testing.B) {
	files := os.Getenv("KUBEHARDEN_BENCH_FILES")
	if files == "" {
		b.Skip("KUBEHARDEN_BENCH_FILES names no manifests")
	}
	objs, errs := load.Files(filepath.SplitList(files), load.Options{})
	if len(errs) > 0 {
		b.Fatal(errs[0])
	}
	groups := strings.Split(os.Getenv("KUBEHARDEN_BENCH_CHECKS"), ";")
	for i, group := range groups {
		if group == "" {
			group = "attack/*"
		}
		heap := os.Getenv("KUBEHARDEN_BENCH_HEAP")
		if heap != "" && len(groups) > 1 {
			heap += "." + strconv.Itoa(i)
		}
		b.Run("checks="+group, func(b *testing.B) { scanFiles(b, objs, group, heap) })
	}
}

func scanFiles(b *testing.B, objs []*inventory.Object, group, heap string) {
	checks := check.Matching(check.All(), strings.Split(group, ","))
	if len(checks) == 0 {
		b.Fatalf("no check matches %q", group)
	}
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := benchmetric.CPUTime()
	var r *scan.Result
	var inv *inventory.Inventory
	for i := 0; i < b.N; i++ {
		inv = inventory.Build(objs)
		r = scan.Run(inv, scan.Options{Checks: checks, Now: time.Unix(1_800_000_000, 0)})
	}
	b.StopTimer()
	b.ReportMetric(float64(benchmetric.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(len(objs)), "objects")
	b.ReportMetric(float64(len(r.Findings)), "findings")
	if heap != "" {
		runtime.GC()
		f, err := os.Create(heap)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.WriteHeapProfile(f); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	runtime.KeepAlive(inv)
	r, inv = nil, nil
}
