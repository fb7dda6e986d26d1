package monitor_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeharden/kubeharden/internal/benchmetric"
	"github.com/kubeharden/kubeharden/internal/gen"
	"github.com/kubeharden/kubeharden/internal/testcluster"
	"github.com/kubeharden/kubeharden/monitor"
)

// TestMonitorBenchmark loads the live benchmark's generated cluster (internal/gen, 10,000
// workloads, seed 1) into an API server of its own, then measures the monitor: the initial
// sync and evaluation (goal: under 15 s and 600 MB peak RSS of this process), and the
// re-evaluation after single-object changes (goal: p99 under 50 ms). It runs only with
// KUBEHARDEN_BENCH_LIVE=1 (make bench-live): loading the objects takes minutes. With
// KUBEHARDEN_BENCH_PROFILE=PREFIX it writes PREFIX.cpu, a CPU profile of the single changes
// alone, and PREFIX.allocs0 and PREFIX.allocs1, allocation profiles before and after them
// (go tool pprof -base PREFIX.allocs0 PREFIX.allocs1 shows what the changes allocated).
func TestMonitorBenchmark(t *testing.T) {
	if os.Getenv("KUBEHARDEN_BENCH_LIVE") != "1" {
		t.Skip("set KUBEHARDEN_BENCH_LIVE=1 to run the monitor benchmark (several minutes)")
	}
	testcluster.Need(t, tc)
	n := 10000
	if v := os.Getenv("KUBEHARDEN_BENCH_WORKLOADS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatal(err)
		}
	}
	crds, err := readCRDs()
	if err != nil {
		t.Fatal(err)
	}
	c, err := testcluster.Start(testcluster.Options{CRDs: crds})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()
	us, err := testcluster.ToUnstructured(gen.Objects(n, 1)...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	start := time.Now()
	res, err := testcluster.Apply(ctx, c.Admin, us, 16)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("applied %d of %d generated objects (%d workloads) in %v", res.Applied, len(us), n, time.Since(start).Round(time.Second))
	us = nil

	evals := make(chan monitor.Evaluation, 1000)
	m, err := monitor.New(monitor.Options{Config: c.Admin, Debounce: 10 * time.Millisecond,
		OnEvaluated: func(e monitor.Evaluation) { evals <- e }})
	if err != nil {
		t.Fatal(err)
	}
	mctx, mcancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var ready time.Duration
	var cpu int64
	var first monitor.Evaluation
	peak := benchmetric.PeakRSS(func() {
		cpu0 := benchmetric.CPUTime()
		start := time.Now()
		go func() { done <- m.Run(mctx) }()
		select {
		case first = <-evals:
		case err := <-done:
			t.Fatalf("monitor stopped: %v", err)
		case <-time.After(5 * time.Minute):
			t.Fatal("no evaluation after 5 minutes")
		}
		ready = time.Since(start)
		cpu = benchmetric.CPUTime() - cpu0
	})
	defer func() { mcancel(); <-done }()
	t.Logf("initial sync and evaluation: %v wall, %v CPU, %d objects, %d findings (evaluation %v), peak RSS %d MB (this test process)",
		ready.Round(time.Millisecond), time.Duration(cpu).Round(time.Millisecond), first.Objects, first.Findings, first.Took.Round(time.Millisecond), peak>>20)

	// Single changes: an annotation on one Deployment at a time (of 100, in turn), each
	// evaluated alone.
	cs := kubernetes.NewForConfigOrDie(c.Admin)
	deps, err := cs.AppsV1().Deployments("").List(ctx, metav1.ListOptions{Limit: 100})
	if err != nil || len(deps.Items) == 0 {
		t.Fatalf("no deployments: %v", err)
	}
	// Evaluations of events that came during the first one are not single changes.
	for quiet := false; !quiet; {
		select {
		case e := <-evals:
			t.Logf("evaluation after the first, before the changes: %v, %d findings, full %v", e.Took.Round(time.Millisecond), e.Findings, e.Full)
		case <-time.After(time.Second):
			quiet = true
		}
	}
	var took, lag []time.Duration
	stopProfile := profileChanges(t, os.Getenv("KUBEHARDEN_BENCH_PROFILE"))
	cpu0 := benchmetric.CPUTime()
	// 300, so that the p99 is the third largest rather than the largest alone.
	const changes = 300
	for i := 0; i < changes; i++ {
		d := deps.Items[i%len(deps.Items)]
		patch := fmt.Sprintf(`{"metadata":{"annotations":{"bench":"%d"}}}`, i)
		if _, err := cs.AppsV1().Deployments(d.Namespace).Patch(ctx, d.Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		select {
		case e := <-evals:
			if e.Full {
				t.Errorf("change %d: every object was evaluated again", i)
			}
			took, lag = append(took, e.Took), append(lag, e.Lag)
		case <-time.After(time.Minute):
			t.Fatal("no evaluation a minute after a change")
		}
	}
	perChange := time.Duration((benchmetric.CPUTime() - cpu0) / changes)
	stopProfile()
	p := func(ds []time.Duration, q float64) time.Duration {
		s := append([]time.Duration(nil), ds...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		return s[min(len(s)-1, int(q*float64(len(s))))]
	}
	t.Logf("single change re-evaluation (%d changes): p50 %v, p99 %v; change to evaluated p50 %v, p99 %v (debounce 10 ms); %v CPU per change",
		changes, p(took, 0.5).Round(time.Millisecond), p(took, 0.99).Round(time.Millisecond),
		p(lag, 0.5).Round(time.Millisecond), p(lag, 0.99).Round(time.Millisecond), perChange.Round(time.Millisecond))

	slowest := make([]int, len(took))
	for i := range slowest {
		slowest[i] = i
	}
	sort.SliceStable(slowest, func(a, b int) bool { return took[slowest[a]] > took[slowest[b]] })
	for _, i := range slowest[:min(5, len(slowest))] {
		t.Logf("slow: change %d took %v", i, took[i].Round(100*time.Microsecond))
	}
	t.Logf("peak RSS from the start of the monitor to the end of the changes, reports written: %d MB", benchmetric.HighWater()>>20)

	if ready > 15*time.Second {
		t.Errorf("initial sync and evaluation took %v, goal < 15 s", ready)
	}
	if peak > 600<<20 {
		t.Errorf("peak RSS %d MB, goal < 600 MB", peak>>20)
	}
	if p99 := p(took, 0.99); p99 > 50*time.Millisecond {
		t.Errorf("single-change re-evaluation p99 %v, goal < 50 ms", p99)
	}
}

// profileChanges starts the profiles of the single changes when prefix is set, and returns
// what ends them.
func profileChanges(t *testing.T, prefix string) (stop func()) {
	if prefix == "" {
		return func() {}
	}
	write := func(name string, f func(*os.File) error) {
		out, err := os.Create(prefix + name)
		if err == nil {
			err = f(out)
			if cerr := out.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	allocs := func(f *os.File) error {
		// The profile is as of the last completed collection but one.
		runtime.GC()
		runtime.GC()
		return pprof.Lookup("allocs").WriteTo(f, 0)
	}
	write(".allocs0", allocs)
	cpu, err := os.Create(prefix + ".cpu")
	if err != nil {
		t.Fatal(err)
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		t.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := cpu.Close(); err != nil {
			t.Fatal(err)
		}
		write(".allocs1", allocs)
	}
}
