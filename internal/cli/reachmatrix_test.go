package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kubeharden/kubeharden/internal/gen"
)

// TestMatrixByGroupExpands holds the compact matrix to the full one: every group edge,
// expanded to every pair of the groups' members, gives exactly the workload edges, and
// every workload is in exactly one group.
func TestMatrixByGroupExpands(t *testing.T) {
	dir := t.TempDir()
	inputs := []string{hardened, "../../examples/insecure", "../../netpol/testdata/netpol-analyzer/anp_test_4"}
	for _, p := range []string{"default", "multitenant"} {
		f, err := os.Create(filepath.Join(dir, p+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := (gen.Options{Profile: p}).WriteYAML(f, 120, 3); err != nil {
			t.Fatal(err)
		}
		f.Close()
		inputs = append(inputs, f.Name())
	}
	type edge struct {
		From, To string
		Ports    any
		Partial  bool
	}
	key := func(e edge) string { return fmt.Sprintf("%s>%s>%v>%v", e.From, e.To, e.Ports, e.Partial) }
	for _, in := range inputs {
		code, out, errs := run(t, "reach", "-f", in, "--matrix", "-o", "json")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", in, code, errs)
		}
		var full struct {
			Endpoints []string
			Edges     []edge
		}
		if err := json.Unmarshal([]byte(out), &full); err != nil {
			t.Fatal(err)
		}
		code, out, errs = run(t, "reach", "-f", in, "--matrix", "-o", "json", "--by", "group")
		if code != 0 {
			t.Fatalf("%s --by group: exit %d: %s", in, code, errs)
		}
		var byGroup struct {
			Groups []struct {
				Name      string
				Workloads []string
			}
			Edges []edge
		}
		if err := json.Unmarshal([]byte(out), &byGroup); err != nil {
			t.Fatal(err)
		}
		members := map[string][]string{}
		seen := map[string]int{}
		for _, g := range byGroup.Groups {
			members[g.Name] = g.Workloads
			for _, w := range g.Workloads {
				seen[w]++
			}
		}
		for _, ep := range full.Endpoints {
			if seen[ep] != 1 {
				t.Errorf("%s: %s is in %d groups", in, ep, seen[ep])
			}
		}
		if len(seen) != len(full.Endpoints) {
			t.Errorf("%s: %d workloads in groups, %d endpoints", in, len(seen), len(full.Endpoints))
		}
		want := map[string]bool{}
		for _, e := range full.Edges {
			want[key(e)] = true
		}
		got := map[string]bool{}
		for _, e := range byGroup.Edges {
			for _, f := range members[e.From] {
				for _, to := range members[e.To] {
					k := key(edge{f, to, e.Ports, e.Partial})
					if got[k] {
						t.Errorf("%s: %s twice", in, k)
					}
					got[k] = true
					if !want[k] {
						t.Errorf("%s: group edge gives %s, which the full matrix does not have", in, k)
					}
				}
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: groups expand to %d edges, the full matrix has %d", in, len(got), len(want))
		}
		if len(byGroup.Groups) > len(full.Endpoints) {
			t.Errorf("%s: more groups than workloads", in)
		}
		t.Logf("%s: %d workloads in %d groups; %d edges by workload, %d by group", in, len(full.Endpoints)-1, len(byGroup.Groups)-1, len(full.Edges), len(byGroup.Edges))
	}
}
