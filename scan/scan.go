// Package scan runs checks over an inventory and summarises the result: the findings, the
// input errors, and the scores that every report format renders.
package scan

import (
	"math"
	"time"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/compliance"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
)

// Result is the whole outcome of a scan: the JSON shape of `kubeharden scan -o json`.
type Result struct {
	Findings []check.Finding `json:"findings"`
	Summary  Summary         `json:"summary"`
	Errors   []check.Error   `json:"errors"`
	// Skipped are files that held YAML or JSON which is not a Kubernetes object.
	Skipped []load.Skip `json:"skipped,omitempty"`
	// Builds are the directories read as Helm charts or kustomizations.
	Builds []load.Build `json:"builds,omitempty"`
	// Checks are the checks that ran, for reports that document rules (SARIF).
	Checks []*check.Check `json:"-"`
}

// Summary counts the findings that are not suppressed.
type Summary struct {
	Objects    int            `json:"objects"`
	Findings   int            `json:"findings"`
	BySeverity map[string]int `json:"bySeverity"`
	Score      int            `json:"score"`
	// Practices scores each practice that had checks run.
	Practices map[string]int `json:"practices,omitempty"`
	// Suppressed counts findings hidden by an exception; Expired those whose exception expired.
	Suppressed int `json:"suppressed,omitempty"`
	Expired    int `json:"expiredExceptions,omitempty"`
	// Incomplete says that not everything could be read (Unread inputs, practices whose
	// input was partly forbidden, or no object at all), so the scores may be too high.
	Incomplete bool `json:"incomplete"`
	// Unread counts the inputs that could not be read: documents, objects, charts,
	// kustomizations, live resources.
	Unread int `json:"unread,omitempty"`
	// Baselined counts the findings left out because the baseline report had them.
	Baselined int `json:"baselined,omitempty"`
	// Skipped counts the files skipped as not Kubernetes.
	Skipped int `json:"skipped,omitempty"`
	// IncompletePractices lists practices whose input could not be fully read (e.g.
	// forbidden lists).
	IncompletePractices []string `json:"incompletePractices,omitempty"`
	// Filter is the namespace filter the findings, objects and scores are limited to.
	Filter *Namespaces `json:"namespaceFilter,omitempty"`
	// Namespaces scores each namespace on its own (`scan --by namespace`).
	Namespaces []NamespaceScore `json:"namespaces,omitempty"`
	// Framework judges the scan control by control (`scan --framework`).
	Framework *compliance.Summary `json:"framework,omitempty"`
}

// Weights are how much one unsuppressed finding of each severity costs the score.
var Weights = map[check.Severity]float64{
	check.Critical: 10, check.High: 5, check.Medium: 2, check.Low: 1, check.Info: 0,
}

// Options are what a scan needs besides the inventory.
type Options struct {
	Config *config.Config
	Facts  *inventory.Facts
	Checks []*check.Check // nil: every registered check
	Now    time.Time      // zero: time.Now()
	// Errors are input errors from loading, carried into the result.
	Errors []check.Error
	// Incomplete practices, from loaders that could not read everything.
	Incomplete []string
	// Warnings counts the Errors about input that was still read (unknown or duplicate
	// fields); every other error lost input and makes the result incomplete.
	Warnings int
	// Skipped and Builds are what the file loader skipped and built.
	Skipped []load.Skip
	Builds  []load.Build
	// Baseline, when set, leaves out the findings it holds: only new findings are reported,
	// scored and counted for the exit code.
	Baseline Baseline
	// Namespaces limits what is reported and scored (not what the checks read).
	Namespaces Namespaces
	// ByNamespace adds a score per namespace to the summary.
	ByNamespace bool
	// ReleaseEngines drops the engines the checks built (Memo) before Run returns, and the
	// cluster-wide ones as soon as the checks that need them are done, so that they are not
	// all live with every finding; and it detaches the findings from the inventory's objects
	// (check.Detach), so that the inventory can go once Run returns. Leave it unset when the
	// engines are used after Run (the HTML report draws attack paths with the checks' engine).
	ReleaseEngines bool
}

// Run runs the checks over inv, applies suppressions and summarises.
func Run(inv *inventory.Inventory, opts Options) *Result {
	if opts.Checks == nil {
		opts.Checks = check.All()
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	findings, errs := runChecks(inv, opts)
	errs = append(errs, check.Suppress(findings, inv, opts.Config, opts.Now)...)
	errs = append(errs, check.UnknownSuppressions(inv, opts.Config, opts.Checks)...)
	if opts.ReleaseEngines {
		inv.Forget(func(any) bool { return true })
		check.Detach(findings)
	}
	objects := inv.Len()
	var scoped *scope
	if opts.Namespaces.active() || opts.ByNamespace {
		scoped = &scope{}
		findings, scoped.objects, scoped.byNS = scopeFindings(inv, findings, opts.Namespaces)
		objects = scoped.objects
	}
	baselined := 0
	if opts.Baseline != nil {
		findings, baselined = opts.Baseline.filter(findings)
	}
	r := &Result{
		Findings: findings,
		Errors:   append(append([]check.Error{}, opts.Errors...), errs...),
		Checks:   opts.Checks,
	}
	if r.Findings == nil {
		r.Findings = []check.Finding{}
	}
	r.Summary = summarize(objects, findings, opts.Checks)
	r.Summary.Baselined = baselined
	if opts.Namespaces.active() {
		nf := opts.Namespaces
		r.Summary.Filter = &nf
	}
	if opts.ByNamespace {
		r.Summary.Namespaces = byNamespace(scoped.byNS, findings)
	}
	r.Skipped, r.Builds = opts.Skipped, opts.Builds
	r.Summary.Skipped = len(opts.Skipped)
	r.Summary.IncompletePractices = opts.Incomplete
	r.Summary.Unread = max(len(opts.Errors)-opts.Warnings, 0)
	r.Summary.Incomplete = r.Summary.Unread > 0 || len(opts.Incomplete) > 0 || inv.Len() == 0
	return r
}

// Caps bound a score while an unsuppressed finding of a severity remains, so that a single
// critical finding in a large inventory cannot hide behind many clean objects.
var Caps = map[check.Severity]int{check.Critical: 49, check.High: 79}

// Score is 100·N/(N+W): N objects scanned, W the summed weights of their unsuppressed
// findings. A clean inventory scores 100; a critical finding on every object scores 9.
// Summaries further bound it by Caps.
func Score(objects int, weight float64) int {
	if weight == 0 {
		return 100
	}
	n := float64(objects)
	if n == 0 {
		n = 1
	}
	return int(math.Round(100 * n / (n + weight)))
}

func summarize(objects int, findings []check.Finding, checks []*check.Check) Summary {
	s := Summary{Objects: objects, BySeverity: map[string]int{}, Practices: map[string]int{}}
	total, worst := 0.0, check.Severity(0)
	byPractice := map[string]float64{}
	worstBy := map[string]check.Severity{}
	for _, c := range checks {
		byPractice[c.Practice()] += 0
	}
	for _, f := range findings {
		if f.Suppression != nil && f.Suppression.Expired {
			s.Expired++
		}
		if f.Suppressed {
			s.Suppressed++
			continue
		}
		s.Findings++
		s.BySeverity[f.Severity.String()]++
		w := Weights[f.Severity]
		if !check.Derived[f.Practice] {
			total += w
		}
		byPractice[f.Practice] += w
		worst = max(worst, f.Severity)
		worstBy[f.Practice] = max(worstBy[f.Practice], f.Severity)
	}
	for p, w := range byPractice {
		s.Practices[p] = capped(Score(objects, w), worstBy[p])
	}
	s.Score = capped(Score(objects, total), worst)
	return s
}

func capped(score int, worst check.Severity) int {
	if c, ok := Caps[worst]; ok && score > c {
		return c
	}
	return score
}

// Exit codes, as kubectl users expect them.
const (
	ExitClean       = 0
	ExitFindings    = 1
	ExitInput       = 2
	ExitUnreachable = 3
)

// ExitCode is 2 when input errors occurred, else 1 when an unsuppressed finding is at or
// above failOn (0: never), else 0.
func (r *Result) ExitCode(failOn check.Severity) int {
	if len(r.Errors) > 0 {
		return ExitInput
	}
	if failOn != 0 {
		for _, f := range r.Findings {
			if !f.Suppressed && f.Severity >= failOn {
				return ExitFindings
			}
		}
	}
	return ExitClean
}
