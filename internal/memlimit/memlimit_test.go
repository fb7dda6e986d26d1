package memlimit

import (
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// noPolicy clears the variables that make Fit stand aside, whatever the test runner sets.
func noPolicy(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	prev := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
}

var keep [][]byte

// hold keeps n bytes live (in 1 MB pieces, which the collector must trace) until release.
func hold(n int) (release func()) {
	for range n >> 20 {
		keep = append(keep, make([]byte, 1<<20))
	}
	return func() { keep = nil }
}

func TestFitSetsTwiceLivePlusReserve(t *testing.T) {
	noPolicy(t)
	defer hold(32 << 20)()
	limit, stop := Fit()
	live := liveHeap()
	if live < 32<<20 {
		t.Fatalf("live heap %d MB after Fit, want at least the 32 MB held", live>>20)
	}
	// The limit comes from the live heap right after Fit's collection; allow what the
	// runtime allocates meanwhile.
	if want := 2*live + Reserve; limit > want || limit < want-4<<20 {
		t.Errorf("limit %d MB, want 2 × %d MB live + %d MB", limit>>20, live>>20, Reserve>>20)
	}
	if got := Limit(); got != int64(limit) {
		t.Errorf("limit in force %d, Fit said %d", got, limit)
	}
	stop()
	if got := Limit(); got != math.MaxInt64 {
		t.Errorf("after stop the limit is %d, want none", got)
	}
}

// TestLimitRisesWithLiveHeap: when the live heap grows past what the limit leaves room
// for, the next collection raises the limit instead of letting the collector run back to
// back; after stop, collections leave the limit alone.
func TestLimitRisesWithLiveHeap(t *testing.T) {
	noPolicy(t)
	limit, stop := Fit()
	defer stop()
	held := (limit + 64<<20) &^ (1<<20 - 1) // what hold holds: whole megabytes
	release := hold(int(held))
	defer release()
	// The watcher runs in the finalizer goroutine after a collection; its sentinel may be
	// allocated during one collection and found unreachable only by the next.
	want := held + headroom(held)
	for i := 0; i < 50 && uint64(Limit()) < want; i++ {
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
	if got := uint64(Limit()); got < want {
		t.Errorf("limit %d MB with %d MB held (Fit set %d MB): not raised to leave %d MB free",
			got>>20, held>>20, limit>>20, headroom(held)>>20)
	}
	stop()
	release()
	runtime.GC()
	if got := Limit(); got != math.MaxInt64 {
		t.Errorf("after stop the limit is %d, want none", got)
	}
}

func TestFitStandsAsideForTheEnvironment(t *testing.T) {
	for _, v := range []string{"GOGC", "GOMEMLIMIT"} {
		noPolicy(t)
		t.Setenv(v, "200")
		if limit, stop := Fit(); limit != 0 || Limit() != math.MaxInt64 {
			t.Errorf("%s set: Fit set a limit of %d", v, limit)
			stop()
		}
	}
}
