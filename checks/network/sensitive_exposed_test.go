package network

import (
	"fmt"
	"math/rand"
	"reflect"
	"testing"

	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/netpol"
	"github.com/kubeharden/kubeharden/netpol/netpoltest"
)

// naiveExposedFrom is exposedFrom without its shortcuts: a probe from every other
// namespace, for every workload.
func naiveExposedFrom(e *netpol.Engine, w *netpol.Workload) []string {
	var from []string
	if v, err := e.Reach(netpol.InternetEndpoint(), netpol.WorkloadEndpoint(w), nil); err == nil && !v.SomePorts.IsEmpty() {
		if v.Partial || !v.Allowed {
			from = append(from, "some public addresses "+on(v.SomePorts))
		} else {
			from = append(from, "the internet "+on(v.Ports))
		}
	}
	if v, err := e.Reach(stranger, netpol.WorkloadEndpoint(w), nil); err == nil && v.Allowed {
		from = append(from, "pods of any namespace "+on(v.Ports))
	} else {
		for _, ns := range e.Namespaces() {
			if ns.Name == w.Namespace {
				continue
			}
			probe := netpol.Endpoint{Name: "a pod of " + ns.Name, Probe: &netpol.Probe{Namespace: ns.Name}}
			if v, err := e.Reach(probe, netpol.WorkloadEndpoint(w), nil); err == nil && v.Allowed {
				from = append(from, fmt.Sprintf("any pod of namespace %s %s", ns.Name, on(v.Ports)))
			}
		}
	}
	return from
}

// TestExposedFromEqualsNaive checks on random worlds that skipping namespaces no ingress
// rule can admit, and sharing answers between workloads of a class, change nothing.
func TestExposedFromEqualsNaive(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	compared, found := 0, 0
	for i := 0; i < 400; i++ {
		e := netpol.FromInventory(inventory.Build(netpoltest.RandomWorld(r)))
		byClass := map[*netpol.Class][]string{}
		x := newExposure(e)
		for _, w := range e.Workloads() {
			want := naiveExposedFrom(e, w)
			got, ok := byClass[w.Class()]
			if !ok {
				got = x.from(w)
				byClass[w.Class()] = got
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("world %d, %s: got %q, want %q", i, w.ID(), got, want)
			}
			compared++
			if len(want) > 0 {
				found++
			}
		}
	}
	if found == 0 || found == compared {
		t.Fatalf("random worlds do not exercise the check: %d of %d workloads exposed", found, compared)
	}
}
