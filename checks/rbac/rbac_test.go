package rbac_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/check/checktest"
	"github.com/kubeharden/kubeharden/checks/rbac"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
)

func TestFixtures(t *testing.T) {
	checktest.Run(t, "testdata", rbac.Checks()...)
}

func scanFixture(t *testing.T, file string, facts *inventory.Facts) *scan.Result {
	t.Helper()
	objs, errs := load.Files([]string{file}, load.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return scan.Run(inventory.Build(objs), scan.Options{Checks: rbac.Checks(), Facts: facts, Now: checktest.Now})
}

// TestSeverities checks that grants through RoleBindings are reported a level lower than
// through ClusterRoleBindings, and the per-check severities.
func TestSeverities(t *testing.T) {
	want := map[string]check.Severity{
		"rbac/cluster-admin Group ops":                            check.Critical,
		"rbac/cluster-admin User bob":                             check.High,
		"rbac/escalate-bind User dave":                            check.High,
		"rbac/escalate-bind User erin":                            check.Critical,
		"rbac/impersonate User gina":                              check.Critical,
		"rbac/impersonate User hank":                              check.High,
		"rbac/pod-exec User ivan":                                 check.Medium,
		"rbac/create-workloads Group deployers":                   check.High,
		"rbac/wildcard-verbs ServiceAccount dev/configurator":     check.Low,
		"rbac/wildcard-resources Group analysts":                  check.Medium,
		"rbac/workload-risky-serviceaccount Deployment web":       check.High,
		"rbac/automount-token Deployment cfg":                     check.Low,
		"rbac/all-authenticated Group system:serviceaccounts:dev": check.Low,
	}
	got := map[string]check.Severity{}
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, f := range files {
		for _, fd := range scanFixture(t, f, nil).Findings {
			for k := range want {
				id, who, _ := strings.Cut(k, " ")
				if fd.Check == id && strings.HasPrefix(fd.Message, who+" ") {
					got[k] = fd.Severity
				}
			}
		}
	}
	for k, s := range want {
		if got[k] != s {
			t.Errorf("%s: severity %v, want %v", k, got[k], s)
		}
	}
}

// TestLiveNoDefaults checks that a live cluster's inventory (facts present) is judged
// without the default policy: bindings to edit and cluster-admin, which the inventory lacks,
// grant nothing (a live cluster that had them would have listed them).
func TestLiveNoDefaults(t *testing.T) {
	res := scanFixture(t, "testdata/paths.yaml", &inventory.Facts{ServerVersion: "v1.37.2"})
	var ids []string
	for _, f := range res.Findings {
		ids = append(ids, f.Check+" "+f.Message[:strings.IndexByte(f.Message, ' ')+1])
	}
	if len(res.Findings) != 0 {
		t.Errorf("findings %q, want none", ids)
	}
}

// TestRedefinedClusterAdmin checks that a binding to a cluster-admin that the manifests
// "weaken" is still reported as cluster-admin (the API server restores the built-in rules),
// and that a live cluster's cluster-admin is taken as it is.
func TestRedefinedClusterAdmin(t *testing.T) {
	found := func(res *scan.Result) bool {
		for _, f := range res.Findings {
			if f.Check == "rbac/cluster-admin" && strings.HasPrefix(f.Message, "User frank ") && f.Severity == check.Critical {
				return true
			}
		}
		return false
	}
	if !found(scanFixture(t, "testdata/redefined.yaml", nil)) {
		t.Error("manifests: frank's binding to the redefined cluster-admin is not reported as cluster-admin")
	}
	if found(scanFixture(t, "testdata/redefined.yaml", &inventory.Facts{ServerVersion: "v1.37.2"})) {
		t.Error("live: frank reported as cluster-admin, but the live cluster-admin role grants get pods only")
	}
}
