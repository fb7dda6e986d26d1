package scan_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kubeharden/kubeharden/check"
	_ "github.com/kubeharden/kubeharden/checks/all"
	"github.com/kubeharden/kubeharden/internal/benchmetric"
	"github.com/kubeharden/kubeharden/internal/gen"
	"github.com/kubeharden/kubeharden/internal/memlimit"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
)

// The load+scan benchmarks read a generated cluster (internal/gen, seed 1) written as one
// file per namespace and run every registered check over it, at 100, 1,000 and 10,000
// workloads, in both generator profiles: default (about 2.3 objects a workload) and
// multitenant (3.6 objects and 10 findings a workload, RBAC-heavy). docs/performance.md
// records the results.
var sizes = []int{100, 1000, 10000}

// cases are the benchmark's sub-benchmarks; the default profile keeps its old names so
// earlier results compare.
var cases = func() (out []benchCase) {
	for _, p := range []string{"default", "multitenant"} {
		for _, n := range sizes {
			name := fmt.Sprintf("workloads=%d", n)
			if p != "default" {
				name = fmt.Sprintf("profile=%s/workloads=%d", p, n)
			}
			out = append(out, benchCase{name, gen.Options{Profile: p}, n})
		}
	}
	return out
}()

type benchCase struct {
	name string
	opt  gen.Options
	n    int
}

var (
	mu   sync.Mutex
	dirs = map[benchCase]string{}
	root string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if root != "" {
		os.RemoveAll(root)
	}
	os.Exit(code)
}

func cluster(b *testing.B, c benchCase) string {
	mu.Lock()
	defer mu.Unlock()
	if d, ok := dirs[c]; ok {
		return d
	}
	if root == "" {
		r, err := os.MkdirTemp("", "kubeharden-bench-")
		if err != nil {
			b.Fatal(err)
		}
		root = r
	}
	d := filepath.Join(root, c.opt.Profile+"-"+strconv.Itoa(c.n))
	if _, err := c.opt.WriteDir(d, c.n, 1); err != nil {
		b.Fatal(err)
	}
	dirs[c] = d
	return d
}

func loadAndScan(b *testing.B, dir string) *scan.Result {
	objs, errs := load.Files([]string{dir}, load.Options{})
	if len(errs) > 0 {
		b.Fatal(errs[0])
	}
	inv := inventory.Build(objs)
	_, stop := memlimit.Fit() // as the CLI does
	defer stop()
	return scan.Run(inv, scan.Options{Now: time.Unix(1_800_000_000, 0), ReleaseEngines: true})
}

// BenchmarkLoadScan is what `kubeharden scan DIR` does, without printing: load every file,
// index the inventory, fit the memory limit to it, run every registered check, apply
// suppressions, summarise. It also
// reports the CPU time per scan (user+system, all cores) and the peak resident memory of
// one scan.
func BenchmarkLoadScan(b *testing.B) {
	b.Logf("%d checks registered", len(check.All()))
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			dir := cluster(b, c)
			var r *scan.Result
			peak := benchmetric.PeakRSS(func() { r = loadAndScan(b, dir) })
			b.ReportAllocs()
			b.ResetTimer()
			cpu := benchmetric.CPUTime()
			for i := 0; i < b.N; i++ {
				r = loadAndScan(b, dir)
			}
			b.ReportMetric(float64(benchmetric.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(r.Summary.Objects), "objects")
			b.ReportMetric(float64(len(r.Findings)), "findings")
			if peak > 0 {
				b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
			}
			// The testing package keeps this closure, and so r, after it returns: let go of
			// the result, or the next run (-count) measures its memory too.
			r = nil
		})
	}
}

// BenchmarkLoadScanOneFile is BenchmarkLoadScan on the multitenant cluster written as one
// file, as issue 19 measures the binary (`gencluster -o - > mt.yaml`; scan mt.yaml): the
// loader decodes the one file's documents on every core.
func BenchmarkLoadScanOneFile(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("profile=multitenant/workloads=%d", n), func(b *testing.B) {
			file := filepath.Join(b.TempDir(), "cluster.yaml")
			f, err := os.Create(file)
			if err != nil {
				b.Fatal(err)
			}
			if err := (gen.Options{Profile: "multitenant"}).WriteYAML(f, n, 1); err != nil {
				b.Fatal(err)
			}
			if err := f.Close(); err != nil {
				b.Fatal(err)
			}
			var r *scan.Result
			peak := benchmetric.PeakRSS(func() { r = loadAndScan(b, file) })
			b.ReportAllocs()
			b.ResetTimer()
			cpu := benchmetric.CPUTime()
			for i := 0; i < b.N; i++ {
				r = loadAndScan(b, file)
			}
			b.ReportMetric(float64(benchmetric.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(r.Summary.Objects), "objects")
			b.ReportMetric(float64(len(r.Findings)), "findings")
			if peak > 0 {
				b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
			}
			r = nil // as in BenchmarkLoadScan
		})
	}
}

// BenchmarkScan is the checks alone on an inventory loaded beforehand: what the checks
// add on top of loading.
func BenchmarkScan(b *testing.B) {
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			objs, errs := load.Files([]string{cluster(b, c)}, load.Options{})
			if len(errs) > 0 {
				b.Fatal(errs[0])
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := benchmetric.CPUTime()
			var r *scan.Result
			for i := 0; i < b.N; i++ {
				r = scan.Run(inventory.Build(objs), scan.Options{Now: time.Unix(1_800_000_000, 0)})
			}
			b.ReportMetric(float64(benchmetric.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(len(r.Findings)), "findings")
			r = nil // as in BenchmarkLoadScan
		})
	}
}

// BenchmarkNamespaceScope is what --include-namespace, --exclude-namespace and --by namespace
// add to a scan, on the findings of a full scan of the generated cluster: the findings
// filtered, the objects counted and every namespace scored (scan.ScopeFindings). The scan
// itself runs once, before the timer.
func BenchmarkNamespaceScope(b *testing.B) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("workloads=%d", n), func(b *testing.B) {
			objs, errs := load.Files([]string{cluster(b, benchCase{n: n})}, load.Options{})
			if len(errs) > 0 {
				b.Fatal(errs[0])
			}
			inv := inventory.Build(objs)
			r := scan.Run(inv, scan.Options{Now: time.Unix(1_800_000_000, 0)})
			ns := scan.Namespaces{Include: []string{"*"}, Exclude: []string{"*-3*"}}
			fs := make([]check.Finding, len(r.Findings))
			b.ReportAllocs()
			b.ResetTimer()
			cpu := benchmetric.CPUTime()
			var rows []scan.NamespaceScore
			for i := 0; i < b.N; i++ {
				copy(fs, r.Findings)
				_, rows = scan.ScopeFindings(inv, fs, ns, true)
			}
			b.ReportMetric(float64(benchmetric.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(len(r.Findings)), "findings")
			b.ReportMetric(float64(len(rows)), "namespaces")
		})
	}
}

// BenchmarkScanPractice is BenchmarkScan for one practice's checks at a time on the
// multitenant profile at 1,000 and 10,000 workloads: the growth per practice that issue 19
// bounds (at most ×11 in time for ×10 workloads).
func BenchmarkScanPractice(b *testing.B) {
	practices := map[string][]*check.Check{}
	var names []string
	for _, c := range check.All() {
		p := c.Practice()
		if practices[p] == nil {
			names = append(names, p)
		}
		practices[p] = append(practices[p], c)
	}
	for _, p := range names {
		for _, n := range []int{1000, 10000} {
			c := benchCase{opt: gen.Options{Profile: "multitenant"}, n: n}
			b.Run(fmt.Sprintf("practice=%s/workloads=%d", p, n), func(b *testing.B) {
				objs, errs := load.Files([]string{cluster(b, c)}, load.Options{})
				if len(errs) > 0 {
					b.Fatal(errs[0])
				}
				b.ReportAllocs()
				b.ResetTimer()
				cpu := benchmetric.CPUTime()
				var r *scan.Result
				for i := 0; i < b.N; i++ {
					r = scan.Run(inventory.Build(objs), scan.Options{Checks: practices[p], Now: time.Unix(1_800_000_000, 0)})
				}
				b.ReportMetric(float64(benchmetric.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
				b.ReportMetric(float64(len(r.Findings)), "findings")
				r = nil
			})
		}
	}
}
