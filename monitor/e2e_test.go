package monitor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/kubeharden/kubeharden/check"
	_ "github.com/kubeharden/kubeharden/checks/all"
	"github.com/kubeharden/kubeharden/internal/cli"
	"github.com/kubeharden/kubeharden/internal/testcluster"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/monitor"
)

var tc *testcluster.Cluster

// TestMain starts one control plane with the CRDs of deploy/crds installed: envtest creates
// them through the real API server, which validates their schemas.
func TestMain(m *testing.M) {
	crds, err := readCRDs()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(testcluster.Main(m, &tc, testcluster.Options{CRDs: crds}))
}

func readCRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	files, err := filepath.Glob("../deploy/crds/*.yaml")
	if err != nil || len(files) != 4 {
		return nil, fmt.Errorf("deploy/crds: want 4 CRDs, found %d (%v)", len(files), err)
	}
	var out []*apiextensionsv1.CustomResourceDefinition
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(b, &crd); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out = append(out, &crd)
	}
	return out, nil
}

// running is a monitor started in the test process.
type running struct {
	m      *monitor.Monitor
	cancel context.CancelFunc
	done   chan error
}

func start(t *testing.T, opts monitor.Options) *running {
	t.Helper()
	m, err := monitor.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{m: m, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- m.Run(ctx) }()
	t.Cleanup(r.stop)
	deadline := time.Now().Add(60 * time.Second)
	for !m.Ready() {
		select {
		case err := <-r.done:
			t.Fatalf("monitor stopped before ready: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("monitor not ready after 60 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return r
}

func (r *running) stop() {
	if r.cancel == nil {
		return
	}
	r.cancel()
	<-r.done
	r.cancel = nil
}

// result is a report result or a scan finding, as both name it.
type result struct {
	Check, Severity, Kind, Namespace, Name, Path, Message string
	Suppressed                                            bool
}

func (r result) String() string {
	return fmt.Sprintf("%s [%s] %s %s/%s %s suppressed=%v: %s", r.Check, r.Severity, r.Kind, r.Namespace, r.Name, r.Path, r.Suppressed, r.Message)
}

// reports reads every report kubeharden wrote in api: results by report namespace.
func reports(t *testing.T, api monitor.ReportAPI) (map[string][]result, map[string][]*monitor.Report) {
	t.Helper()
	dyn := dynamic.NewForConfigOrDie(tc.Admin)
	byNS := map[string][]result{}
	reps := map[string][]*monitor.Report{}
	for _, cluster := range []bool{false, true} {
		list, err := dyn.Resource(api.GVR(cluster)).List(context.Background(), metav1.ListOptions{LabelSelector: monitor.ManagedByLabel + "=" + monitor.ManagedBy})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range list.Items {
			b, _ := json.Marshal(u.Object)
			var r monitor.Report
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
			reps[r.Namespace] = append(reps[r.Namespace], &r)
			for _, x := range r.Results {
				ref := x.Resources[0]
				byNS[r.Namespace] = append(byNS[r.Namespace], result{x.Policy, x.Severity, ref.Kind, ref.Namespace, ref.Name,
					x.Properties[monitor.PropPath], x.Message, x.Properties[monitor.PropSuppressed] == "true"})
			}
		}
	}
	for _, rs := range byNS {
		sortResults(rs)
	}
	return byNS, reps
}

func sortResults(rs []result) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].String() < rs[j].String() })
}

// scanCluster runs `kubeharden scan --cluster -o json` (in process) and returns its findings
// by report namespace.
func scanCluster(t *testing.T) map[string][]result {
	t.Helper()
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := testcluster.WriteKubeConfig(kc, tc.Admin); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := cli.Main([]string{"scan", "--cluster", "--kubeconfig", kc, "-o", "json", "--fail-on", "none"}, nil, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("scan --cluster: exit %d: %s", code, stderr.String())
	}
	var res struct{ Findings []check.Finding }
	if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	byNS := map[string][]result{}
	for _, f := range res.Findings {
		ns := f.Object.Namespace
		byNS[ns] = append(byNS[ns], result{f.Check, f.Severity.String(), f.Object.Kind, f.Object.Namespace, f.Object.Name, f.Path, f.Message, f.Suppressed})
	}
	for _, rs := range byNS {
		sortResults(rs)
	}
	return byNS
}

// difference describes how got differs from want, "" when equal.
func difference(got, want map[string][]result) string {
	var b strings.Builder
	nss := map[string]bool{}
	for ns := range got {
		nss[ns] = true
	}
	for ns := range want {
		nss[ns] = true
	}
	for ns := range nss {
		g, w := map[string]int{}, map[string]int{}
		for _, r := range got[ns] {
			g[r.String()]++
		}
		for _, r := range want[ns] {
			w[r.String()]++
		}
		for k, n := range w {
			if g[k] < n {
				fmt.Fprintf(&b, "  missing in %q: %s\n", ns, k)
			}
		}
		for k, n := range g {
			if w[k] < n {
				fmt.Fprintf(&b, "  unexpected in %q: %s\n", ns, k)
			}
		}
	}
	return b.String()
}

// within polls f until it returns "" or d passes, and returns how long it took.
func within(t *testing.T, d time.Duration, what string, f func() string) time.Duration {
	t.Helper()
	start := time.Now()
	var last string
	for time.Since(start) < d {
		if last = f(); last == "" {
			return time.Since(start)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if last = f(); last != "" {
		t.Fatalf("%s: not within %v:\n%s", what, d, last)
	}
	return time.Since(start)
}

func applyFiles(t *testing.T, paths ...string) []*unstructured.Unstructured {
	t.Helper()
	objs, errs := load.Files(paths, load.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var us []*unstructured.Unstructured
	for _, o := range objs {
		u, err := testcluster.ToUnstructured(o.Obj)
		if err != nil {
			t.Fatal(err)
		}
		us = append(us, u...)
	}
	applyObjects(t, us)
	return us
}

func applyObjects(t *testing.T, us []*unstructured.Unstructured) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := testcluster.Apply(ctx, tc.Admin, us, 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failed) > 0 {
		t.Fatalf("rejected: %s", strings.Join(res.SortedErrors(), "\n"))
	}
}

// scrape reads the monitor's metrics.
func scrape(t *testing.T, m *monitor.Monitor) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	m.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	return fams
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func counter(fams map[string]*dto.MetricFamily, name, lname, lvalue string) float64 {
	var n float64
	if f := fams[name]; f != nil {
		for _, m := range f.GetMetric() {
			if lname == "" || label(m, lname) == lvalue {
				n += m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	return n
}

// TestMonitor runs the scenario against the real API server: the insecure example
// applied → its findings in the reports within 5 s, equal to scan --cluster at rest; one
// Deployment fixed → its results gone within 5 s, by patches; a namespace deleted → its
// report gone within 5 s; the metrics count what the reports hold.
func TestMonitor(t *testing.T) {
	testcluster.Need(t, tc)
	r := start(t, monitor.Options{Config: tc.Admin})
	api := monitor.PolicyReportAPI

	applyFiles(t, "../examples/insecure")
	took := within(t, 5*time.Second, "reports after applying examples/insecure", func() string {
		got, _ := reports(t, api)
		if len(got["shop-frontend"]) == 0 || len(got["shop-api"]) == 0 || len(got["shop-db"]) == 0 {
			return fmt.Sprintf("no results yet for the example's namespaces (%d namespaces)", len(got))
		}
		return ""
	})
	t.Logf("examples/insecure: results in the reports after %v", took.Round(time.Millisecond))
	atRest(t, api)

	// Fix one Deployment: the pod spec of its hardened twin (examples/hardened), keeping its
	// selector, which cannot change.
	before, _ := reports(t, api)
	fams0 := scrape(t, r.m)
	applyObjects(t, []*unstructured.Unstructured{hardenedFrontend(t)})
	applied := time.Now()
	isFrontend := func(x result) bool {
		return x.Kind == "Deployment" && x.Namespace == "shop-frontend" && x.Name == "frontend"
	}
	want := scanCluster(t)
	var left []result
	for _, x := range want["shop-frontend"] {
		if isFrontend(x) {
			left = append(left, x)
		}
	}
	var had []result
	for _, x := range before["shop-frontend"] {
		if isFrontend(x) {
			had = append(had, x)
		}
	}
	if len(left) >= len(had) {
		t.Fatalf("the hardened Deployment has %d findings, the insecure one %d: not a fix", len(left), len(had))
	}
	within(t, 5*time.Second-time.Since(applied), "the fixed Deployment's results", func() string {
		got, _ := reports(t, api)
		return difference(map[string][]result{"": filter(got["shop-frontend"], isFrontend)}, map[string][]result{"": left})
	})
	took = time.Since(applied)
	t.Logf("frontend fixed: %d of its %d results gone after %v", len(had)-len(left), len(had), took.Round(time.Millisecond))
	fams1 := scrape(t, r.m)
	if c0, c1 := counter(fams0, "kubeharden_report_writes_total", "op", "create"), counter(fams1, "kubeharden_report_writes_total", "op", "create"); c1 != c0 {
		t.Errorf("the fix created %v reports; want patches only", c1-c0)
	}
	if p0, p1 := counter(fams0, "kubeharden_report_writes_total", "op", "patch"), counter(fams1, "kubeharden_report_writes_total", "op", "patch"); p1 <= p0 {
		t.Errorf("no report patched after the fix")
	}
	atRest(t, api)
	metricsMatchReports(t, r.m, api)

	// An exception annotated on an object: its results turn suppressed, though the change
	// moves no finding of the checks.
	isAPI := func(x result) bool { return x.Kind == "Deployment" && x.Namespace == "shop-api" && x.Name == "api" }
	var ignored []string
	for _, x := range filter(before["shop-api"], isAPI) {
		if !x.Suppressed && !slices.Contains(ignored, x.Check) && len(ignored) < 2 {
			ignored = append(ignored, x.Check)
		}
	}
	if len(ignored) == 0 {
		t.Fatal("the api Deployment has no results to suppress")
	}
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, check.IgnoreAnnotation, strings.Join(ignored, ",")+": accepted for the test")
	if _, err := kubernetes.NewForConfigOrDie(tc.Admin).AppsV1().Deployments("shop-api").Patch(context.Background(), "api",
		types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	took = within(t, 5*time.Second, "the exception's suppressed results", func() string {
		got, _ := reports(t, api)
		for _, x := range filter(got["shop-api"], isAPI) {
			if slices.Contains(ignored, x.Check) && !x.Suppressed {
				return "not suppressed yet: " + x.String()
			}
		}
		return ""
	})
	t.Logf("exception for %v on the api Deployment: its results suppressed after %v", ignored, took.Round(time.Millisecond))
	atRest(t, api)

	// Delete a namespace: no controller finishes the deletion here, so the namespace stays
	// Terminating with its objects; the monitor drops it at once.
	cs := kubernetes.NewForConfigOrDie(tc.Admin)
	if err := cs.CoreV1().Namespaces().Delete(context.Background(), "shop-db", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, reps := reports(t, api); len(reps["shop-db"]) == 0 {
		t.Fatal("shop-db had no report before its deletion")
	}
	took = within(t, 5*time.Second, "the deleted namespace's report", func() string {
		_, reps := reports(t, api)
		if n := len(reps["shop-db"]); n > 0 {
			return fmt.Sprintf("%d reports left in shop-db", n)
		}
		return ""
	})
	t.Logf("namespace shop-db deleted: its report gone after %v", took.Round(time.Millisecond))
	metricsMatchReports(t, r.m, api)
}

// hardenedFrontend is examples/insecure's frontend Deployment with the pod spec of
// examples/hardened's.
func hardenedFrontend(t *testing.T) *unstructured.Unstructured {
	t.Helper()
	find := func(path string) *unstructured.Unstructured {
		objs, errs := load.Files([]string{path}, load.Options{})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		for _, o := range objs {
			if o.Kind == "Deployment" && o.Name == "frontend" {
				us, err := testcluster.ToUnstructured(o.Obj)
				if err != nil {
					t.Fatal(err)
				}
				return us[0]
			}
		}
		t.Fatalf("%s: no Deployment frontend", path)
		return nil
	}
	insecure, hardened := find("../examples/insecure/frontend.yaml"), find("../examples/hardened/frontend.yaml")
	spec, _, _ := unstructured.NestedMap(hardened.Object, "spec", "template", "spec")
	if err := unstructured.SetNestedMap(insecure.Object, spec, "spec", "template", "spec"); err != nil {
		t.Fatal(err)
	}
	return insecure
}

func filter(rs []result, keep func(result) bool) []result {
	var out []result
	for _, r := range rs {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// atRest asserts that the reports hold exactly the findings of scan --cluster, but for
// namespaces being deleted (the monitor drops them at once; scan reads what is still there).
func atRest(t *testing.T, api monitor.ReportAPI) {
	t.Helper()
	want := scanCluster(t)
	nss, err := kubernetes.NewForConfigOrDie(tc.Admin).CoreV1().Namespaces().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, ns := range nss.Items {
		if ns.DeletionTimestamp != nil {
			delete(want, ns.Name)
			want[""] = filter(want[""], func(x result) bool { return x.Kind != "Namespace" || x.Name != ns.Name })
		}
	}
	n := 0
	for _, rs := range want {
		n += len(rs)
	}
	took := within(t, 5*time.Second, "reports equal to scan --cluster", func() string {
		got, _ := reports(t, api)
		return difference(got, want)
	})
	t.Logf("reports equal scan --cluster (%d findings in %d namespaces) after %v", n, len(want), took.Round(time.Millisecond))
}

// metricsMatchReports asserts that kubeharden_findings counts, per namespace, the failed
// results of the reports, and kubeharden_suppressed_findings the skipped ones.
func metricsMatchReports(t *testing.T, m *monitor.Monitor, api monitor.ReportAPI) {
	t.Helper()
	within(t, 5*time.Second, "metrics equal to reports", func() string {
		_, reps := reports(t, api)
		fams := scrape(t, m)
		fail, skip := map[string]int{}, map[string]int{}
		for ns, rs := range reps {
			for _, r := range rs {
				fail[ns] += r.Summary.Fail
				skip[ns] += r.Summary.Skip
			}
		}
		gf, gs := map[string]int{}, map[string]int{}
		for name, into := range map[string]map[string]int{"kubeharden_findings": gf, "kubeharden_suppressed_findings": gs} {
			if f := fams[name]; f != nil {
				for _, mm := range f.GetMetric() {
					into[label(mm, "namespace")] += int(mm.GetGauge().GetValue())
				}
			}
		}
		var b strings.Builder
		for _, p := range []struct {
			what      string
			rep, metr map[string]int
		}{{"fail", fail, gf}, {"skip", skip, gs}} {
			for ns := range merge(p.rep, p.metr) {
				if p.rep[ns] != p.metr[ns] {
					fmt.Fprintf(&b, "  namespace %q: reports %s %d, metrics %d\n", ns, p.what, p.rep[ns], p.metr[ns])
				}
			}
		}
		return b.String()
	})
}

func merge(a, b map[string]int) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}
