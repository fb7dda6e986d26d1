package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

const hardened = "../../examples/hardened"

func TestReach(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"reach", "-f", hardened, "shop-frontend/frontend", "shop-api/api", "--port", "8080"}, 0,
			"shop-frontend/frontend -> shop-api/api on 8080/TCP: allowed\n  egress of shop-frontend/frontend:  allowed by shop-frontend/frontend spec.egress[0]\n  ingress of shop-api/api:           allowed by shop-api/api spec.ingress[0]\n"},
		{[]string{"reach", "-f", hardened, "shop-frontend/frontend", "shop-api/api", "--port", "9090"}, 1,
			"shop-frontend/frontend -> shop-api/api on 9090/TCP: denied\n"},
		{[]string{"reach", "-f", hardened, "shop-frontend/frontend", "shop-db/db"}, 1,
			"shop-frontend/frontend -> shop-db/db: denied\n"},
		// A bare name is a workload of -n.
		{[]string{"reach", "-f", hardened, "-n", "shop-db", "db-backup", "db"}, 0,
			"shop-db/db-backup -> shop-db/db: allowed on 5432/TCP\n"},
		{[]string{"reach", "-f", hardened, "internet", "shop-frontend/frontend", "--port", "8080"}, 1,
			"internet -> shop-frontend/frontend on 8080/TCP: denied\n"},
		{[]string{"reach", "-f", "../../examples/insecure", "203.0.113.7", "shop-db/db", "--port", "5432/TCP"}, 0,
			"203.0.113.7/32 -> shop-db/db on 5432/TCP: allowed\n"},
	} {
		code, out, errs := run(t, tt.args...)
		if code != tt.code || !strings.HasPrefix(out, tt.out) {
			t.Errorf("%q: exit %d, output\n%s%s\nwant exit %d, output starting\n%s", tt.args, code, out, errs, tt.code, tt.out)
		}
	}
}

func TestReachErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		err  string
	}{
		{[]string{"reach", "-f", "../../examples/insecure", "shop-frontend/frontend", "shop-api/api"}, "hostNetwork"},
		{[]string{"reach", "-f", hardened, "shop-frontend/nope", "shop-api/api"}, "no workload or pod named"},
		{[]string{"reach", "-f", hardened, "shop-frontend/frontend"}, "want FROM and TO"},
		{[]string{"reach", "-f", hardened, "a/b", "c/d", "--port", "80/ICMP"}, "protocol must be"},
		{[]string{"reach", "-f", hardened, "internet", "10.0.0.0/8"}, "at least one end"},
		{[]string{"reach", "-f", hardened, "--matrix", "-o", "yaml"}, "unknown output format"},
	} {
		code, _, errs := run(t, tt.args...)
		if code != 2 || !strings.Contains(errs, tt.err) {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 and %q", tt.args, code, errs, tt.err)
		}
	}
}

func TestReachJSON(t *testing.T) {
	code, out, errs := run(t, "reach", "-f", hardened, "shop-api/api", "shop-db/db", "--port", "5432", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got struct {
		Allowed         bool `json:"allowed"`
		IngressPolicies []struct {
			Namespace, Name string
			Allows          bool
			Rules           []string
		} `json:"ingressPolicies"`
		EgressPolicies []struct {
			Name   string
			Allows bool
		} `json:"egressPolicies"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !got.Allowed || len(got.IngressPolicies) != 2 || len(got.EgressPolicies) != 3 {
		t.Fatalf("unexpected answer:\n%s", out)
	}
	for _, p := range got.IngressPolicies {
		if want := p.Name == "db"; p.Allows != want || (want && strings.Join(p.Rules, ",") != "spec.ingress[0]") {
			t.Errorf("ingress policy %s: allows %v rules %v", p.Name, p.Allows, p.Rules)
		}
	}
	// NAMESPACE/* gives one answer per pair, as a list.
	code, out, _ = run(t, "reach", "-f", hardened, "shop-db/*", "shop-db/db", "-o", "json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 2 || code != 1 {
		t.Errorf("shop-db/* -> shop-db/db: exit %d, %d answers (%v)\n%s", code, len(list), err, out)
	}
}

func TestReachMatrix(t *testing.T) {
	for format, want := range map[string]string{
		"table": "FROM \\ TO               shop-api/api  shop-db/db  shop-db/db-backup  shop-frontend/frontend  internet\nshop-api/api            -             5432 ",
		"csv":   "from\\to,shop-api/api,shop-db/db,shop-db/db-backup,shop-frontend/frontend,internet\nshop-api/api,-,5432,-,-,-\n",
		"json":  "{\n  \"endpoints\": [\n    \"shop-api/api\",",
		"dot":   "digraph reach {",
	} {
		code, out, errs := run(t, "reach", "-f", hardened, "--matrix", "-o", format)
		if code != 0 || !strings.HasPrefix(out, want) {
			t.Errorf("-o %s: exit %d, output\n%s%s\nwant it to start with\n%s", format, code, out, errs, want)
		}
	}
	code, out, _ := run(t, "reach", "-f", hardened, "--matrix", "-n", "shop-db", "-o", "csv")
	if code != 0 || !strings.HasPrefix(out, "from\\to,shop-db/db,shop-db/db-backup,internet\nshop-db/db,-,-,-\nshop-db/db-backup,5432,-,-\n") {
		t.Errorf("-n shop-db: exit %d\n%s", code, out)
	}
}

func TestNetpolGenerate(t *testing.T) {
	code, out, errs := run(t, "netpol", "generate", "-f", "../../examples/insecure", "-n", "shop-frontend")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"name: default-deny\n  namespace: shop-frontend", "# From the ingress controller: Ingress shop-frontend/shop routes to Service shop-frontend/frontend.", "NOTE: shop-api/api uses hostNetwork"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "namespace: shop-db") {
		t.Error("-n shop-frontend wrote policies for shop-db")
	}
	code, out, _ = run(t, "netpol", "generate", "-f", hardened)
	if code != 0 || !strings.Contains(out, "Nothing to add") {
		t.Errorf("hardened: exit %d\n%s", code, out)
	}
}

// TestReachClusterPolicies: reach names the AdminNetworkPolicy rule that decides, and the
// matrix lists what it leaves out (network plugin policies, hostNetwork workloads).
func TestReachClusterPolicies(t *testing.T) {
	dir := "../../netpol/testdata/netpol-analyzer/anp_test_4"
	code, out, errs := run(t, "reach", "-f", dir, "network-policy-conformance-gryffindor/harry-potter", "network-policy-conformance-slytherin/draco-malfoy", "--port", "80")
	if code != 1 || !strings.Contains(out, "AdminNetworkPolicy/priority-50-example spec.egress[0] (deny-all-egress-to-slytherin) denies") {
		t.Errorf("exit %d, output\n%s%s", code, out, errs)
	}
	code, out, errs = run(t, "reach", "-f", "../../checks/network/testdata/cluster-policies.yaml", "-f", "../../examples/insecure", "--matrix", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var m struct {
		LeftOut      []struct{ Workload, Reason string }
		NotEvaluated []string
	}
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.LeftOut) != 1 || m.LeftOut[0].Workload != "shop-api/api" || !strings.Contains(m.LeftOut[0].Reason, "hostNetwork") {
		t.Errorf("leftOut %+v, want shop-api/api (hostNetwork)", m.LeftOut)
	}
	if len(m.NotEvaluated) != 3 || !strings.Contains(errs, "CiliumNetworkPolicy.cilium.io team-b/default-deny-ingress is a Cilium policy, which is not evaluated") {
		t.Errorf("notEvaluated %q; stderr %s", m.NotEvaluated, errs)
	}
}
