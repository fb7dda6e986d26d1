package cli

import (
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress is a progress bar on stderr, or nothing: bars show only on a terminal and for
// human-readable output, so that logs and piped machine output stay clean.
type progress struct {
	mu   sync.Mutex
	bar  *progressbar.ProgressBar
	on   bool
	desc string
	e    *env
}

// newProgress returns a bar described by desc, live only when wanted and stderr is a TTY.
func newProgress(e *env, wanted bool, desc string) *progress {
	return &progress{on: wanted && isTerminal(e.stderr), desc: desc, e: e}
}

// set moves the bar to done of total (creating it on first use, when total is known).
func (p *progress) set(done, total int) {
	if p == nil || !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar == nil {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(p.e.stderr),
			progressbar.OptionSetDescription(p.desc),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	_ = p.bar.Set(done)
}

// done removes the bar.
func (p *progress) done() {
	if p == nil || !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar != nil {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
	}
}

// spin shows an indeterminate bar while f runs, for work that reports no progress itself.
func spin[T any](e *env, wanted bool, desc string, f func() T) T {
	if !wanted || !isTerminal(e.stderr) {
		return f()
	}
	bar := progressbar.NewOptions(-1,
		progressbar.OptionSetWriter(e.stderr),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionSpinnerType(14),
		progressbar.OptionClearOnFinish(),
	)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				_ = bar.Add(1)
			}
		}
	}()
	out := f()
	close(stop)
	wg.Wait()
	_ = bar.Finish()
	_ = bar.Clear()
	return out
}

// wantsProgress reports whether an output format is for humans: machine formats get no bar
// even on a terminal.
func wantsProgress(format string) bool {
	switch format {
	case "json", "yaml", "sarif", "junit", "policyreport":
		return false
	}
	return true
}
