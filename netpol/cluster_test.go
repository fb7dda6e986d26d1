package netpol_test

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/netpol"
)

func clusterEngine(t *testing.T, file string) *netpol.Engine {
	t.Helper()
	objs, errs := load.Files([]string{file}, load.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return netpol.FromInventory(inventory.Build(objs))
}

// TestClusterTiers checks the evaluation order of the tiers, one case per step.
func TestClusterTiers(t *testing.T) {
	e := clusterEngine(t, "testdata/cluster/tiers.yaml")
	for _, p := range e.Problems() {
		t.Error(p)
	}
	w := func(id string) netpol.Endpoint {
		for _, x := range e.Workloads() {
			if x.ID() == id {
				return netpol.WorkloadEndpoint(x)
			}
		}
		t.Fatalf("no workload %s", id)
		return netpol.Endpoint{}
	}
	for _, c := range []struct {
		from, to string
		ports    string
		decided  string // a rule the explanation names
	}{
		// Admin Accept wins over the NetworkPolicy that isolates db.
		{"ops/monitor", "shop/db", "all", "ClusterNetworkPolicy/ops-in spec.ingress[0] (ops) accepts"},
		// Admin Deny on 8000-8999, Pass for the rest: NetworkPolicy of db allows only web.
		{"lab/scratch", "shop/db", "none", "AdminNetworkPolicy/lab-out spec.ingress[0] (deny-lab-high) denies on 8000-8999/TCP"},
		// Pass for the rest, no NetworkPolicy on web: Baseline allows only the named port
		// dns (5353/UDP) and denies the rest.
		{"lab/scratch", "shop/web", "5353/UDP", "BaselineAdminNetworkPolicy/default spec.ingress[2] (deny-rest) denies"},
		// Inside shop, web reaches db (NetworkPolicy) and db reaches web (Baseline allow).
		{"shop/web", "shop/db", "all", "allowed by shop/db spec.ingress[0]"},
		{"shop/db", "shop/web", "all", "BaselineAdminNetworkPolicy/default spec.ingress[0] (dns) accepts on 5353/UDP"},
		// Nothing selects lab: default allow.
		{"shop/web", "lab/scratch", "all", ""},
	} {
		v, err := e.Reach(w(c.from), w(c.to), nil)
		if err != nil {
			t.Fatal(err)
		}
		why := v.Egress.Explain(c.from) + " | " + v.Ingress.Explain(c.to)
		if v.Ports.String() != c.ports || !strings.Contains(why, c.decided) {
			t.Errorf("%s -> %s: %s (%s), want %s and %q", c.from, c.to, v.Ports, why, c.ports, c.decided)
		}
	}
	// Egress to the metadata address is denied by the Baseline; elsewhere allowed.
	for addr, want := range map[string]bool{"169.254.169.254": false, "203.0.113.9": true} {
		a := netip.MustParseAddr(addr)
		v, err := e.Reach(w("shop/web"), netpol.AddrEndpoint(addr, netpol.RangeSet(a, a)), nil)
		if err != nil || v.Allowed != want {
			t.Errorf("shop/web -> %s: allowed %v (%v), want %v", addr, v.Allowed, err, want)
		}
	}
	// The matrix agrees with Reach.
	m := e.Matrix()
	for _, a := range e.Workloads() {
		for _, b := range e.Workloads() {
			v, _ := e.Reach(netpol.WorkloadEndpoint(a), netpol.WorkloadEndpoint(b), nil)
			if got := m.Ports(a.Class(), b.Class()); !got.Equal(v.Ports) {
				t.Errorf("matrix %s -> %s: %s, Reach %s", a.ID(), b.ID(), got, v.Ports)
			}
		}
	}
	// shop is default-denied for ingress by the Baseline; lab is not.
	if len(e.ClusterDefaultDeny("shop", netpol.Ingress)) != 1 || len(e.ClusterDefaultDeny("lab", netpol.Ingress)) != 0 {
		t.Error("ClusterDefaultDeny: want the BANP for shop and nothing for lab")
	}
}

// TestClusterPolicyProblems: a field this API version does not have is a problem, and the
// policy is left out.
func TestClusterPolicyProblems(t *testing.T) {
	e := clusterEngine(t, "testdata/cluster/problems.yaml")
	ps := strings.Join(e.Problems(), "\n")
	if !strings.Contains(ps, "AdminNetworkPolicy/same-labels") || !strings.Contains(ps, "sameLabels") {
		t.Errorf("problems:\n%s\nwant the unknown field sameLabels of AdminNetworkPolicy/same-labels", ps)
	}
}
