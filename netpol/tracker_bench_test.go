package netpol_test

import (
	"testing"

	"github.com/kubeharden/kubeharden/internal/gen"
	"github.com/kubeharden/kubeharden/netpol"
)

// BenchmarkTracker10k measures what a monitor pays to bring the reachability engine of a
// generated 10,000-workload cluster up to date after one object of each kind changed (a
// label added to it, and taken away again the next time), against building it again
// (FromInventory) and the tracker's first build, which a scan pays.
func BenchmarkTracker10k(b *testing.B) {
	inv := gen.Inventory(10000, 1)
	b.Run("FromInventory", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			netpol.FromInventory(inv)
		}
	})
	b.Run("FirstBuild", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			netpol.NewTracker().Engine(inv)
		}
	})
	tr := netpol.NewTracker()
	tr.Engine(inv)
	for _, kind := range []string{"Deployment", "Pod", "Namespace", "NetworkPolicy"} {
		b.Run(kind, func(b *testing.B) {
			objs := inv.ByKind(kind)
			a := objs[len(objs)/2]
			c := gen.Relabeled(a)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				inv.Upsert(c)
				tr.Engine(inv)
				if tr.Changed(inv).All {
					b.Fatalf("%s: the engine was built again", kind)
				}
				a, c = c, a
			}
		})
	}
}

// BenchmarkTrackerAddRemove10k measures the tracker bringing the engine of a generated
// 10,000-workload cluster up to date after an object of each kind is deleted, and again
// after it is created back: two updates per iteration, neither of which may build the
// engine again.
func BenchmarkTrackerAddRemove10k(b *testing.B) {
	inv := gen.Inventory(10000, 1)
	tr := netpol.NewTracker()
	tr.Engine(inv)
	for _, kind := range []string{"Deployment", "Pod", "Namespace", "NetworkPolicy"} {
		b.Run(kind, func(b *testing.B) {
			objs := inv.ByKind(kind)
			o := objs[len(objs)/2]
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				inv.Delete(o.Ref)
				tr.Engine(inv)
				if tr.Changed(inv).All {
					b.Fatalf("%s deleted: the engine was built again", kind)
				}
				inv.Upsert(o)
				tr.Engine(inv)
				if tr.Changed(inv).All {
					b.Fatalf("%s created: the engine was built again", kind)
				}
			}
		})
	}
}
