package rbac_test

import (
	"testing"

	"github.com/kubeharden/kubeharden/rbac"
)

// TestReconcileDefaults checks that manifests redefining built-in roles and bindings are
// judged as the API server leaves them after its start-up reconciliation.
func TestReconcileDefaults(t *testing.T) {
	e, _ := engineFor(t, rbac.Options{Defaults: true}, "testdata/reconcile/redefined.yaml")
	everything := rbac.Attributes{Verb: "*", APIGroup: "*", Resource: "*"}
	tests := []struct {
		name   string
		user   string
		groups []string
		a      rbac.Attributes
		want   bool
	}{
		// cluster-admin "weakened" to get pods: still everything.
		{"weakened cluster-admin", "carol", nil, everything, true},
		{"weakened cluster-admin, non-resource", "carol", nil, rbac.Attributes{Verb: "get", Path: "/metrics"}, true},
		// The redefined cluster-admin binding keeps its own subject.
		{"extra subject kept", "alice", nil, everything, true},
		// view protected by autoupdate=false: configmaps only, not pods.
		{"protected view grants its own rule", "dave", nil, rbac.Attributes{Verb: "get", Resource: "configmaps", Namespace: "dev"}, true},
		{"protected view loses built-in rules", "dave", nil, rbac.Attributes{Verb: "get", Resource: "pods", Namespace: "dev"}, false},
		// edit regains its aggregation selectors: deployments come back, its own secrets rule is
		// replaced by what aggregation gives (edit's built-in rules include secrets).
		{"edit regains aggregation", "erin", nil, rbac.Attributes{Verb: "create", APIGroup: "apps", Resource: "deployments", Namespace: "dev"}, true},
		// system:basic-user bound to view: replaced by the built-in binding to system:basic-user.
		{"recreated binding drops its subject", "x", []string{"bob-team"}, rbac.Attributes{Verb: "get", Resource: "pods", Namespace: "dev"}, false},
	}
	for _, tt := range tests {
		if got := e.Allowed(tt.user, tt.groups, tt.a); got != tt.want {
			t.Errorf("%s: Allowed(%q, %s) = %v, want %v", tt.name, tt.user, tt.a, got, tt.want)
		}
	}

	// Without the default policy (a live cluster), the input is taken as written.
	live, _ := engineFor(t, rbac.Options{}, "testdata/reconcile/redefined.yaml")
	if live.Allowed("carol", nil, everything) {
		t.Error("live: carol allowed everything; the input's cluster-admin grants get pods only")
	}

	recs := map[string]*rbac.Reconciled{}
	for _, r := range e.Roles() {
		if r.Reconciled != nil {
			recs[r.String()] = r.Reconciled
		}
	}
	for _, b := range e.Bindings() {
		if b.Reconciled != nil {
			recs[b.String()] = b.Reconciled
		}
	}
	check := func(key string, protected, recreated bool, missingRules, missingSubjects, missingSelectors int) {
		t.Helper()
		r := recs[key]
		if r == nil {
			t.Errorf("%s: not marked reconciled", key)
			return
		}
		if r.Protected != protected || r.Recreated != recreated || len(r.MissingRules) != missingRules ||
			len(r.MissingSubjects) != missingSubjects || r.MissingSelectors != missingSelectors {
			t.Errorf("%s: %+v, want protected=%v recreated=%v missing rules %d subjects %d selectors %d",
				key, r, protected, recreated, missingRules, missingSubjects, missingSelectors)
		}
	}
	check("ClusterRole/cluster-admin", false, false, 2, 0, 0)
	check("ClusterRole/view", true, false, 0, 0, 1)
	check("ClusterRole/edit", false, false, 0, 0, 1)
	check("ClusterRoleBinding/cluster-admin", false, false, 0, 1, 0)
	check("ClusterRoleBinding/system:basic-user", false, true, 0, 1, 0)
	if len(recs) != 5 {
		t.Errorf("reconciled objects %v, want 5", recs)
	}
}
