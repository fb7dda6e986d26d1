package e2e

import (
	"testing"

	"github.com/kubeharden/kubeharden/internal/testcluster"
	"github.com/kubeharden/kubeharden/scan"
)

// TestScanClusterNamespaceFilter: on a live cluster, --include-namespace/--exclude-namespace
// report exactly the unfiltered scan's findings in the kept namespaces (cluster-scoped ones
// included): the filter changes what is reported, not what the checks read. --by namespace
// scores every kept namespace.
func TestScanClusterNamespaceFilter(t *testing.T) {
	c := testcluster.Need(t, tc)
	applyExamples(t, c)
	kc := writeKubeconfig(t, c.Admin)

	all := decodeResult(t, kubeharden(t, kc, "scan", "--cluster", "-o", "json", "--fail-on", "none"))
	run := kubeharden(t, kc, "scan", "--cluster", "-o", "json", "--fail-on", "none",
		"--include-namespace", "shop-*", "--exclude-namespace", "shop-db", "--by", "namespace")
	got := decodeResult(t, run)
	if run.code != 0 || len(got.Errors) > 0 {
		t.Fatalf("exit %d, errors %v\n%s", run.code, got.Errors, run.stderr)
	}
	keep := func(ns string) bool { return ns == "shop-api" || ns == "shop-frontend" || ns == scan.ClusterScope }
	want := map[string]int{}
	for _, f := range all.Findings {
		if keep(scan.NamespaceOf(f.Object)) {
			want[findingKey(f)]++
		}
	}
	have := map[string]int{}
	for _, f := range got.Findings {
		if !keep(scan.NamespaceOf(f.Object)) {
			t.Errorf("finding outside the kept namespaces: %s", findingKey(f))
		}
		have[findingKey(f)]++
	}
	for k, n := range want {
		if have[k] != n {
			t.Errorf("%s: %d times filtered, %d times unfiltered", k, have[k], n)
		}
	}
	if len(want) == 0 {
		t.Error("the unfiltered scan has no findings in the kept namespaces: not a test of the filter")
	}
	rows := map[string]scan.NamespaceScore{}
	for _, r := range got.Summary.Namespaces {
		rows[r.Namespace] = r
	}
	for _, ns := range []string{"shop-api", "shop-frontend", scan.ClusterScope} {
		if rows[ns].Objects == 0 || rows[ns].Findings == 0 {
			t.Errorf("--by namespace: %s row %+v", ns, rows[ns])
		}
	}
	if _, ok := rows["shop-db"]; ok || len(rows) != 3 {
		t.Errorf("--by namespace rows %v, want shop-api, shop-frontend and %s", rows, scan.ClusterScope)
	}
	if got.Summary.Objects >= all.Summary.Objects {
		t.Errorf("objects %d filtered, %d unfiltered", got.Summary.Objects, all.Summary.Objects)
	}
}
