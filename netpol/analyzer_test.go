package netpol_test

import (
	"bufio"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/netpol"
)

// TestNetpolAnalyzerCases compares the engine, pair by pair, with the expected connection
// lists of np-guard/netpol-analyzer's AdminNetworkPolicy and BaselineAdminNetworkPolicy test
// cases (testdata/netpol-analyzer, see its README): for every ordered pair of workloads, the
// connections the engine allows must be the ones the reference lists (none when it lists
// none), and for every external address range the reference lists, the same. There is no
// list of tolerated differences: docs/cluster-network-policies.md explains the two ways the
// outputs are written differently (port 0, other protocols), which connString accounts for.
func TestNetpolAnalyzerCases(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/netpol-analyzer/*")
	cases, pairs := 0, 0
	for _, dir := range dirs {
		want, err := readConnlist(filepath.Join(dir, "connlist_output.txt"))
		if err != nil {
			continue // the README
		}
		cases++
		name := filepath.Base(dir)
		objs, errs := load.Files([]string{dir}, load.Options{})
		for _, e := range errs {
			t.Errorf("%s: %v", name, e)
		}
		e := netpol.FromInventory(inventory.Build(objs))
		for _, p := range e.Problems() {
			t.Errorf("%s: %s", name, p)
		}
		got := map[string]string{}
		ws := e.Workloads()
		for _, a := range ws {
			for _, b := range ws {
				if a == b {
					continue
				}
				v, err := e.Reach(netpol.WorkloadEndpoint(a), netpol.WorkloadEndpoint(b), nil)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				got[a.ID()+" => "+b.ID()] = connString(v.Ports)
			}
		}
		for k := range want {
			src, dst, _ := strings.Cut(k, " => ")
			if !strings.HasSuffix(src, "[External]") && !strings.HasSuffix(dst, "[External]") {
				continue
			}
			from, to, err := externalEnds(e, src, dst)
			if err != nil {
				t.Fatalf("%s: %s: %v", name, k, err)
			}
			v, err := e.Reach(from, to, nil)
			if err != nil {
				t.Fatalf("%s: %s: %v", name, k, err)
			}
			got[k] = connString(v.Ports)
		}
		var diffs []string
		for k, g := range got {
			pairs++
			w, ok := want[k]
			if !ok {
				w = "No Connections"
			}
			if g != w {
				diffs = append(diffs, fmt.Sprintf("%s: got %q, netpol-analyzer %q", k, g, w))
			}
		}
		for k := range want {
			if _, ok := got[k]; !ok && !strings.Contains(k, "[External]") {
				diffs = append(diffs, fmt.Sprintf("%s: netpol-analyzer lists a pair the engine does not have", k))
			}
		}
		sort.Strings(diffs)
		for _, d := range diffs {
			t.Errorf("%s: %s", name, d)
		}
	}
	if cases < 50 {
		t.Fatalf("only %d cases found", cases)
	}
	t.Logf("%d cases, %d pairs compared", cases, pairs)
}

// readConnlist reads netpol-analyzer's txt output: "src[Kind] => dst[Kind] : conns". Pods
// are keyed "ns/name"; external ranges keep their "[External]" mark.
func readConnlist(file string) (map[string]string, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		pair, conns, ok := strings.Cut(line, " : ")
		if !ok {
			continue
		}
		src, dst, ok := strings.Cut(pair, " => ")
		if !ok {
			continue
		}
		out[endName(src)+" => "+endName(dst)] = conns
	}
	return out, sc.Err()
}

// endName drops the kind of a workload: "ns/name[Deployment]" is "ns/name".
func endName(s string) string {
	if strings.HasSuffix(s, "[External]") {
		return s
	}
	if i := strings.LastIndexByte(s, '['); i >= 0 {
		return s[:i]
	}
	return s
}

func externalEnds(e *netpol.Engine, src, dst string) (netpol.Endpoint, netpol.Endpoint, error) {
	end := func(s string) (netpol.Endpoint, error) {
		if r, ok := strings.CutSuffix(s, "[External]"); ok {
			lo, hi, _ := strings.Cut(r, "-")
			a, err := netip.ParseAddr(lo)
			if err != nil {
				return netpol.Endpoint{}, err
			}
			b, err := netip.ParseAddr(hi)
			if err != nil {
				return netpol.Endpoint{}, err
			}
			return netpol.AddrEndpoint(r, netpol.RangeSet(a, b)), nil
		}
		for _, w := range e.Workloads() {
			if w.ID() == s {
				return netpol.WorkloadEndpoint(w), nil
			}
		}
		return netpol.Endpoint{}, fmt.Errorf("no workload %s", s)
	}
	a, err := end(src)
	if err != nil {
		return a, a, err
	}
	b, err := end(dst)
	return a, b, err
}

// connString renders a port set as netpol-analyzer does: "All Connections", "No
// Connections", or "SCTP 9003,TCP 80,8080,UDP 5353" (protocols in alphabetical order).
func connString(ps netpol.PortSet) string {
	if ps.IsAll() {
		return "All Connections"
	}
	if ps.IsEmpty() {
		return "No Connections"
	}
	by := map[string][]string{}
	for _, r := range ps.Ranges() {
		s := strconv.Itoa(int(r.From))
		if r.To != r.From {
			s += "-" + strconv.Itoa(int(r.To))
		}
		by[r.Protocol.String()] = append(by[r.Protocol.String()], s)
	}
	var parts []string
	for _, p := range []string{"SCTP", "TCP", "UDP"} {
		if len(by[p]) > 0 {
			parts = append(parts, p+" "+strings.Join(by[p], ","))
		}
	}
	// netpol-analyzer models TCP, UDP and SCTP only: traffic of other protocols (ICMP),
	// which the engine keeps apart, has no place in its lists (see the docs).
	return strings.Join(parts, ",")
}
