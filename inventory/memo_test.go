package inventory

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type keyA struct{}
type keyB struct{ n int }

// TestMemoOncePerInventory: many goroutines asking at once build once; another key, or
// another inventory, builds its own.
func TestMemoOncePerInventory(t *testing.T) {
	a, b := Build(nil), Build(nil)
	var builds atomic.Int32
	build := func() any { builds.Add(1); time.Sleep(time.Millisecond); return new(int) }
	var wg sync.WaitGroup
	got := make([]any, 16)
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[i] = a.Memo(keyA{}, build) }()
	}
	wg.Wait()
	for _, v := range got[1:] {
		if v != got[0] {
			t.Fatal("callers got different values for one key")
		}
	}
	if n := builds.Load(); n != 1 {
		t.Fatalf("built %d times for one key of one inventory", n)
	}
	if a.Memo(keyB{1}, build) == got[0] || b.Memo(keyA{}, build) == got[0] {
		t.Error("another key or inventory shares the value")
	}
	if a.Memo(keyB{1}, build) != a.Memo(keyB{1}, build) {
		t.Error("equal keys build twice")
	}
	if n := builds.Load(); n != 3 {
		t.Errorf("built %d times, want 3", n)
	}
}

// TestMemoGoesWithInventory: what an inventory memoised is collected with it; a cache kept
// elsewhere would hold the last inventory's indexes for the life of the process.
func TestMemoGoesWithInventory(t *testing.T) {
	collected := make(chan struct{})
	func() {
		inv := Build(nil)
		v := inv.Memo(keyA{}, func() any { return new([1 << 16]byte) })
		runtime.AddCleanup(v.(*[1 << 16]byte), func(ch chan struct{}) { close(ch) }, collected)
	}()
	for range 50 {
		runtime.GC()
		select {
		case <-collected:
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
	t.Fatal("the memoised value outlived its inventory")
}
