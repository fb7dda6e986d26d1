package attack

import (
	"testing"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/internal/benchmetric"
	"github.com/kubeharden/kubeharden/internal/gen"
	"github.com/kubeharden/kubeharden/inventory"
)

// BenchmarkEvaluatorApply is check.BenchmarkEvaluatorApply for the attack checks alone:
// what they cost the monitor per change of one object (a label, as there, then a rollout) in
// the generated cluster of 10,000 workloads.
func BenchmarkEvaluatorApply(b *testing.B) {
	inv := gen.Inventory(10000, 1)
	ev := check.NewEvaluator(inv, check.EvalOptions{Checks: Checks(), Now: judgeAt})
	for _, c := range []struct{ kind, change string }{
		{"Deployment", "unread label"}, {"Pod", "unread label"}, {"Namespace", "unread label"},
		{"Service", "unread label"}, {"RoleBinding", "unread label"}, {"NetworkPolicy", "unread label"},
		{"Deployment", "rollout"},
	} {
		b.Run(c.kind+"/"+c.change, func(b *testing.B) {
			objs := inv.ByKind(c.kind)
			o := objs[len(objs)/2]
			a, n := o, change(b, c.change).f(nil, o)
			lat := benchmetric.StartLatency(b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				lat.Time(func() { ev.Apply(inventory.Change{Upsert: []*inventory.Object{n}}) })
				a, n = n, a
			}
			b.StopTimer()
			lat.Report(b)
		})
	}
}
