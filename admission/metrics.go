package admission

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the webhook's Prometheus metrics: decisions by kind and outcome, and latency.
type Metrics struct {
	reg         *prometheus.Registry
	decisions   *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	badRequests prometheus.Counter
}

// NewMetrics returns metrics on a registry of their own, with the Go and process collectors.
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kubeharden_admission_decisions_total",
			Help: "Admission reviews answered, by kind of object and decision (allowed, warned, audited, denied).",
		}, []string{"kind", "decision"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kubeharden_admission_duration_seconds",
			Help:    "Time from reading an admission review to writing its answer.",
			Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"kind"}),
		badRequests: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kubeharden_admission_bad_requests_total",
			Help: "Requests refused because they were not a valid AdmissionReview.",
		}),
	}
	m.reg.MustRegister(m.decisions, m.latency, m.badRequests,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in Prometheus' text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func (m *Metrics) observe(kind, decision string, d time.Duration) {
	m.decisions.WithLabelValues(kind, decision).Inc()
	m.latency.WithLabelValues(kind).Observe(d.Seconds())
}
