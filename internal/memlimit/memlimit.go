// Package memlimit bounds a scan's heap by what its data needs rather than by what happens to
// be live at its busiest moment.
//
// By default Go's collector lets the heap grow to twice what was live after the last
// collection (GOGC=100). A scan's live heap is mostly its inventory, read once and kept to the
// end; the checks add findings, their indexes, and much short-lived garbage. Doubling all of
// that at the checks' busiest moment costs far more memory than they need to run fast. Fit
// instead gives the collector a soft limit (runtime/debug.SetMemoryLimit) of twice the
// inventory plus a reserve for the work ahead, and raises it whenever the live heap comes
// close, so the collector never runs much more often than by default.
package memlimit

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// Reserve is room beyond twice the live heap at Fit: findings, the engines' indexes, the
// runtime's own memory, and garbage between collections. (It was 64 MB, and slack 32 MB,
// until the live heap of a 10,000-workload scan fell to about 160 MB at its peaks: with 48
// and 16 that scan peaks at about 287 MB of RSS instead of 328-351, for 0.02-0.05 s.)
const Reserve = 48 << 20

// slack is what headroom adds to half the live heap.
const slack = 16 << 20

// headroom is the least free room a collection leaves before the limit is raised: half the
// live heap plus slack, so the collector runs at most about twice as often as with Go's
// default (which leaves as much free as is live). A collection marks the whole live heap,
// so its cost per byte allocated grows as headroom shrinks: with a quarter, scans whose
// checks keep a large live heap (attack paths, RBAC graphs) spent twice the CPU time of
// the default for 10% less memory.
func headroom(live uint64) uint64 { return live/2 + slack }

// Fit collects garbage once, so that what remains is what the work ahead keeps (the
// inventory), and sets the soft memory limit from it. The limit only ever rises while it is
// in force, and stop restores the previous one. Fit does nothing, and says so, when the
// environment sets GOGC or GOMEMLIMIT: whoever set them has chosen a policy.
func Fit() (limit uint64, stop func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return 0, func() {}
	}
	runtime.GC()
	live := liveHeap()
	g := &governor{limit: 2*live + Reserve}
	g.prev = debug.SetMemoryLimit(int64(g.limit))
	g.watch()
	return g.limit, g.stop
}

type governor struct {
	mu      sync.Mutex
	limit   uint64
	prev    int64
	stopped bool
}

// watch runs after every collection: a finalizer on an object that nothing references runs
// once the collector has found it unreachable, and re-arms itself.
func (g *governor) watch() {
	s := new(sentinel)
	runtime.SetFinalizer(s, func(*sentinel) {
		if g.raise() {
			g.watch()
		}
	})
}

// sentinel is large enough not to share a tiny allocation block, so its finalizer runs.
type sentinel [16]byte

// raise lifts the limit when the last collection left less than headroom free, and says
// whether to keep watching.
func (g *governor) raise() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return false
	}
	live := liveHeap()
	if want := live + headroom(live); want > g.limit {
		g.limit = want
		debug.SetMemoryLimit(int64(want))
	}
	return true
}

func (g *governor) stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.stopped {
		g.stopped = true
		debug.SetMemoryLimit(g.prev)
	}
}

// Limit is the soft memory limit in force (math.MaxInt64: none).
func Limit() int64 { return debug.SetMemoryLimit(-1) }

// liveHeap is the heap that the last collection marked live.
func liveHeap() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}
