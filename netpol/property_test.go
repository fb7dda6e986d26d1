package netpol

import (
	"math/rand"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/netpol/netpoltest"
)

// probePorts are the ports where answers can change: every port a policy or a container
// names, and its neighbours.
func probePorts() []Port {
	var out []Port
	for _, proto := range []Protocol{TCP, UDP, SCTP} {
		for _, n := range []int{1, 52, 53, 54, 79, 80, 81, 1052, 1053, 8079, 8080, 8081, 9000, 9001, 9079, 9080, 9998, 9999, 65535} {
			out = append(out, Port{Protocol: proto, Number: uint16(n)})
		}
	}
	return out
}

// TestMatrixEqualsNaive checks, on random inputs, that the class-based matrix (and single
// queries) give exactly the naive pod-by-pod answer for every pair of pods and port.
func TestMatrixEqualsNaive(t *testing.T) {
	iterations := 300
	if testing.Short() {
		iterations = 50
	}
	ports := probePorts()
	for it := 0; it < iterations; it++ {
		r := rand.New(rand.NewSource(int64(it)))
		objs := netpoltest.RandomWorld(r)
		e := FromInventory(inventory.Build(objs))
		m := e.Matrix()
		w := naiveWorldOf(objs)
		for _, src := range e.Workloads() {
			for _, dst := range e.Workloads() {
				ns, _ := w.pod(src.ID())
				nd, _ := w.pod(dst.ID())
				cell := m.Ports(src.Class(), dst.Class())
				decide := w.decider(ns, nd)
				for _, p := range ports {
					want := decide(corev1.Protocol(p.Protocol.String()), int32(p.Number))
					if got := cell.Contains(p.Protocol, p.Number); got != want {
						t.Fatalf("seed %d: %s -> %s %s: matrix %v, naive %v (cell %s)", it, src.ID(), dst.ID(), p, got, want, cell)
					}
				}
				p := ports[r.Intn(len(ports))]
				v, err := e.Reach(WorkloadEndpoint(src), WorkloadEndpoint(dst), &p)
				if err != nil {
					t.Fatal(err)
				}
				if want := w.allowed(ns, nd, corev1.Protocol(p.Protocol.String()), int32(p.Number)); v.Allowed != want {
					t.Fatalf("seed %d: Reach %s -> %s %s: %v, naive %v", it, src.ID(), dst.ID(), p, v.Allowed, want)
				}
				if any, _ := e.Reach(WorkloadEndpoint(src), WorkloadEndpoint(dst), nil); !any.Ports.Equal(cell) {
					t.Fatalf("seed %d: Reach %s -> %s: ports %s, matrix %s", it, src.ID(), dst.ID(), any.Ports, cell)
				}
			}
		}
	}
}
