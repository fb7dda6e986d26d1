package drift

import (
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

func f(id, practice, name string, sev check.Severity, line int, suppressed bool) check.Finding {
	return check.Finding{Check: id, Practice: practice, Severity: sev, Object: inventory.Ref{Kind: "Thing", Name: name},
		Message: "m", Line: line, Suppressed: suppressed}
}

func TestCompare(t *testing.T) {
	old := []check.Finding{
		f("images/latest-tag", "images", "a", check.Medium, 1, false),
		f("images/latest-tag", "images", "a", check.Medium, 9, false), // twice: one stays, one is fixed
		f("resources/no-limits", "resources", "b", check.Low, 2, false),
		f("rbac/wildcard-verbs", "rbac", "c", check.High, 3, true), // suppressed then: not open
		f("network/no-default-deny-ingress", "network", "d", check.High, 4, false),
	}
	cur := []check.Finding{
		f("images/latest-tag", "images", "a", check.Medium, 30, false),
		f("resources/no-limits", "resources", "b", check.Low, 31, true), // suppressed since
		f("rbac/wildcard-verbs", "rbac", "c", check.High, 32, false),    // exception gone: new
		f("images/privileged", "podsecurity", "e", check.Critical, 33, false),
		f("ingress/nodeport", "ingress", "e", check.Medium, 34, false),
		f("rbac/cluster-admin", "rbac", "e", check.Medium, 35, false),
		f("secrets/rbac-read-secrets", "secrets", "e", check.Critical, 36, false),
	}
	d := Compare(old, cur)
	ids := func(es []Entry) string {
		var s []string
		for _, e := range es {
			s = append(s, e.Check)
		}
		return strings.Join(s, ",")
	}
	if got, want := ids(d.Added), "secrets/rbac-read-secrets,rbac/wildcard-verbs,rbac/cluster-admin,ingress/nodeport,images/privileged"; got != want {
		t.Errorf("new %s\nwant %s", got, want)
	}
	if got, want := ids(d.Fixed), "network/no-default-deny-ingress,images/latest-tag"; got != want {
		t.Errorf("fixed %s, want %s", got, want)
	}
	if ids(d.Suppressed) != "resources/no-limits" || ids(d.Unchanged) != "images/latest-tag" {
		t.Errorf("suppressed %s, unchanged %s", ids(d.Suppressed), ids(d.Unchanged))
	}
}
