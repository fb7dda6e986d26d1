// Package parallel runs the same work over many items on a bounded number of goroutines, for
// work that waits on something else (an API server, a registry, a scanner process) or that
// keeps every core busy.
package parallel

import "sync"

// Each calls f(i) for every i in [0, n) on at most workers goroutines (with one worker, on
// the caller's, in order) and returns when all calls have returned. progress, when not nil, is told after each call how
// many have returned, by one goroutine at a time.
func Each(n, workers int, f func(i int), progress func(done, total int)) {
	if workers <= 1 {
		for i := range n {
			f(i)
			if progress != nil {
				progress(i+1, n)
			}
		}
		return
	}
	work := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range max(1, min(workers, n)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				f(i)
				if progress != nil {
					mu.Lock()
					done++
					progress(done, n)
					mu.Unlock()
				}
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
}
