// Package livetest holds the RBAC that ships with kubeharden (deploy/rbac.yaml, the Helm
// chart's ClusterRole) to what the live reader lists, for the tests of both.
package livetest

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubeharden/kubeharden/live"
)

// Granted are the resources rules grant, as RESOURCE[.GROUP] (the names of live.Resource).
func Granted(rules []rbacv1.PolicyRule) map[string]bool {
	out := map[string]bool{}
	for _, r := range rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				name := res
				if g != "" {
					name += "." + g
				}
				out[name] = true
			}
		}
	}
	return out
}

// MatchesReader fails t unless rules (of the role named what) grant exactly the resources
// the live reader lists: none missing, which a scan or the monitor would fail to read, and
// none more, which would only widen what the role can see.
func MatchesReader(t testing.TB, what string, rules []rbacv1.PolicyRule) {
	t.Helper()
	granted := Granted(rules)
	for _, r := range live.Resources() {
		if !granted[r.Name()] {
			t.Errorf("%s does not grant %s, which the checks read", what, r.Name())
		}
		delete(granted, r.Name())
	}
	for name := range granted {
		t.Errorf("%s grants %s, which no check reads", what, name)
	}
}
