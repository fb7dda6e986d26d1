package network_test

import (
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/check/checktest"
	"github.com/kubeharden/kubeharden/checks/network"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
)

func TestFixtures(t *testing.T) {
	checktest.Run(t, "testdata", network.Checks()...)
}

// TestPeerMatchesNothingLive: in a live cluster every namespace is known, so a peer whose
// namespaceSelector matches no namespace is reported too.
func TestPeerMatchesNothingLive(t *testing.T) {
	objs, errs := load.Files([]string{"testdata/dangling.yaml"}, load.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	inv := inventory.Build(objs)
	count := func(facts *inventory.Facts) (n int) {
		res := scan.Run(inv, scan.Options{Facts: facts, Checks: []*check.Check{network.PeerMatchesNothing}})
		for _, f := range res.Findings {
			if f.Check == network.PeerMatchesNothing.ID {
				n++
			}
		}
		return n
	}
	files, live := count(nil), count(&inventory.Facts{ServerVersion: "v1.37.2"})
	// Live adds the team=platform and ingress-nginx peers of shop/api and the app=nobody peer
	// of other/elsewhere.
	if files != 2 || live != 5 {
		t.Errorf("findings from files %d (want 2), live %d (want 5)", files, live)
	}
}

// TestCNIDefaultDenyNamed: the plugin policies accepted as a default deny say so, and those
// that are not do not.
func TestCNIDefaultDenyNamed(t *testing.T) {
	objs, errs := load.Files([]string{"testdata/cluster-policies.yaml"}, load.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	res := scan.Run(inventory.Build(objs), scan.Options{Checks: network.Checks()})
	want := map[string]string{
		"default-deny-ingress": "accepted as the default deny for ingress of namespace team-b",
		"default-deny-egress":  "accepted as the default deny for egress of namespace team-b",
		"allow-web":            "",
	}
	for _, f := range res.Findings {
		if f.Check != network.CNIPoliciesNotEvaluated.ID {
			continue
		}
		w, ok := want[f.Object.Name]
		if !ok {
			t.Errorf("unexpected finding on %s", f.Object.Name)
			continue
		}
		delete(want, f.Object.Name)
		if w != "" && !strings.Contains(f.Message, w) || w == "" && strings.Contains(f.Message, "accepted") {
			t.Errorf("%s: message %q, want it to say %q", f.Object.Name, f.Message, w)
		}
	}
	if len(want) > 0 {
		t.Errorf("no finding for %v", want)
	}
}
