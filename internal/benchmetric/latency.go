package benchmetric

import (
	"slices"
	"time"
)

// Latency times single operations, such as one change evaluated by the monitor, for
// benchmarks whose goal is a percentile rather than a mean.
type Latency struct {
	took []time.Duration
	cpu  int64
}

// StartLatency starts timing up to n operations; the CPU time reported is counted from here.
func StartLatency(n int) *Latency {
	return &Latency{took: make([]time.Duration, 0, n), cpu: CPUTime()}
}

// Time runs f and records how long it took.
func (l *Latency) Time(f func()) {
	start := time.Now()
	f()
	l.took = append(l.took, time.Since(start))
}

// Report gives a benchmark the median and 99th percentile of the operations in milliseconds,
// and the CPU time per operation, which a loaded machine inflates less than wall time.
func (l *Latency) Report(b interface{ ReportMetric(float64, string) }) {
	if len(l.took) == 0 {
		return
	}
	cpu := CPUTime() - l.cpu
	s := slices.Clone(l.took)
	slices.Sort(s)
	b.ReportMetric(float64(s[len(s)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(s[(len(s)*99)/100])/1e6, "p99-ms")
	b.ReportMetric(float64(cpu)/1e6/float64(len(s)), "cpu-ms/op")
}
