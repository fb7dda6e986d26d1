// Package monitor keeps a cluster's findings current from inside it: informers over every
// kind the checks read, the registered checks run through the check framework (the same
// checks, suppressions and severities as scan), and the findings published as PolicyReports
// (or OpenReports) and Prometheus metrics. With leader election, only the replica holding a
// Lease writes reports; the others evaluate too and take over within the lease duration.
package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/leaderelection/resourcelock"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/internal/memlimit"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/live"
)

// Options configure a Monitor.
type Options struct {
	// Config reaches the API server.
	Config *rest.Config
	// Checks are the checks to run; nil runs every registered check.
	Checks []*check.Check
	// Settings is kubeharden's configuration (exceptions); nil for none.
	Settings *config.Config
	// ReportAPI is the API reports are written as; zero means PolicyReportAPI.
	ReportAPI ReportAPI
	// Debounce is how long the monitor waits for a burst of changes to end before it
	// evaluates (zero: 100 ms); MaxDelay bounds the wait from the first change (zero: 1 s).
	Debounce, MaxDelay time.Duration
	// MaxReportBytes is the size above which a report is split (zero: DefaultMaxReportBytes).
	MaxReportBytes int
	// FactsInterval is how often the facts that are not objects (the server version, the
	// deprecated API calls in the API server's metrics) are read again (zero: 10 minutes).
	FactsInterval time.Duration
	// LeaderElection, when set, makes the monitor write reports only while it holds the
	// Lease; without it the monitor always writes.
	LeaderElection *LeaderElection
	// Log receives what the monitor does; nil discards it.
	Log *slog.Logger
	// OnEvaluated, when set, is called after each evaluation (benchmarks, tests).
	OnEvaluated func(Evaluation)
	// Now is the clock checks judge at (certificate expiry, exception expiry); nil: time.Now.
	Now func() time.Time
}

// LeaderElection configures the Lease that elects the replica that writes reports.
type LeaderElection struct {
	// Namespace and Name of the Lease.
	Namespace, Name string
	// Identity of this replica (the pod's name); it must differ between replicas.
	Identity string
	// LeaseDuration, RenewDeadline and RetryPeriod are client-go's (zero: 15 s, 10 s, 2 s).
	LeaseDuration, RenewDeadline, RetryPeriod time.Duration
	// ReleaseOnCancel gives up the lease when the monitor stops, so that another replica
	// takes over at once instead of after LeaseDuration.
	ReleaseOnCancel bool
}

// Evaluation describes one evaluation.
type Evaluation struct {
	// Objects judged and findings found (suppressed included).
	Objects, Findings int
	// Took is the time to evaluate: collect the objects, run the checks, build the reports.
	Took time.Duration
	// Lag is the time from the first change it took into account to its end.
	Lag time.Duration
	// Full says every object was evaluated again (the first evaluation, or one after the
	// facts every check may read changed); otherwise only what the changes could affect was.
	Full bool
}

// Monitor watches a cluster and keeps its reports and metrics current.
type Monitor struct {
	opts    Options
	log     *slog.Logger
	metrics *metrics
	writer  *writer

	ready, leading atomic.Bool
	// kick wakes the evaluation loop, writeKick the writer: a large write (the first, or
	// after taking over) must not hold back the evaluation of the changes behind it.
	kick, writeKick chan struct{}

	mu sync.Mutex
	// first is when the oldest change not yet evaluated arrived (zero: none pending).
	first time.Time
	// results are the findings of the last evaluation.
	results results
	reports map[reportKey]*Report
	// gauges are the finding gauges set per namespace, to delete exactly those: deleting by
	// a partial match walks every series of every namespace.
	gauges map[string][]gauge
	facts  inventory.Facts
	// writeNeeded says that the reports in the cluster may differ from reports, in the
	// namespaces unwritten holds (or in any, when the writer reads them all again).
	writeNeeded bool
	unwritten   map[string]bool
	// resuppress says that exceptions may have expired: every finding is suppressed again.
	resuppress bool
	// reread says that the reports in the cluster must be read before the next write.
	reread bool
	// state is the evaluation, touched only by Run's loop.
	state state
}

// New checks opts and returns a monitor ready to Run.
func New(opts Options) (*Monitor, error) {
	if opts.Config == nil {
		return nil, errors.New("monitor: no cluster config")
	}
	if opts.Checks == nil {
		opts.Checks = check.All()
	}
	if opts.ReportAPI.Group == "" {
		opts.ReportAPI = PolicyReportAPI
	}
	if opts.Debounce <= 0 {
		opts.Debounce = 100 * time.Millisecond
	}
	if opts.MaxDelay <= 0 {
		opts.MaxDelay = time.Second
	}
	if opts.FactsInterval <= 0 {
		opts.FactsInterval = 10 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Settings == nil {
		opts.Settings = &config.Config{}
	}
	dyn, err := dynamic.NewForConfig(opts.Config)
	if err != nil {
		return nil, err
	}
	m := &Monitor{opts: opts, log: opts.Log, metrics: newMetrics(), kick: make(chan struct{}, 1), writeKick: make(chan struct{}, 1)}
	rc, err := newReportClient(opts.Config, opts.ReportAPI)
	if err != nil {
		return nil, err
	}
	m.writer = &writer{dyn: dyn, rest: rc, api: opts.ReportAPI, metrics: m.metrics, now: opts.Now}
	return m, nil
}

// Run watches the cluster until ctx ends. It returns an error when the cluster cannot be
// watched at all; later errors (a failed write, a forbidden watch) are logged, counted in
// the metrics and retried.
func (m *Monitor) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := m.readFacts(ctx); err != nil {
		return err
	}
	w, err := newWatchers(ctx, m.opts.Config, m.changed)
	if err != nil {
		return err
	}
	w.run(ctx.Done())
	if err := m.waitSynced(ctx, w); err != nil {
		return err
	}
	m.log.Info("initial sync done", "resources", len(w.sources))

	if le := m.opts.LeaderElection; le != nil {
		if err := m.elect(ctx, le); err != nil {
			return err
		}
	} else {
		m.setLeading(true)
	}

	var writing sync.WaitGroup
	defer writing.Wait()
	defer cancel()
	writing.Add(1)
	go func() {
		defer writing.Done()
		m.writeLoop(ctx)
	}()

	// The heap is bounded by what the monitor keeps (memlimit), not by twice its busiest
	// moment: the first evaluation and the first write make hundreds of megabytes of garbage
	// on a large cluster, and Go's default would let the heap grow to twice that.
	_, unlimit := memlimit.Fit()
	defer unlimit()

	m.mu.Lock()
	m.first = time.Now()
	m.mu.Unlock()
	m.evaluate(ctx, w)
	m.ready.Store(true)
	m.metrics.ready.Set(1)

	facts := time.NewTicker(m.opts.FactsInterval)
	defer facts.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-facts.C:
			if err := m.readFacts(ctx); err != nil {
				m.log.Error("reading cluster facts", "err", err)
			}
			m.mu.Lock()
			m.resuppress = true
			m.mu.Unlock()
			m.changed()
			continue
		case <-m.kick:
			m.debounce(ctx)
		}
		if m.pending() {
			m.evaluate(ctx, w)
		}
	}
}

// writeLoop writes the reports after each evaluation that moved them, and again two seconds
// after a write failed, until ctx ends.
func (m *Monitor) writeLoop(ctx context.Context) {
	var retry <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.writeKick:
		case <-retry:
		}
		retry = nil
		if err := m.write(ctx); err != nil {
			m.log.Error("writing reports", "err", err)
			retry = time.After(2 * time.Second)
		}
	}
}

// changed notes a change and wakes the loop.
func (m *Monitor) changed() {
	m.mu.Lock()
	if m.first.IsZero() {
		m.first = time.Now()
	}
	m.mu.Unlock()
	m.wake()
}

func (m *Monitor) wake() { poke(m.kick) }

func poke(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

func (m *Monitor) pending() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return !m.first.IsZero()
}

// debounce waits until no change has come for Debounce, or MaxDelay has passed since the
// first pending change.
func (m *Monitor) debounce(ctx context.Context) {
	m.mu.Lock()
	first := m.first
	m.mu.Unlock()
	if first.IsZero() {
		return
	}
	deadline := first.Add(m.opts.MaxDelay)
	for {
		wait := min(m.opts.Debounce, time.Until(deadline))
		if wait <= 0 {
			return
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-m.kick:
			t.Stop()
		case <-t.C:
			return
		}
	}
}

// waitSynced waits until every informer has synced or failed; the failed ones are logged and
// counted, and their objects join as soon as they can be read.
func (m *Monitor) waitSynced(ctx context.Context, w *watchers) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		done, failed := w.synced()
		if done {
			for _, s := range failed {
				m.metrics.watchErrors.WithLabelValues(s.res.Name()).Inc()
				m.log.Error("cannot watch; its checks are incomplete", "resource", s.res.Name(), "practices", s.res.Practices, "err", s.getErr())
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// readFacts reads what the cluster tells besides its objects, as live.Cluster does.
func (m *Monitor) readFacts(ctx context.Context) error {
	disco, err := discovery.NewDiscoveryClientForConfig(m.opts.Config)
	if err != nil {
		return err
	}
	v, err := disco.ServerVersion()
	if err != nil {
		return &live.UnreachableError{Host: m.opts.Config.Host, Err: err}
	}
	f := inventory.Facts{ServerVersion: v.GitVersion}
	if reqs, err := live.DeprecatedAPIRequests(ctx, m.opts.Config); err == nil {
		f.DeprecatedAPIRequests = reqs
	}
	m.mu.Lock()
	m.facts = f
	m.mu.Unlock()
	return nil
}

// evaluate brings the findings up to date with the informers' objects, and the reports and
// metrics of the namespaces whose findings moved.
func (m *Monitor) evaluate(ctx context.Context, w *watchers) {
	m.mu.Lock()
	first := m.first
	m.first = time.Time{}
	facts := m.facts
	resuppress := m.resuppress
	m.resuppress = false
	m.mu.Unlock()

	start := time.Now()
	d, all := m.state.update(w, w.take(), facts, m.opts)
	ev := m.state.ev
	inv := ev.Inventory()
	errs := ev.Errors()

	m.mu.Lock()
	touched := m.results.absorb(ev, d, all)
	if resuppress {
		for ns := range m.results.raw {
			touched[ns] = true
		}
	}
	errs = append(errs, m.updateReports(inv, touched)...)
	m.writeNeeded = m.writeNeeded || len(touched) > 0
	if m.unwritten == nil {
		m.unwritten = map[string]bool{}
	}
	for ns := range touched {
		m.unwritten[ns] = true
	}
	m.metrics.objects.Set(float64(inv.Len()))
	write := m.writeNeeded
	findings := m.results.count()
	m.mu.Unlock()
	if write {
		poke(m.writeKick)
	}

	took := time.Since(start)
	m.metrics.evaluation.Observe(took.Seconds())
	var lag time.Duration
	if !first.IsZero() {
		lag = time.Since(first)
		m.metrics.lag.Observe(lag.Seconds())
	}
	for _, e := range errs {
		m.log.Error("check error", "err", e.Error())
	}
	m.log.Debug("evaluated", "objects", inv.Len(), "findings", findings, "namespaces", len(touched), "took", took)
	if m.opts.OnEvaluated != nil {
		m.opts.OnEvaluated(Evaluation{Objects: inv.Len(), Findings: findings, Took: took, Lag: lag, Full: all})
	}
}

// updateReports builds again the reports and finding gauges of the namespaces touched, and
// returns the exception annotations that do not parse on their objects.
func (m *Monitor) updateReports(inv *inventory.Inventory, touched map[string]bool) []check.Error {
	if m.reports == nil {
		m.reports = map[reportKey]*Report{}
	}
	for k := range m.reports {
		if touched[k.ns] {
			delete(m.reports, k)
		}
	}
	var errs []check.Error
	shared := newInterner()
	for ns := range touched {
		fs, e := m.results.suppressed(ns, inv, m.opts.Settings, m.opts.Now())
		errs = append(errs, e...)
		m.setFindingMetrics(ns, fs)
		if len(fs) == 0 {
			continue
		}
		rs := make([]Result, len(fs))
		for i := range fs {
			f := &fs[i]
			uid := ""
			if o := inv.Get(f.Object.Kind, ns, f.Object.Name); o != nil {
				uid = string(o.Meta.GetUID())
			}
			rs[i] = shared.result(f, uid)
		}
		for k, r := range buildReports(m.opts.ReportAPI, map[string][]Result{ns: rs}, m.opts.MaxReportBytes) {
			m.reports[k] = r
		}
	}
	return errs
}

// setFindingMetrics sets the finding gauges of ns to its findings fs.
func (m *Monitor) setFindingMetrics(ns string, fs []check.Finding) {
	for _, g := range m.gauges[ns] {
		g.vec(m.metrics).DeleteLabelValues(g.check, g.sev, ns)
	}
	n := map[gauge]int{}
	for i := range fs {
		f := &fs[i]
		n[gauge{f.Check, f.Severity.String(), f.Suppressed}]++
	}
	if m.gauges == nil {
		m.gauges = map[string][]gauge{}
	}
	set := make([]gauge, 0, len(n))
	for g, c := range n {
		g.vec(m.metrics).WithLabelValues(g.check, g.sev, ns).Set(float64(c))
		set = append(set, g)
	}
	if len(set) == 0 {
		delete(m.gauges, ns)
	} else {
		m.gauges[ns] = set
	}
}

// gauge is one series of a namespace's finding gauges.
type gauge struct {
	check, sev string
	suppressed bool
}

func (g gauge) vec(ms *metrics) *prometheus.GaugeVec {
	if g.suppressed {
		return ms.suppressed
	}
	return ms.findings
}

// write brings the cluster's reports to the last evaluation's, when this replica leads.
func (m *Monitor) write(ctx context.Context) error {
	if !m.leading.Load() {
		return nil
	}
	m.mu.Lock()
	need, only := m.writeNeeded, m.unwritten
	m.writeNeeded, m.unwritten = false, nil
	if m.reread {
		m.writer.synced, m.reread = false, false
	}
	reports := make(map[reportKey]*Report, len(m.reports))
	for k, r := range m.reports {
		if only == nil || only[k.ns] || !m.writer.synced {
			reports[k] = r
		}
	}
	m.mu.Unlock()
	if !need {
		return nil
	}
	if err := m.writer.sync(ctx, reports, only); err != nil {
		m.mu.Lock()
		m.writeNeeded = true
		if m.unwritten == nil {
			m.unwritten = map[string]bool{}
		}
		for ns := range only {
			m.unwritten[ns] = true
		}
		m.mu.Unlock()
		return err
	}
	return nil
}

func (m *Monitor) setLeading(v bool) {
	m.leading.Store(v)
	if v {
		m.metrics.leader.Set(1)
	} else {
		m.metrics.leader.Set(0)
	}
}

// elect campaigns for the Lease in the background, again after each loss, until ctx ends.
func (m *Monitor) elect(ctx context.Context, le *LeaderElection) error {
	if le.Identity == "" || le.Name == "" || le.Namespace == "" {
		return errors.New("monitor: leader election needs a lease namespace, name and identity")
	}
	cs, err := kubernetes.NewForConfig(m.opts.Config)
	if err != nil {
		return err
	}
	lock := &resourcelock.LeaseLock{
		LeaseMeta:  metav1.ObjectMeta{Namespace: le.Namespace, Name: le.Name},
		Client:     cs.CoordinationV1(),
		LockConfig: resourcelock.ResourceLockConfig{Identity: le.Identity},
	}
	cfg := leaderelection.LeaderElectionConfig{
		Lock:            lock,
		LeaseDuration:   durationOr(le.LeaseDuration, 15*time.Second),
		RenewDeadline:   durationOr(le.RenewDeadline, 10*time.Second),
		RetryPeriod:     durationOr(le.RetryPeriod, 2*time.Second),
		ReleaseOnCancel: le.ReleaseOnCancel,
		Name:            le.Name,
		Callbacks: leaderelection.LeaderCallbacks{
			OnStartedLeading: func(context.Context) {
				m.log.Info("leading: writing reports", "identity", le.Identity)
				m.mu.Lock()
				m.reread = true // what the last leader wrote
				m.writeNeeded = true
				m.mu.Unlock()
				m.setLeading(true)
				poke(m.writeKick)
			},
			OnStoppedLeading: func() {
				m.log.Info("lost the lease: not writing reports", "identity", le.Identity)
				m.setLeading(false)
			},
		},
	}
	elector, err := leaderelection.NewLeaderElector(cfg)
	if err != nil {
		return fmt.Errorf("leader election: %w", err)
	}
	go func() {
		for ctx.Err() == nil {
			elector.Run(ctx)
		}
	}()
	return nil
}

func durationOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Ready says whether the initial sync and evaluation are done.
func (m *Monitor) Ready() bool { return m.ready.Load() }

// Leading says whether this replica writes reports.
func (m *Monitor) Leading() bool { return m.leading.Load() }

// MetricsHandler serves the Prometheus metrics.
func (m *Monitor) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(m.metrics.reg, promhttp.HandlerOpts{})
}

// HealthHandler serves /healthz (the process runs) and /readyz (initial sync and evaluation
// done).
func (m *Monitor) HealthHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !m.Ready() {
			http.Error(w, "initial sync not done", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	return mux
}
