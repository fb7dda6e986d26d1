package monitor

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the monitor's Prometheus metrics, in a registry of its own so that several
// monitors can run in one process (tests) and a library user can mount them where they like.
type metrics struct {
	reg         *prometheus.Registry
	findings    *prometheus.GaugeVec
	suppressed  *prometheus.GaugeVec
	objects     prometheus.Gauge
	evaluation  prometheus.Histogram
	lag         prometheus.Histogram
	writes      *prometheus.CounterVec
	writeErrors prometheus.Counter
	watchErrors *prometheus.CounterVec
	leader      prometheus.Gauge
	ready       prometheus.Gauge
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		findings: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "kubeharden_findings",
			Help: "Current findings that are not suppressed, by check, severity and namespace (empty for cluster-scoped objects)."},
			[]string{"check", "severity", "namespace"}),
		suppressed: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "kubeharden_suppressed_findings",
			Help: "Current findings that an exception suppresses, by check, severity and namespace."},
			[]string{"check", "severity", "namespace"}),
		objects: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kubeharden_objects",
			Help: "Objects judged by the last evaluation."}),
		evaluation: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kubeharden_evaluation_duration_seconds",
			Help:    "Time to evaluate the checks after a batch of changes (the first is the initial full evaluation).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "kubeharden_informer_lag_seconds",
			Help:    "Time from an informer event to the end of the evaluation that took it into account (debounce included).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)}),
		writes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kubeharden_report_writes_total",
			Help: "Report writes by operation (create, patch, delete)."}, []string{"op"}),
		writeErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: "kubeharden_report_write_errors_total",
			Help: "Report writes that failed."}),
		watchErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kubeharden_watch_errors_total",
			Help: "List or watch errors by resource."}, []string{"resource"}),
		leader: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kubeharden_leader",
			Help: "1 when this replica writes the reports (it holds the lease, or leader election is off)."}),
		ready: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kubeharden_ready",
			Help: "1 after the initial sync and evaluation."}),
	}
	m.reg.MustRegister(m.findings, m.suppressed, m.objects, m.evaluation, m.lag, m.writes, m.writeErrors,
		m.watchErrors, m.leader, m.ready,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
