package rbac_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/kubeharden/kubeharden/rbac"
	"github.com/kubeharden/kubeharden/rbac/rbactest"
)

// TestScale10k asserts the goals of docs/performance.md on the benchmark cluster (2,000 roles,
// 10,000 bindings): Allowed under 10 µs and WhoCan under 50 ms on average.
func TestScale10k(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("timings: not in -short mode or under the race detector")
	}
	objs := rbactest.Large(1, benchRoles, benchBindings, benchNamespaces)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	e := rbac.New(objs)
	build := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)

	g := rbactest.New(2)
	subjects := e.Subjects()
	const n = 20000
	type req struct {
		user   string
		groups []string
		a      rbac.Attributes
	}
	reqs := make([]req, n)
	for i := range reqs {
		user, groups, a := mixedRequest(e, g, subjects)
		reqs[i] = req{user, groups, a}
	}
	allowed := 0
	start = time.Now()
	for _, r := range reqs {
		if e.Allowed(r.user, r.groups, r.a) {
			allowed++
		}
	}
	perAllowed := time.Since(start) / n
	const w = 500
	listed := 0
	start = time.Now()
	for _, r := range reqs[:w] {
		listed += len(e.WhoCan(r.a))
	}
	perWhoCan := time.Since(start) / w
	t.Logf("build %v (%.1f MB live), Allowed %v (%d of %d allowed), WhoCan %v (%.1f subjects)",
		build, float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), perAllowed, allowed, n, perWhoCan, float64(listed)/w)
	if perAllowed > 10*time.Microsecond {
		t.Errorf("Allowed takes %v, goal < 10 µs", perAllowed)
	}
	if perWhoCan > 50*time.Millisecond {
		t.Errorf("WhoCan takes %v, goal < 50 ms", perWhoCan)
	}
	if allowed == 0 || listed == 0 {
		t.Errorf("the requests exercise nothing: %d allowed, %d listed", allowed, listed)
	}
}
