package live_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubeharden/kubeharden/check"
	_ "github.com/kubeharden/kubeharden/checks/all"
	"github.com/kubeharden/kubeharden/live"
	"github.com/kubeharden/kubeharden/live/livetest"
)

// TestResourcesFromChecks: the cluster loader lists exactly the kinds the registered
// checks read, and knows the resource of each (or knows that no cluster serves it).
func TestResourcesFromChecks(t *testing.T) {
	listed := map[string]live.Resource{}
	for _, r := range live.Resources() {
		listed[r.Kind] = r
		if len(r.Practices) == 0 {
			t.Errorf("%s: listed for no practice", r.Name())
		}
	}
	for _, k := range check.Set(check.All()).Kinds() {
		if _, ok := listed[k]; !ok && !slices.Contains(live.NotListed, k) {
			t.Errorf("checks read %s, which the cluster loader does not list: add its resource to the catalog", k)
		}
		delete(listed, k)
	}
	for k := range listed {
		t.Errorf("the cluster loader lists %s, which no check reads", k)
	}
	if r := find(t, "Secret"); !slices.Contains(r.Practices, "secrets") || !slices.Contains(r.Practices, "ingress") {
		t.Errorf("secrets are read by the secrets and ingress practices, got %v", r.Practices)
	}
}

func find(t *testing.T, kind string) live.Resource {
	for _, r := range live.Resources() {
		if r.Kind == kind {
			return r
		}
	}
	t.Fatalf("%s not listed", kind)
	return live.Resource{}
}

// TestRBACManifestMatchesChecks keeps deploy/rbac.yaml's ClusterRole in step with what the
// loader lists: get and list on exactly those resources (and get on /metrics).
func TestRBACManifestMatchesChecks(t *testing.T) {
	data, err := os.ReadFile("../deploy/rbac.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var rules []rbacv1.PolicyRule
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var role rbacv1.ClusterRole
		if err := yaml.Unmarshal([]byte(doc), &role); err != nil || role.Kind != "ClusterRole" {
			continue
		}
		rules = append(rules, role.Rules...)
	}
	if len(rules) == 0 {
		t.Fatal("deploy/rbac.yaml has no ClusterRole with rules")
	}
	livetest.MatchesReader(t, "deploy/rbac.yaml", rules)
}
