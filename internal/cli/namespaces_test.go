package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/scan"
)

const nsFixture = "testdata/namespaces"

// scanResult runs scan -o json and decodes the whole result.
func scanResult(t *testing.T, args ...string) (*scan.Result, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(append([]string{"scan", "-o", "json"}, args...), nil, &out, &errb)
	var r scan.Result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("scan %v: exit %d: %v\n%s%s", args, code, err, out.String(), errb.String())
	}
	return &r, code
}

// namespacesOf lists the namespaces (scan.NamespaceOf) that unsuppressed findings are in.
func namespacesOf(r *scan.Result) map[string]int {
	out := map[string]int{}
	for _, f := range r.Findings {
		if !f.Suppressed {
			out[scan.NamespaceOf(f.Object)]++
		}
	}
	return out
}

func hasFinding(r *scan.Result, id, kind, ns, name string) bool {
	for _, f := range r.Findings {
		if f.Check == id && f.Object.Kind == kind && f.Object.Namespace == ns && f.Object.Name == name {
			return true
		}
	}
	return false
}

// TestScanNamespaceFilters: --include-namespace and --exclude-namespace limit what is reported
// and scored, cluster-scoped findings stay unless "(cluster)" is excluded, and the checks still
// read everything (a cluster-scoped binding makes a team-a workload risky even when
// cluster-scoped findings are left out).
func TestScanNamespaceFilters(t *testing.T) {
	all, _ := scanResult(t, nsFixture)
	got := namespacesOf(all)
	for _, ns := range []string{"default", "kube-system", "team-a", "team-b", scan.ClusterScope} {
		if got[ns] == 0 {
			t.Fatalf("unfiltered scan has no finding in %s: %v", ns, got)
		}
	}
	if all.Summary.Objects != 9 {
		t.Errorf("unfiltered objects = %d, want 9", all.Summary.Objects)
	}

	teams, code := scanResult(t, "--include-namespace", "team-*", nsFixture)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for ns := range namespacesOf(teams) {
		if ns != "team-a" && ns != "team-b" && ns != scan.ClusterScope {
			t.Errorf("--include-namespace team-*: finding in %s", ns)
		}
	}
	if !hasFinding(teams, "rbac/cluster-admin", "ClusterRoleBinding", "", "deployer-admin") {
		t.Error("--include-namespace team-*: the cluster-scoped binding's finding is gone; cluster-scoped findings are kept")
	}
	// 2 Namespaces, 1 ServiceAccount, 2 Deployments, 1 ClusterRoleBinding.
	if teams.Summary.Objects != 6 {
		t.Errorf("--include-namespace team-*: objects = %d, want 6", teams.Summary.Objects)
	}
	if teams.Summary.Filter == nil || teams.Summary.Filter.Include[0] != "team-*" {
		t.Errorf("summary does not record the filter: %+v", teams.Summary.Filter)
	}

	a, _ := scanResult(t, "--include-namespace", "team-a", "--exclude-namespace", scan.ClusterScope, nsFixture)
	for ns := range namespacesOf(a) {
		if ns != "team-a" {
			t.Errorf("team-a without cluster scope: finding in %s", ns)
		}
	}
	if !hasFinding(a, "rbac/workload-risky-serviceaccount", "Deployment", "team-a", "api") {
		t.Error("the cluster-wide binding was not read: team-a/api's risky ServiceAccount is not reported")
	}
	if a.Summary.Objects != 3 {
		t.Errorf("team-a objects = %d, want 3", a.Summary.Objects)
	}
	if a.Summary.Findings >= teams.Summary.Findings {
		t.Errorf("team-a alone has %d findings, team-* %d", a.Summary.Findings, teams.Summary.Findings)
	}

	rest, _ := scanResult(t, "--exclude-namespace", "kube-*", "--exclude-namespace", "default", nsFixture)
	if got := namespacesOf(rest); got["kube-system"] > 0 || got["default"] > 0 || got["team-b"] == 0 || got[scan.ClusterScope] == 0 {
		t.Errorf("--exclude-namespace kube-* default: findings by namespace %v", got)
	}
}

// TestScanByNamespace: each namespace's score follows docs/scoring.md from its own objects
// and findings, and the rows add up to the summary.
func TestScanByNamespace(t *testing.T) {
	r, _ := scanResult(t, "--by", "namespace", nsFixture)
	rows := r.Summary.Namespaces
	if len(rows) != 5 || rows[len(rows)-1].Namespace != scan.ClusterScope {
		t.Fatalf("rows = %+v, want default, kube-system, team-a, team-b, (cluster)", rows)
	}
	findings, objects := 0, 0
	byNS := namespacesOf(r)
	for _, row := range rows {
		findings += row.Findings
		objects += row.Objects
		if row.Findings != byNS[row.Namespace] {
			t.Errorf("%s: %d findings, the list has %d", row.Namespace, row.Findings, byNS[row.Namespace])
		}
		w, worst := 0.0, check.Severity(0)
		for _, f := range r.Findings {
			if !f.Suppressed && scan.NamespaceOf(f.Object) == row.Namespace {
				if !check.Derived[f.Practice] {
					w += scan.Weights[f.Severity]
				}
				worst = max(worst, f.Severity)
			}
		}
		want := scan.Score(row.Objects, w)
		if c, ok := scan.Caps[worst]; ok && want > c {
			want = c
		}
		if row.Score != want {
			t.Errorf("%s: score %d, want %d (N=%d, W=%g, worst %s)", row.Namespace, row.Score, want, row.Objects, w, worst)
		}
	}
	if findings != r.Summary.Findings || objects != r.Summary.Objects {
		t.Errorf("rows add up to %d findings and %d objects, summary has %d and %d", findings, objects, r.Summary.Findings, r.Summary.Objects)
	}
	for _, format := range []string{"table", "md", "html"} {
		code, out, _ := runCLI(t, "", "scan", "--by", "namespace", "--color", "never", "-o", format, nsFixture)
		want := map[string]string{
			"table": "NAMESPACE    SCORE  OBJECTS  CRITICAL",
			"md":    "| Namespace | Score | Objects | critical |",
			"html":  `<table class="namespaces" id="namespaces">`,
		}[format]
		if code != 1 || !strings.Contains(out, want) || !strings.Contains(out, "team-b") {
			t.Errorf("-o %s --by namespace: exit %d, no %q in\n%s", format, code, want, out)
		}
	}
	if code, _, errOut := runCLI(t, "", "scan", "--by", "team", nsFixture); code != 2 || !strings.Contains(errOut, "--by") {
		t.Errorf("--by team: exit %d, %s", code, errOut)
	}
}

// TestScanNamespaceConfig: namespaces: in .kubeharden.yaml filters as the flags do; a bad glob
// is a usage error.
func TestScanNamespaceConfig(t *testing.T) {
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join(nsFixture, "all.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "all.yaml"), b, 0o644)
	os.WriteFile(filepath.Join(dir, ".kubeharden.yaml"), []byte("namespaces:\n  include: [team-b]\n  exclude: ['(cluster)']\n"), 0o644)
	r, _ := scanResult(t, dir)
	got := namespacesOf(r)
	if len(got) != 1 || got["team-b"] == 0 {
		t.Errorf("config namespaces include team-b: findings by namespace %v", got)
	}
	if code, _, errOut := runCLI(t, "", "scan", "--include-namespace", "team-[", nsFixture); code != 2 || !strings.Contains(errOut, "team-[") {
		t.Errorf("bad glob: exit %d, %s", code, errOut)
	}
}
