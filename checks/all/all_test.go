package all

import (
	"slices"
	"testing"

	"github.com/kubeharden/kubeharden/check"
)

// TestDeclaredInputs pins what the registry answers from the checks' declarations: the
// questions the webhook, VAP export, the monitor and the cluster loader ask.
func TestDeclaredInputs(t *testing.T) {
	all := check.Set(check.All())
	if len(all) < 100 {
		t.Fatalf("only %d checks registered", len(all))
	}
	for _, c := range all {
		if len(c.Kinds) == 0 || c.Scope == 0 {
			t.Errorf("%s: Kinds and Scope must be declared", c.ID)
		}
	}
	kinds := all.Kinds()
	for _, k := range []string{"Namespace", "Deployment", "Pod", "NetworkPolicy", "RoleBinding", "ClusterRole",
		"ServiceAccount", "Secret", "ConfigMap", "Service", "Ingress", "LimitRange", "ResourceQuota", "Node",
		"EncryptionConfiguration"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("Kinds() lacks %s: %v", k, kinds)
		}
	}
	if slices.Contains(kinds, check.AnyKind) || slices.Contains(kinds, check.Workloads) {
		t.Errorf("Kinds() holds a placeholder: %v", kinds)
	}
	has := func(s check.Set, id string) bool {
		return slices.ContainsFunc(s, func(c *check.Check) bool { return c.ID == id })
	}
	for _, tc := range []struct {
		set  check.Set
		id   string
		want bool
	}{
		// A RoleBinding change re-runs the RBAC checks, not the image checks.
		{all.AffectedBy("RoleBinding"), "rbac/cluster-admin", true},
		{all.AffectedBy("RoleBinding"), "images/latest-tag", false},
		// A namespace label decides the Pod Security level of its pods.
		{all.AffectedBy("Namespace"), "podsecurity/privileged", true},
		{all.AffectedBy("LimitRange"), "resources/missing-cpu-limit", true},
		{all.AffectedBy("Deployment"), "network/unselected-workload", true},
		{all.AffectedBy("ConfigMap"), "secrets/hardcoded-credential", true},
		{all.ForKind("Deployment"), "podsecurity/privileged", true},
		{all.ForKind("Service"), "podsecurity/privileged", false},
		// Checks that need only the object are VAP candidates; a Namespace label is not the object.
		{all.ObjectOnly(), "images/latest-tag", true},
		{all.ObjectOnly(), "secrets/secret-in-env", true},
		{all.ObjectOnly(), "podsecurity/privileged", false},
		{all.ObjectOnly(), "rbac/wildcard-verbs", false},
	} {
		if got := has(tc.set, tc.id); got != tc.want {
			t.Errorf("%s in set = %v, want %v", tc.id, got, tc.want)
		}
	}
}
