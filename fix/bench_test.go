package fix_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kubeharden/kubeharden/fix"
	"github.com/kubeharden/kubeharden/internal/benchmetric"
	"github.com/kubeharden/kubeharden/internal/gen"
	"github.com/kubeharden/kubeharden/internal/memlimit"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
)

// BenchmarkFix is what `kubeharden fix DIR` does, without printing the diff: load a
// generated cluster (internal/gen, seed 1, one file per namespace), run every check, and
// work out every file change. It reports CPU time per run and the number of changes.
func BenchmarkFix(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("workloads=%d", n), func(b *testing.B) {
			dir := filepath.Join(b.TempDir(), "cluster")
			if _, err := gen.WriteDir(dir, n, 1); err != nil {
				b.Fatal(err)
			}
			var res *fix.Result
			b.ResetTimer()
			cpu := benchmetric.CPUTime()
			for i := 0; i < b.N; i++ {
				res = fixDir(b, dir)
			}
			b.ReportMetric(float64(benchmetric.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(len(res.Changes)), "files")
			b.ReportMetric(float64(res.Fixed), "fixed")
			if len(res.Skipped) > 0 {
				b.Logf("%d skipped, first: %+v", len(res.Skipped), res.Skipped[0])
			}
		})
	}
}

func fixDir(b *testing.B, dir string) *fix.Result {
	objs, errs := load.Files([]string{dir}, load.Options{})
	if len(errs) > 0 {
		b.Fatal(errs[0])
	}
	inv := inventory.Build(objs)
	_, stop := memlimit.Fit()
	defer stop()
	r := scan.Run(inv, scan.Options{Now: time.Unix(1_800_000_000, 0)})
	return fix.Plan(inv, r.Findings, fix.Options{Read: os.ReadFile})
}
