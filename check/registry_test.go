package check

import (
	"strings"
	"testing"
)

var podsEngine = &Engine[int]{Name: "pods", Reads: []string{"Pod"}, Build: func(Env) int { return 0 }}
var configEngine = &Engine[int]{Name: "config", Build: func(Env) int { return 0 }}

func TestRegisterRequiresDeclaredInputs(t *testing.T) {
	ok := func() *Check {
		return &Check{ID: "images/declared", Title: "t", Doc: "d", Severity: Low, Run: func(*Pass) {},
			Kinds: []string{Workloads}, Scope: ScopeObject}
	}
	if err := validate(ok()); err != nil {
		t.Fatalf("valid check rejected: %v", err)
	}
	for _, tc := range []struct {
		name, want string
		edit       func(*Check)
	}{
		{"no kinds", "Kinds", func(c *Check) { c.Kinds = nil }},
		{"no scope", "Scope", func(c *Check) { c.Scope = 0 }},
		{"bad scope", "Scope", func(c *Check) { c.Scope = ScopeCluster + 1 }},
		{"object check on an indexing engine", `engine "pods"`, func(c *Check) { c.Requires = []Requirement{podsEngine} }},
		{"namespace check on an indexing engine", `engine "pods"`, func(c *Check) {
			c.Scope, c.Requires = ScopeNamespace, []Requirement{podsEngine}
		}},
	} {
		c := ok()
		tc.edit(c)
		err := validate(c)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: validate = %v, want an error naming %s", tc.name, err, tc.want)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Register did not panic", tc.name)
				}
			}()
			Register(c)
		}()
	}
	c := ok()
	c.Requires = []Requirement{configEngine}
	if err := validate(c); err != nil {
		t.Errorf("object check on an engine that reads no objects rejected: %v", err)
	}
	c.Scope, c.Requires = ScopeCluster, []Requirement{podsEngine}
	if err := validate(c); err != nil {
		t.Errorf("cluster check on an indexing engine rejected: %v", err)
	}
}

func TestSetQuestions(t *testing.T) {
	object := &Check{ID: "images/a", Kinds: []string{Workloads}, Scope: ScopeObject, Requires: []Requirement{configEngine}}
	ns := &Check{ID: "resources/b", Kinds: []string{Workloads}, Reads: []string{"LimitRange"}, Scope: ScopeNamespace}
	cluster := &Check{ID: "network/c", Kinds: []string{"NetworkPolicy"}, Scope: ScopeCluster, Requires: []Requirement{podsEngine}}
	anyKind := &Check{ID: "secrets/d", Kinds: []string{AnyKind}, Scope: ScopeObject}
	s := Set{object, ns, cluster, anyKind}
	ids := func(s Set) string {
		var out []string
		for _, c := range s {
			out = append(out, c.ID)
		}
		return strings.Join(out, " ")
	}
	for _, tc := range []struct{ got, want string }{
		{ids(s.ForKind("Deployment")), "images/a resources/b secrets/d"},
		{ids(s.ForKind("NetworkPolicy")), "network/c secrets/d"},
		{ids(s.ForKind("ConfigMap")), "secrets/d"},
		{ids(s.AffectedBy("LimitRange")), "resources/b secrets/d"},
		{ids(s.AffectedBy("Pod")), "images/a resources/b network/c secrets/d"},
		{ids(s.AffectedBy("Secret")), "secrets/d"},
		{ids(s.ObjectOnly()), "images/a secrets/d"},
		{strings.Join(s.Kinds(), " "), "CronJob DaemonSet Deployment Job LimitRange NetworkPolicy Pod PodTemplate ReplicaSet ReplicationController Rollout StatefulSet"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
