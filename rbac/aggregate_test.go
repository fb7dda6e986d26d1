package rbac_test

import (
	"path/filepath"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/rbac"
)

func engineFor(t *testing.T, opts rbac.Options, files ...string) (*rbac.Engine, *inventory.Inventory) {
	t.Helper()
	objs, errs := load.Files(files, load.Options{})
	for _, e := range errs {
		t.Fatalf("%v", e)
	}
	inv := inventory.Build(objs)
	return rbac.FromInventory(inv, opts), inv
}

// TestAggregation checks aggregated ClusterRoles in the fixtures against their "want"
// annotation: the expected effective rules, one RuleString per line.
func TestAggregation(t *testing.T) {
	files, _ := filepath.Glob("testdata/aggregation/*.yaml")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		e, inv := engineFor(t, rbac.Options{}, f)
		n := 0
		for _, o := range inv.ByKind("ClusterRole") {
			want, ok := o.Annotations()["want"]
			if !ok {
				continue
			}
			n++
			r := e.Role(rbac.ClusterRoleKind, "", o.Name)
			var got []string
			for i := range r.Rules {
				got = append(got, rbac.RuleString(&r.Rules[i]))
			}
			if g, w := strings.Join(got, "\n"), strings.TrimSpace(want); g != w {
				t.Errorf("%s: ClusterRole %s rules:\n%s\nwant:\n%s", f, o.Name, g, w)
			}
		}
		if n == 0 {
			t.Errorf("%s: no ClusterRole with a want annotation", f)
		}
	}
}

// TestDefaultAggregation checks the default admin, edit and view roles, which the engine
// aggregates from the default policy, against what Kubernetes documents of them.
func TestDefaultAggregation(t *testing.T) {
	e, _ := engineFor(t, rbac.Options{Defaults: true})
	can := func(role string, a rbac.Attributes) bool {
		r := e.Role(rbac.ClusterRoleKind, "", role)
		if r == nil {
			t.Fatalf("no default ClusterRole %s", role)
		}
		for i := range r.Rules {
			if rbac.RuleAllows(&r.Rules[i], &a) {
				return true
			}
		}
		return false
	}
	getPods := rbac.Attributes{Verb: "get", Resource: "pods", Namespace: "x"}
	getSecrets := rbac.Attributes{Verb: "get", Resource: "secrets", Namespace: "x"}
	execPods := rbac.Attributes{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "x"}
	createRB := rbac.Attributes{Verb: "create", APIGroup: rbacv1.GroupName, Resource: "rolebindings", Namespace: "x"}
	for _, tt := range []struct {
		role string
		a    rbac.Attributes
		want bool
	}{
		{"view", getPods, true}, {"view", getSecrets, false}, {"view", execPods, false}, {"view", createRB, false},
		{"edit", getPods, true}, {"edit", getSecrets, true}, {"edit", execPods, true}, {"edit", createRB, false},
		{"admin", getPods, true}, {"admin", getSecrets, true}, {"admin", execPods, true}, {"admin", createRB, true},
	} {
		if got := can(tt.role, tt.a); got != tt.want {
			t.Errorf("default ClusterRole %s allows %s: %v, want %v", tt.role, tt.a, got, tt.want)
		}
	}
}
