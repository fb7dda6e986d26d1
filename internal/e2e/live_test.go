package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubeharden/kubeharden/check"
	_ "github.com/kubeharden/kubeharden/checks/all"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/internal/testcluster"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/live"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
)

// objKey identifies an object across sources: group rather than apiVersion, and the
// effective namespace, as the API server stores it.
type objKey struct{ group, kind, ns, name string }

func keyOf(o *inventory.Object) objKey {
	return objKey{schema.FromAPIVersionAndKind(o.APIVersion, o.Kind).Group, o.Kind, o.EffectiveNamespace(), o.Name}
}

func refKey(r inventory.Ref) objKey {
	ns := r.Namespace
	if ns == "" && !inventory.ClusterScoped(r.APIVersion, r.Kind) {
		ns = inventory.DefaultNamespace
	}
	return objKey{schema.FromAPIVersionAndKind(r.APIVersion, r.Kind).Group, r.Kind, ns, r.Name}
}

// findingKey is what must agree between a live and a file scan: everything but file and line.
func findingKey(f check.Finding) string {
	return fmt.Sprintf("%s [%s] %s/%s %s/%s path=%s suppressed=%v: %s", f.Check, f.Severity,
		refKey(f.Object).group, f.Object.Kind, refKey(f.Object).ns, f.Object.Name, f.Path, f.Suppressed,
		nodePort.ReplaceAllString(f.Message, "node:allocated/"))
}

// nodePort is a node port in an attack path's step: a manifest that names none gets one
// allocated by the API server, which the live object then carries.
var nodePort = regexp.MustCompile(`node:[0-9]+/`)

// examples is examples/insecure as loaded from files, applied once to the test cluster.
type examples struct {
	dir     string
	objs    []*inventory.Object // the objects the cluster serves
	keys    map[objKey]bool
	dropped []string // objects of kinds the cluster does not serve
}

var (
	exOnce sync.Once
	ex     *examples
	exErr  error
)

func applyExamples(t *testing.T, c *testcluster.Cluster) *examples {
	t.Helper()
	exOnce.Do(func() { ex, exErr = loadAndApply(c) })
	if exErr != nil {
		t.Fatal(exErr)
	}
	return ex
}

func loadAndApply(c *testcluster.Cluster) (*examples, error) {
	root, err := testcluster.RepoRoot()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(root, "examples", "insecure")
	objs, errs := load.Files([]string{dir}, load.Options{})
	if len(errs) > 0 {
		return nil, fmt.Errorf("examples/insecure does not load cleanly: %v", errs)
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("examples/insecure holds no objects")
	}
	us := make([]*unstructured.Unstructured, len(objs))
	byU := map[*unstructured.Unstructured]*inventory.Object{}
	for i, o := range objs {
		u, err := testcluster.ToUnstructured(o.Obj)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.Ref, err)
		}
		us[i] = u[0]
		byU[us[i]] = o
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := testcluster.Apply(ctx, c.Admin, us, 4)
	if err != nil {
		return nil, err
	}
	if len(res.Failed) > 0 {
		return nil, fmt.Errorf("the API server rejected examples/insecure objects:\n%s", strings.Join(res.SortedErrors(), "\n"))
	}
	e := &examples{dir: dir, keys: map[objKey]bool{}}
	unserved := map[*inventory.Object]bool{}
	for _, u := range res.Unserved {
		o := byU[u]
		unserved[o] = true
		e.dropped = append(e.dropped, o.APIVersion+" "+o.Kind+" "+o.Name)
	}
	for _, o := range objs {
		if !unserved[o] {
			e.objs = append(e.objs, o)
			e.keys[keyOf(o)] = true
		}
	}
	return e, nil
}

// TestLiveMatchesFiles applies examples/insecure to the API server, reads it back with the
// cluster loader and asserts that every check finds exactly what it finds in the files. The
// file inventory is completed with the cluster's other objects (bootstrap RBAC, other tests'
// namespaces) so that checks that look across objects see the same world; the example objects
// themselves come from the files on one side and from the API server (defaulted, typed from
// protobuf) on the other.
func TestLiveMatchesFiles(t *testing.T) {
	c := testcluster.Need(t, tc)
	ex := applyExamples(t, c)
	if len(ex.dropped) > 0 {
		t.Logf("not served by kube-apiserver v1.37, left out of the comparison: %s", strings.Join(ex.dropped, "; "))
	}
	ctx := context.Background()
	live, err := live.Cluster(ctx, c.Admin, live.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(live.Errors) > 0 || len(live.Incomplete) > 0 {
		t.Fatalf("admin read has errors %v, incomplete %v", live.Errors, live.Incomplete)
	}
	combined := append([]*inventory.Object{}, ex.objs...)
	seen := map[objKey]bool{}
	for _, o := range live.Objects {
		k := keyOf(o)
		seen[k] = true
		if o.Source.File != "" || o.Lines != nil {
			t.Errorf("%s: live object has a file source %q", o.Ref, o.Source.File)
		}
		if !ex.keys[k] {
			combined = append(combined, o)
		}
	}
	for k := range ex.keys {
		if !seen[k] {
			t.Errorf("example object %v was applied but the cluster loader did not read it (kind missing from live.Resources?)", k)
		}
	}
	cfg, err := config.Find(ex.dir)
	if err != nil {
		t.Fatal(err)
	}
	opts := scan.Options{Config: cfg, Facts: live.Facts, Now: time.Now()}
	fromFiles := scan.Run(inventory.Build(combined), opts)
	fromLive := scan.Run(inventory.Build(live.Objects), opts)
	if len(fromFiles.Errors)+len(fromLive.Errors) > 0 {
		t.Fatalf("scan errors: files %v, live %v", fromFiles.Errors, fromLive.Errors)
	}

	onExamples := 0
	for _, f := range fromFiles.Findings {
		if ex.keys[refKey(f.Object)] {
			onExamples++
		}
	}
	if len(check.All()) > 0 && onExamples == 0 {
		t.Errorf("no finding on examples/insecure at all: the comparison proves nothing")
	}
	if d := diffFindings(fromFiles.Findings, fromLive.Findings); d != "" {
		t.Errorf("live findings differ from file findings (- files, + live):\n%s", d)
	}
	t.Logf("%d checks, %d findings (%d on example objects), %d live objects", len(check.All()), len(fromLive.Findings), onExamples, len(live.Objects))
}

// diffFindings lists findings only in a (-) or only in b (+), as multisets.
func diffFindings(a, b []check.Finding) string {
	count := map[string]int{}
	for _, f := range a {
		count[findingKey(f)]++
	}
	for _, f := range b {
		count[findingKey(f)]--
	}
	var lines []string
	for k, n := range count {
		for ; n > 0; n-- {
			lines = append(lines, "- "+k)
		}
		for ; n < 0; n++ {
			lines = append(lines, "+ "+k)
		}
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i][2:] < lines[j][2:] })
	return strings.Join(lines, "\n")
}

// TestScanClusterCLI runs `kubeharden scan --cluster` as users do and checks that every
// finding `kubeharden scan examples/insecure` reports on an example object is reported live,
// on the same field. Messages are not compared here: checks that look across objects (who
// may read a namespace's Secrets) rightly say more on a cluster that also holds the API
// server's bootstrap RBAC; TestLiveMatchesFiles compares everything on equal inventories.
func TestScanClusterCLI(t *testing.T) {
	c := testcluster.Need(t, tc)
	ex := applyExamples(t, c)
	kc := writeKubeconfig(t, c.Admin)

	// The file scan finds examples/insecure/.kubeharden.yaml upward from its path; a live scan
	// looks from the working directory, so give it the same config.
	args := []string{"scan", "--cluster", "-o", "json", "--fail-on", "none"}
	cfg, err := config.Find(ex.dir)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Path != "" {
		args = append(args, "--config", cfg.Path)
	}
	live := kubeharden(t, kc, args...)
	res := decodeResult(t, live)
	if live.code != 0 || len(res.Errors) > 0 {
		t.Fatalf("scan --cluster: exit %d, errors %v, stderr:\n%s", live.code, res.Errors, live.stderr)
	}
	for _, f := range res.Findings {
		if f.File != "" || f.Line != 0 {
			t.Errorf("live finding has file %q line %d: %s", f.File, f.Line, findingKey(f))
		}
	}
	files := kubeharden(t, "", "scan", ex.dir, "-o", "json", "--fail-on", "none")
	fres := decodeResult(t, files)
	where := func(f check.Finding) string {
		k := refKey(f.Object)
		return fmt.Sprintf("%s [%s] %s/%s %s/%s path=%s", f.Check, f.Severity, k.group, k.kind, k.ns, k.name, f.Path)
	}
	have := map[string]int{}
	for _, f := range res.Findings {
		have[where(f)]++
	}
	for _, f := range fres.Findings {
		if !ex.keys[refKey(f.Object)] {
			continue
		}
		if have[where(f)] == 0 {
			t.Errorf("found in the files (%s:%d) but not live: %s", f.File, f.Line, findingKey(f))
		}
		have[where(f)]--
	}
	if len(live.stderr) > 0 {
		t.Errorf("scan --cluster wrote to stderr without a terminal:\n%s", live.stderr)
	}
}

// TestNoPathUsesContext: with no path and a kubeconfig context, scan reads the cluster.
func TestNoPathUsesContext(t *testing.T) {
	c := testcluster.Need(t, tc)
	kc := writeKubeconfig(t, c.Admin)
	r := kubeharden(t, kc, "scan", "-o", "json", "--fail-on", "none")
	res := decodeResult(t, r)
	if r.code != 0 || res.Summary.Objects == 0 {
		t.Fatalf("scan without a path: exit %d, %d objects, stderr:\n%s", r.code, res.Summary.Objects, r.stderr)
	}
}
