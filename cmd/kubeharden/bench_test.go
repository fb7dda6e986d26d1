//go:build linux

package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/kubeharden/kubeharden/internal/benchmetric"
	"github.com/kubeharden/kubeharden/internal/gen"
)

// BenchmarkScanBinary is what a user runs: the release build (static, no cgo) of
// `kubeharden scan DIR -o json` on a generated cluster (default and multitenant profiles)
// written one file per namespace, as a
// process of its own. It reports the process's CPU time (user+system) and peak resident
// memory, with kubeharden's memory policy (policy=fit, the default) and with Go's default
// collector settings (policy=gogc100: GOGC set, so the policy stands aside).
func BenchmarkScanBinary(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "kubeharden")
	build := exec.Command("go", "build", "-trimpath", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		profile string
		n       int
	}{{"default", 1000}, {"default", 10000}, {"multitenant", 1000}, {"multitenant", 10000}} {
		n := tc.n
		cluster := filepath.Join(dir, fmt.Sprint(tc.profile, n))
		if _, err := (gen.Options{Profile: tc.profile}).WriteDir(cluster, n, 1); err != nil {
			b.Fatal(err)
		}
		prefix := ""
		if tc.profile != "default" {
			prefix = "profile=" + tc.profile + "/" // the default keeps the names of earlier results
		}
		for _, policy := range []string{"fit", "gogc100"} {
			b.Run(fmt.Sprintf("%sworkloads=%d/policy=%s", prefix, n, policy), func(b *testing.B) {
				var cpu, peak int64
				for i := 0; i < b.N; i++ {
					cmd := exec.Command(bin, "scan", cluster, "-o", "json", "--fail-on", "none")
					cmd.Env = withoutGCSettings(os.Environ())
					if policy == "gogc100" {
						cmd.Env = append(cmd.Env, "GOGC=100")
					}
					cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
					p, err := benchmetric.RunPeak(cmd)
					if err != nil {
						b.Fatal(err)
					}
					ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
					cpu += ru.Utime.Nano() + ru.Stime.Nano()
					peak = max(peak, p)
				}
				b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
				b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
			})
		}
	}
}

// withoutGCSettings drops GOGC and GOMEMLIMIT, which would make the policy stand aside.
func withoutGCSettings(env []string) []string {
	return slices.DeleteFunc(env, func(kv string) bool {
		return strings.HasPrefix(kv, "GOGC=") || strings.HasPrefix(kv, "GOMEMLIMIT=")
	})
}
