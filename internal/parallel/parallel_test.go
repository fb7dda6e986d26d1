package parallel

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestEach: every item is done once, no more than workers at a time, and progress counts up
// to the total one by one.
func TestEach(t *testing.T) {
	for _, tc := range []struct{ n, workers int }{{0, 4}, {1, 4}, {50, 3}, {5, 0}} {
		calls := make([]atomic.Int32, tc.n)
		var running, most atomic.Int32
		var seen []int
		Each(tc.n, tc.workers, func(i int) {
			r := running.Add(1)
			for m := most.Load(); r > m && !most.CompareAndSwap(m, r); m = most.Load() {
			}
			time.Sleep(time.Millisecond)
			calls[i].Add(1)
			running.Add(-1)
		}, func(done, total int) {
			if total != tc.n {
				t.Errorf("progress total %d, want %d", total, tc.n)
			}
			seen = append(seen, done)
		})
		for i := range calls {
			if c := calls[i].Load(); c != 1 {
				t.Errorf("n=%d: item %d done %d times", tc.n, i, c)
			}
		}
		if m := int(most.Load()); m > max(tc.workers, 1) || tc.n >= 3 && tc.workers >= 3 && m < 2 {
			t.Errorf("n=%d workers=%d: %d at once", tc.n, tc.workers, m)
		}
		for i, d := range seen {
			if d != i+1 {
				t.Fatalf("n=%d: progress %v, want 1..%d", tc.n, seen, tc.n)
			}
		}
		if len(seen) != tc.n {
			t.Errorf("n=%d: progress told %d times", tc.n, len(seen))
		}
	}
}
