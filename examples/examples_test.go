// Package examples_test proves what examples/README.md claims: the hardened app scans clean of
// every check, and the insecure app makes the mistakes it says it makes.
package examples_test

import (
	"sort"
	"testing"
	"time"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"

	// The examples are held to every check that exists.
	_ "github.com/kubeharden/kubeharden/checks/all"
)

// now is fixed so that no exception in the examples can expire under the test.
var now = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// scanDir scans dir as `kubeharden scan dir` does: the config found upward from dir, every
// registered check.
func scanDir(t *testing.T, dir string) (*inventory.Inventory, *scan.Result) {
	t.Helper()
	cfg, err := config.Find(dir)
	if err != nil {
		t.Fatal(err)
	}
	objs, errs := load.Files([]string{dir}, load.Options{})
	inv := inventory.Build(objs)
	return inv, scan.Run(inv, scan.Options{Config: cfg, Checks: check.All(), Now: now, Errors: errs})
}

func TestHardenedScansClean(t *testing.T) {
	inv, res := scanDir(t, "hardened")
	if inv.Len() < 40 || len(inv.PodTemplates()) != 4 {
		t.Fatalf("loaded %d objects and %d pod templates; the hardened example has more", inv.Len(), len(inv.PodTemplates()))
	}
	if len(res.Checks) == 0 {
		t.Fatal("no checks are registered")
	}
	for _, e := range res.Errors {
		t.Errorf("input error: %v", e)
	}
	for _, f := range res.Findings {
		// Suppressed findings count too: the hardened example must need no exceptions.
		t.Errorf("%s:%d: %s [%s] %s: %s", f.File, f.Line, f.Object, f.Check, f.Path, f.Message)
	}
}

// shown are the checks the insecure example must trigger: the mistakes README.md says it
// makes. Add a practice's checks as it lands.
var shown = []string{
	"images/latest-tag", "images/not-pinned", "images/pull-policy", "images/registry-not-allowed",
	"resources/missing-cpu-request", "resources/missing-memory-request", "resources/missing-memory-limit",
	"resources/missing-cpu-limit", "resources/no-limitrange", "resources/no-resourcequota",
	"network/no-default-deny-ingress", "network/no-default-deny-egress", "network/allow-all-ingress",
	"network/sensitive-exposed", "network/dangling-policy",
	"podsecurity/privileged", "podsecurity/hostPathVolumes", "podsecurity/hostNamespaces",
	"podsecurity/runAsNonRoot", "podsecurity/no-enforce-label",
	"ingress/no-tls", "ingress/nginx-snippet", "ingress/lb-unrestricted", "ingress/nodeport",
	"ingress/plaintext-exposed", "ingress/pod-traffic-unencrypted",
	"rbac/cluster-admin", "rbac/workload-risky-serviceaccount", "rbac/all-authenticated",
	"secrets/rbac-read-secrets", "secrets/hardcoded-credential", "secrets/secret-in-env",
	"secrets/unused-token-automount", "secrets/readers",
	"versions/removed-api",
}

func TestInsecureShowsItsMistakes(t *testing.T) {
	_, res := scanDir(t, "insecure")
	for _, e := range res.Errors {
		t.Errorf("input error: %v", e)
	}
	fired := map[string]int{}
	practices := map[string]int{}
	for _, f := range res.Findings {
		if !f.Suppressed {
			fired[f.Check]++
			practices[f.Practice]++
		}
	}
	for _, id := range shown {
		if check.Lookup(id) == nil {
			t.Errorf("%s is listed in shown but not registered", id)
		} else if fired[id] == 0 {
			t.Errorf("%s: no finding in examples/insecure", id)
		}
	}
	// Every practice with checks shows at least one of its mistakes.
	for _, c := range res.Checks {
		if practices[c.Practice()] == 0 {
			t.Errorf("practice %s has checks but no finding in examples/insecure", c.Practice())
			practices[c.Practice()] = -1 // once per practice
		}
	}
	if res.ExitCode(check.High) != scan.ExitFindings {
		t.Errorf("exit code with --fail-on high = %d, want %d", res.ExitCode(check.High), scan.ExitFindings)
	}
}

// TestSameApp keeps the two forms describing one app: the same workloads, Services and
// Ingresses in the same namespaces.
func TestSameApp(t *testing.T) {
	refs := func(dir string) []string {
		inv, _ := scanDir(t, dir)
		var out []string
		for _, p := range inv.PodTemplates() {
			out = append(out, p.Owner.Ref.String())
		}
		for _, kind := range []string{"Namespace", "Service", "Ingress"} {
			for _, o := range inv.ByKind(kind) {
				out = append(out, o.Ref.String())
			}
		}
		sort.Strings(out)
		return out
	}
	hardened, insecure := refs("hardened"), refs("insecure")
	if len(hardened) != len(insecure) {
		t.Fatalf("hardened has %v\ninsecure has %v", hardened, insecure)
	}
	for i := range hardened {
		if hardened[i] != insecure[i] {
			t.Fatalf("hardened has %v\ninsecure has %v", hardened, insecure)
		}
	}
}
