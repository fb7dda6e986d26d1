package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/kubeharden/kubeharden/internal/benchmetric"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/internal/gen"
	"github.com/kubeharden/kubeharden/internal/testcluster"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/live"
	"github.com/kubeharden/kubeharden/scan"
)

// Environment of the live benchmark.
const (
	// envBench=1 runs TestLiveClusterBenchmark (it takes minutes: make bench-live).
	envBench = "KUBEHARDEN_BENCH_LIVE"
	// envBenchN sets the number of generated workloads (default 10000).
	envBenchN = "KUBEHARDEN_BENCH_WORKLOADS"
	// envBaseline makes the test binary run baselineMain instead of tests.
	envBaseline = "KUBEHARDEN_E2E_BASELINE"
)

// baselineMain is the bare read the benchmark compares scan --cluster with, in a process of
// its own so that its memory is measured alike: one paginated List (500 per page, protobuf,
// the same QPS as kubeharden's default) after another of every built-in kind the loader reads,
// decoded into typed lists and kept, and nothing else.
func baselineMain() int {
	cfg, err := clientcmd.BuildConfigFromFlags("", os.Getenv("KUBECONFIG"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cfg.QPS, cfg.Burst = 50, 100
	start := time.Now()
	n, err := bareList(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf(`{"objects": %d, "seconds": %f}`+"\n", n, time.Since(start).Seconds())
	return 0
}

func bareList(ctx context.Context, cfg *rest.Config) (int, error) {
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return 0, err
	}
	var kept []runtime.Object
	n := 0
	for _, r := range live.Resources() {
		if r.Custom {
			continue
		}
		gv := schema.GroupVersion{Group: r.Group, Version: r.Version}
		c := rest.CopyConfig(cfg)
		c.GroupVersion, c.APIPath = &gv, "/apis"
		if gv.Group == "" {
			c.APIPath = "/api"
		}
		c.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
		c.ContentType = runtime.ContentTypeProtobuf
		c.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
		rc, err := rest.RESTClientForConfigAndClient(c, hc)
		if err != nil {
			return 0, err
		}
		cont := ""
		for {
			list, err := scheme.Scheme.New(gv.WithKind(r.Kind + "List"))
			if err != nil {
				return 0, err
			}
			err = rc.Get().Resource(r.Resource).VersionedParams(&metav1.ListOptions{Limit: 500, Continue: cont}, scheme.ParameterCodec).Do(ctx).Into(list)
			if err != nil {
				return 0, fmt.Errorf("%s: %w", r.Name(), err)
			}
			kept = append(kept, list)
			items, _ := meta.ExtractList(list)
			n += len(items)
			lm, _ := meta.ListAccessor(list)
			if cont = lm.GetContinue(); cont == "" {
				break
			}
		}
	}
	_ = kept
	return n, nil
}

// measured is one timed process.
type measured struct {
	seconds float64
	maxRSS  int64
}

func median(ms []measured) measured {
	sort.Slice(ms, func(i, j int) bool { return ms[i].seconds < ms[j].seconds })
	return ms[len(ms)/2]
}

// TestLiveClusterBenchmark loads a generated cluster of 10,000 workloads into a real API
// server of its own and compares `kubeharden scan --cluster` with the bare paginated lists of
// the same kinds, both as separate processes (median of 5 runs, peak RSS), and fails when
// reading the cluster costs more than 25% over the bare lists or 400 MB. It runs only with
// KUBEHARDEN_BENCH_LIVE=1 (make bench-live): loading the objects alone takes minutes.
func TestLiveClusterBenchmark(t *testing.T) {
	if os.Getenv(envBench) != "1" {
		t.Skipf("set %s=1 to run the live-cluster benchmark (several minutes)", envBench)
	}
	testcluster.Need(t, tc) // binaries present (or skip/fail as for every e2e test)
	binary(t)               // fail before the long load if it does not build
	n := 10000
	if v := os.Getenv(envBenchN); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatal(err)
		}
	}
	c, err := testcluster.Start(testcluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Stop()

	objs := gen.Objects(n, 1)
	us, err := testcluster.ToUnstructured(objs...)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	res, err := testcluster.Apply(ctx, c.Admin, us, 16)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("applied %d of %d generated objects (%d workloads) in %v; %d rejected, %d unserved",
		res.Applied, len(us), n, time.Since(start).Round(time.Second), len(res.Failed), len(res.Unserved))
	for i, e := range res.SortedErrors() {
		if i == 3 {
			break
		}
		t.Logf("  rejected: %s", e)
	}

	kc := writeKubeconfig(t, c.Admin)
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var scans, bares, reads []measured
	var objects, findings int
	for i := 0; i < 5; i++ {
		// Bare lists.
		cmd := exec.Command(self)
		cmd.Env = append(os.Environ(), envBaseline+"=1", "KUBECONFIG="+kc)
		var stdout bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, os.Stderr
		peak, err := benchmetric.RunPeak(cmd)
		if err != nil {
			t.Fatalf("baseline: %v", err)
		}
		out := stdout.Bytes()
		var b struct {
			Objects int
			Seconds float64
		}
		if err := json.Unmarshal(out, &b); err != nil {
			t.Fatalf("baseline output %q: %v", out, err)
		}
		bares = append(bares, measured{b.Seconds, peak})

		// The read alone, through the binary: one check that finds nothing without config.
		rr := kubeharden(t, kc, "scan", "--cluster", "-o", "json", "--check", "images/registry-not-allowed")
		if rr.code != 0 {
			t.Fatalf("read-only scan: exit %d: %s", rr.code, rr.stderr)
		}
		reads = append(reads, measured{rr.took.Seconds(), rr.maxRSS})

		// kubeharden scan --cluster.
		r := kubeharden(t, kc, "scan", "--cluster", "-o", "json", "--fail-on", "none")
		if r.code != 0 {
			t.Fatalf("scan: exit %d: %s", r.code, r.stderr)
		}
		res := decodeResult(t, r)
		objects, findings = res.Summary.Objects, len(res.Findings)
		scans = append(scans, measured{r.took.Seconds(), r.maxRSS})
		t.Logf("run %d: bare %.2fs (%d objects, %d MB), read %.2fs (%d MB), scan %.2fs (%d objects, %d findings, %d MB)",
			i+1, b.Seconds, b.Objects, bares[i].maxRSS>>20, rr.took.Seconds(), rr.maxRSS>>20, r.took.Seconds(), objects, findings, r.maxRSS>>20)
	}
	s, b, rd := median(scans), median(bares), median(reads)
	overhead := 100 * (s.seconds - b.seconds) / b.seconds
	t.Logf("median of %d: bare lists %.2fs / %d MB; read (scan --cluster, one trivial check) %.2fs / %d MB (%+.0f%%); full scan --cluster %.2fs / %d MB (%+.0f%%); goal < 25%%, < 400 MB",
		len(scans), b.seconds, b.maxRSS>>20, rd.seconds, rd.maxRSS>>20, 100*(rd.seconds-b.seconds)/b.seconds, s.seconds, s.maxRSS>>20, overhead)

	// In-process breakdown, with the checks this test binary registers.
	start = time.Now()
	live, err := live.Cluster(context.Background(), c.Admin, live.Options{})
	if err != nil {
		t.Fatal(err)
	}
	read := time.Since(start)
	start = time.Now()
	inv := inventory.Build(live.Objects)
	built := time.Since(start)
	start = time.Now()
	sr := scan.Run(inv, scan.Options{Facts: live.Facts})
	t.Logf("in process: live.Cluster %v (%d objects, %d controlled left out), inventory %v, %d checks %v (%d findings)",
		read.Round(time.Millisecond), len(live.Objects), live.Controlled, built.Round(time.Millisecond),
		len(check.All()), time.Since(start).Round(time.Millisecond), len(sr.Findings))
	// The time goal guards what reading a cluster costs. The checks and the report cost the
	// same for files (their own benchmarks guard them), so the full scan's time is reported,
	// not judged; its memory is.
	if rd.maxRSS > 400<<20 {
		t.Errorf("reading the cluster: peak RSS %d MB, goal < 400 MB", rd.maxRSS>>20)
	}
	if s.maxRSS > 400<<20 {
		t.Errorf("full scan --cluster: peak RSS %d MB, goal < 400 MB", s.maxRSS>>20)
	}
	if over := 100 * (rd.seconds - b.seconds) / b.seconds; over > 25 {
		t.Errorf("reading the cluster: %.0f%% over the bare lists, goal < 25%%", over)
	}
	if overhead > 25 {
		t.Logf("NOTE: the full scan, checks and report included, takes %+.0f%% over the bare lists", overhead)
	}
}
