package monitor_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/live/livetest"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/monitor"
	"github.com/kubeharden/kubeharden/scan"
)

const chart = "../deploy/helm/kubeharden"

// render renders the chart with Helm's library (through the loader, as scan does) in
// namespace kubeharden with the given --set values.
func render(t *testing.T, set ...string) *inventory.Inventory {
	t.Helper()
	objs, errs := load.Files([]string{chart}, load.Options{HelmNamespace: "kubeharden", HelmSet: set})
	if len(errs) > 0 {
		t.Fatalf("helm template %s: %v", chart, errs)
	}
	return inventory.Build(objs)
}

// clean scans inv with every registered check and fails on any finding not suppressed.
func clean(t *testing.T, what string, inv *inventory.Inventory) *scan.Result {
	t.Helper()
	res := scan.Run(inv, scan.Options{Now: time.Now()})
	for _, e := range res.Errors {
		t.Errorf("%s: %v", what, e)
	}
	for _, f := range res.Findings {
		if !f.Suppressed {
			t.Errorf("%s: %s %s:%d %s: %s", what, f.Check, f.File, f.Line, f.Object, f.Message)
		}
	}
	return res
}

// TestChartScansClean renders the chart as installed by default, with a digest, and with
// its options (the webhook among them) off and on, and scans each with every kubeharden check: no finding but the
// suppressions the chart states with their reasons.
func TestChartScansClean(t *testing.T) {
	for _, tc := range []struct {
		name       string
		set        []string
		suppressed int
	}{
		{"defaults", nil, 5},
		{"digest", []string{"image.digest=sha256:" + strings.Repeat("a", 64)}, 4},
		{"servicemonitor", []string{"metrics.serviceMonitor.enabled=true"}, 5},
		{"config", []string{"config.resources.requireCPULimit=true"}, 5},
		// The webhook adds its token (it reads the cluster), its reach from the API server's
		// unknown addresses, and its unpinned image.
		{"webhook", []string{"webhook.enabled=true", "webhook.tls.secretName=tls", "webhook.tls.caBundle=Q0EK", "config.resources.requireCPULimit=true"}, 8},
		{"webhook-cert-manager", []string{"webhook.enabled=true", "webhook.tls.certManager.enabled=true",
			"image.digest=sha256:" + strings.Repeat("a", 64), "networkPolicy.apiServerCIDRs={10.0.0.1/32}"}, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := render(t, tc.set...)
			if tc.name == "config" && len(inv.ByKind("ConfigMap")) != 1 {
				t.Error("no ConfigMap for the monitor's config")
			}
			res := clean(t, tc.name, inv)
			if res.Summary.Suppressed != tc.suppressed {
				for _, f := range res.Findings {
					t.Logf("suppressed: %s %s: %s", f.Check, f.Object, f.Suppression.Reason)
				}
				t.Errorf("%d findings suppressed, want %d", res.Summary.Suppressed, tc.suppressed)
			}
		})
	}
}

// TestChartObjects checks what the chart installs: the monitor with requests, limits and a
// restricted security context, leader election, a NetworkPolicy, the ServiceMonitor only
// when asked, and the CRDs of deploy/crds.
func TestChartObjects(t *testing.T) {
	inv := render(t)
	ds := inv.ByKind("Deployment")
	if len(ds) != 1 {
		t.Fatalf("%d Deployments, want 1", len(ds))
	}
	d := ds[0].Obj.(*appsv1.Deployment)
	c := d.Spec.Template.Spec.Containers[0]
	for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		if _, ok := c.Resources.Requests[r]; !ok {
			t.Errorf("no %s request", r)
		}
		if _, ok := c.Resources.Limits[r]; !ok {
			t.Errorf("no %s limit", r)
		}
	}
	// The collector bounds the heap by the container's limit (memlimit steps aside when
	// GOMEMLIMIT is set).
	if i := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "GOMEMLIMIT" }); i < 0 ||
		c.Env[i].ValueFrom == nil || c.Env[i].ValueFrom.ResourceFieldRef == nil || c.Env[i].ValueFrom.ResourceFieldRef.Resource != "limits.memory" {
		t.Errorf("GOMEMLIMIT is not set from the container's memory limit: %+v", c.Env)
	}
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("container security context not restricted: %+v", sc)
	}
	if !slices.Contains(c.Args, "--leader-elect") || c.Args[0] != "monitor" {
		t.Errorf("args %v: want monitor --leader-elect", c.Args)
	}
	if n := len(inv.ByKind("NetworkPolicy")); n != 2 {
		t.Errorf("%d NetworkPolicies, want the monitor's and the namespace's default deny", n)
	}
	if n := len(inv.ByKind("ServiceMonitor")); n != 0 {
		t.Errorf("ServiceMonitor rendered though metrics.serviceMonitor.enabled is false")
	}
	if n := len(render(t, "metrics.serviceMonitor.enabled=true").ByKind("ServiceMonitor")); n != 1 {
		t.Errorf("%d ServiceMonitors with metrics.serviceMonitor.enabled=true, want 1", n)
	}
	if n := len(render(t, "networkPolicy.enabled=false", "namespaceGuards.enabled=false").ByKind("NetworkPolicy")); n != 0 {
		t.Errorf("%d NetworkPolicies with both off, want 0", n)
	}
	files, _ := filepath.Glob("../deploy/crds/*.yaml")
	for _, f := range files {
		want, _ := os.ReadFile(f)
		got, err := os.ReadFile(filepath.Join(chart, "crds", filepath.Base(f)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: the chart's copy differs from deploy/crds (copy it over)", filepath.Base(f))
		}
	}
}

// TestChartRBAC keeps the chart's RBAC minimal and complete: get, list and watch on exactly
// the resources the cluster loader reads (the list deploy/rbac.yaml is tested against), get
// on /metrics; writes only to the report resources; the Lease in its namespace.
func TestChartRBAC(t *testing.T) {
	inv := render(t)
	roles := map[string]*rbacv1.ClusterRole{}
	for _, o := range inv.ByKind("ClusterRole") {
		roles[o.Name] = o.Obj.(*rbacv1.ClusterRole)
	}
	reader, reports := roles["release-monitor-reader"], roles["release-monitor-reports"]
	if reader == nil || reports == nil || len(roles) != 2 {
		t.Fatalf("ClusterRoles %v: want release-monitor-reader and release-monitor-reports", keys(roles))
	}
	metrics := false
	var resources []rbacv1.PolicyRule
	for _, r := range reader.Rules {
		if len(r.NonResourceURLs) > 0 {
			metrics = slices.Equal(r.NonResourceURLs, []string{"/metrics"}) && slices.Equal(r.Verbs, []string{"get"})
			continue
		}
		if !slices.Equal(r.Verbs, []string{"get", "list", "watch"}) {
			t.Errorf("reader rule %v grants %v, want get, list, watch", r.Resources, r.Verbs)
		}
		resources = append(resources, r)
	}
	if !metrics {
		t.Error("the reader does not grant get on /metrics alone")
	}
	livetest.MatchesReader(t, "the chart's reader ClusterRole", resources)
	var want []string
	for _, api := range monitor.ReportAPIs {
		want = append(want, api.Resource+"."+api.Group, api.ClusterResource+"."+api.Group)
	}
	var got []string
	for _, r := range reports.Rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				got = append(got, res+"."+g)
			}
		}
		if slices.ContainsFunc(r.Verbs, func(v string) bool { return v == "*" || v == "update" || v == "deletecollection" }) {
			t.Errorf("reports rule grants %v", r.Verbs)
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("report writes granted on %v, want %v", got, want)
	}
	rs := inv.ByKind("Role")
	if len(rs) != 1 || rs[0].Namespace != "kubeharden" {
		t.Fatalf("want one Role in the release namespace, got %d", len(rs))
	}
	for _, r := range rs[0].Obj.(*rbacv1.Role).Rules {
		if !slices.Equal(r.Resources, []string{"leases"}) {
			t.Errorf("the Role grants %v, want leases only", r.Resources)
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestDockerfileScansClean scans the repository's Dockerfile with kubeharden's Dockerfile
// checks.
func TestDockerfileScansClean(t *testing.T) {
	objs, errs := load.Files([]string{"../Dockerfile"}, load.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	inv := inventory.Build(objs)
	if inv.Len() != 1 {
		t.Fatalf("the Dockerfile read as %d objects", inv.Len())
	}
	var images []*check.Check
	for _, c := range check.All() {
		if strings.HasPrefix(c.ID, "images/dockerfile-") {
			images = append(images, c)
		}
	}
	if len(images) == 0 {
		t.Fatal("no Dockerfile checks registered")
	}
	res := clean(t, "Dockerfile", inv)
	if res.Summary.Suppressed != 0 {
		t.Errorf("%d Dockerfile findings suppressed", res.Summary.Suppressed)
	}
}
