package check_test

import (
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/internal/benchmetric"
	"github.com/kubeharden/kubeharden/internal/gen"
	"github.com/kubeharden/kubeharden/inventory"
)

// BenchmarkEvaluatorApply measures what the monitor pays per event: one object changed in a
// generated cluster (KUBEHARDEN_BENCH_N workloads, default 10,000), by kind. With
// KUBEHARDEN_BENCH_TRACE=1 it prints the checks that took longest; KUBEHARDEN_BENCH_CHECKS
// ("network/*,ingress/*") limits it to the checks whose IDs match one of the patterns, to
// measure one practice's share.
func BenchmarkEvaluatorApply(b *testing.B) {
	n := 10000
	if v, err := strconv.Atoi(os.Getenv("KUBEHARDEN_BENCH_N")); err == nil {
		n = v
	}
	var mu sync.Mutex
	spent := map[string]time.Duration{}
	trace := os.Getenv("KUBEHARDEN_BENCH_TRACE") != ""
	observe := func(c *check.Check, d time.Duration) {
		mu.Lock()
		spent[c.ID] += d
		mu.Unlock()
	}
	var checks []*check.Check
	if pats := os.Getenv("KUBEHARDEN_BENCH_CHECKS"); pats != "" {
		checks = check.Matching(check.All(), strings.Split(pats, ","))
		if len(checks) == 0 {
			b.Fatalf("KUBEHARDEN_BENCH_CHECKS=%s matches no check", pats)
		}
	}
	inv := gen.Inventory(n, 1)
	// As the monitor runs it: without fixes.
	ev := check.NewEvaluator(inv, check.EvalOptions{Now: judgeAt, Observe: observe, Checks: checks, NoFixes: true})
	pick := func(kind string) *inventory.Object {
		objs := inv.ByKind(kind)
		return objs[len(objs)/2]
	}
	for _, kind := range []string{"Deployment", "Pod", "Namespace", "ConfigMap", "Service", "RoleBinding", "NetworkPolicy", "LimitRange"} {
		b.Run(kind, func(b *testing.B) {
			o := pick(kind)
			a, c := o, gen.Relabeled(o)
			clear(spent)
			lat := benchmetric.StartLatency(b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				lat.Time(func() { ev.Apply(inventory.Change{Upsert: []*inventory.Object{c}}) })
				a, c = c, a
			}
			b.StopTimer()
			lat.Report(b)
			if trace {
				printTop(kind, spent, b.N)
			}
		})
	}
}

func printTop(kind string, spent map[string]time.Duration, n int) {
	type kv struct {
		id string
		d  time.Duration
	}
	var s []kv
	for id, d := range spent {
		s = append(s, kv{id, d / time.Duration(n)})
	}
	sort.Slice(s, func(i, j int) bool { return s[i].d > s[j].d })
	if len(s) > 8 {
		s = s[:8]
	}
	fmt.Printf("%s: %d checks re-ran; per event:", kind, len(spent))
	for _, x := range s {
		fmt.Printf(" %s %v;", x.id, x.d.Round(10*time.Microsecond))
	}
	fmt.Println()
}
