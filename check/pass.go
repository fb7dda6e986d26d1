package check

import (
	"fmt"
	"maps"
	"runtime"
	"slices"
	"time"

	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/internal/parallel"
	"github.com/kubeharden/kubeharden/inventory"
)

// Pass is what a check sees while it runs: the inventory, the configuration, and a way to
// report.
type Pass struct {
	Check  *Check
	Inv    *inventory.Inventory
	Config *config.Config
	// Facts are cluster facts that are not objects (server version, API server flags); nil
	// when scanning files.
	Facts *inventory.Facts
	// Now is the time the scan judges at (certificate expiry): scan.Options.Now, so that
	// fixtures and reports are reproducible.
	Now time.Time
	// Namespaces, when set, are the namespaces whose findings are wanted: the incremental
	// Evaluator re-runs a check with a Partition for those a change can affect, and drops
	// the findings elsewhere. The check may skip its work for other namespaces.
	Namespaces map[string]bool
	// NoFixes says the findings are wanted without their fixes: Report drops them, and a
	// check whose fixes cost work of their own (plans, copies of pod specs) skips it.
	NoFixes bool

	// findings are kept in chunks that never move: a check with many findings would
	// otherwise copy them each time its slice doubled.
	findings [][]Finding
	n        int
	// strings are the paths and messages reported so far, each kept once: a check that
	// reports the same path or message on many objects builds a copy for each.
	strings map[string]string
}

// PodTemplates are the pod templates the pass judges: those of Namespaces when set, else
// every one.
func (p *Pass) PodTemplates() []inventory.PodTemplate { return PodTemplatesIn(p.Inv, p.Namespaces) }

// PodTemplatesIn returns the pod templates of the namespaces in nss, by namespace name and
// then in load order, or every template, in load order, when nss is nil. It reads the
// objects of those namespaces alone: an incremental re-run asks for a few, and walking every
// template for them cost the monitor more per change than the checks' own work.
// (Inventory.PodTemplatesIn's index of every namespace is built again after each change.)
func PodTemplatesIn(inv *inventory.Inventory, nss map[string]bool) []inventory.PodTemplate {
	if nss == nil {
		return inv.PodTemplates()
	}
	var out []inventory.PodTemplate
	for _, ns := range slices.Sorted(maps.Keys(nss)) {
		if !nss[ns] {
			continue
		}
		for _, o := range inv.InNamespace(ns) {
			out = append(out, o.PodTemplates()...)
		}
	}
	return out
}

// Diagnostic is what a check reports; Report turns it into a Finding.
type Diagnostic struct {
	Object *inventory.Object
	// Path is the offending field ("spec.template.spec.containers[0].image"). For a missing
	// field, the path it should have; the line is then that of its closest existing ancestor.
	Path        string
	Message     string
	Remediation string   // empty: the check's default
	Severity    Severity // zero: the check's default
	// Fixes are machine-applicable changes that resolve the finding; only a Fixable check
	// may offer them.
	Fixes []SuggestedFix
}

// Report records a finding.
func (p *Pass) Report(d Diagnostic) {
	f := Finding{
		Check:       p.Check.ID,
		Severity:    p.Check.Severity,
		Practice:    p.Check.Practice(),
		Path:        p.intern(d.Path),
		Message:     p.intern(d.Message),
		Remediation: p.Check.Remediation,
	}
	if d.Severity != 0 {
		f.Severity = d.Severity
	}
	if d.Remediation != "" {
		f.Remediation = d.Remediation
	}
	if len(d.Fixes) > 0 {
		if !p.Check.Fixable {
			panic("check " + p.Check.ID + " offers a fix but is not marked Fixable")
		}
		if !p.NoFixes {
			f.Fixes = d.Fixes
		}
	}
	if o := d.Object; o != nil {
		f.Object, f.object = o.Ref, o
		f.File = o.Source.File
		f.Line = o.Line(d.Path)
		f.Rendered = o.Source.Rendered
	}
	last := len(p.findings) - 1
	if last < 0 || len(p.findings[last]) == cap(p.findings[last]) {
		// Chunks grow from 16 to 1024 findings; the shift is bounded, or past 59 chunks it overflows.
		p.findings = append(p.findings, make([]Finding, 0, 16<<min(len(p.findings), 6)))
		last++
	}
	p.findings[last] = append(p.findings[last], f)
	p.n++
}

// intern returns the string equal to s that the pass reported first.
func (p *Pass) intern(s string) string {
	if t, ok := p.strings[s]; ok {
		return t
	}
	if p.strings == nil {
		p.strings = map[string]string{}
	}
	p.strings[s] = s
	return s
}

// Reportf records a finding with a formatted message and the check's defaults.
func (p *Pass) Reportf(o *inventory.Object, path, format string, args ...any) {
	p.Report(Diagnostic{Object: o, Path: path, Message: fmt.Sprintf(format, args...)})
}

// Run runs checks over inv, concurrently, and returns their findings sorted, unsuppressed.
// A check that panics does not stop the others: its panic becomes an Error.
func Run(inv *inventory.Inventory, cfg *config.Config, facts *inventory.Facts, checks []*Check) ([]Finding, []Error) {
	return RunAt(inv, cfg, facts, checks, time.Now())
}

// RunAt is Run with the time the checks judge at (Pass.Now).
func RunAt(inv *inventory.Inventory, cfg *config.Config, facts *inventory.Facts, checks []*Check, now time.Time) ([]Finding, []Error) {
	return runAt(nil, inv, cfg, facts, checks, now, runtime.GOMAXPROCS(0))
}

// AppendRun is RunAt appending the findings, sorted among themselves, to dst, which it grows
// to exactly the length needed. Whoever runs checks in rounds (scan) keeps every round's
// findings in one list this way, and merges them there (MergeRuns).
func AppendRun(dst []Finding, inv *inventory.Inventory, cfg *config.Config, facts *inventory.Facts, checks []*Check, now time.Time) ([]Finding, []Error) {
	return runAt(dst, inv, cfg, facts, checks, now, runtime.GOMAXPROCS(0))
}

// runAt is AppendRun with at most workers checks running at once.
func runAt(dst []Finding, inv *inventory.Inventory, cfg *config.Config, facts *inventory.Facts, checks []*Check, now time.Time, workers int) ([]Finding, []Error) {
	if cfg == nil {
		cfg = &config.Config{}
	}
	passes, errs := runPasses(inv, cfg, facts, checks, now, workers)
	n := 0
	for i, p := range passes {
		if errs[i] == nil {
			n += p.n
		}
	}
	out := dst
	if dst == nil || cap(dst)-len(dst) < n { // nil: RunAt's findings are never nil
		out = make([]Finding, len(dst), len(dst)+n)
		copy(out, dst)
	}
	start := len(out)
	var errors []Error
	for i, p := range passes {
		if errs[i] != nil {
			errors = append(errors, *errs[i])
			continue
		}
		for _, c := range p.findings {
			out = append(out, c...)
		}
		p.findings, p.strings = nil, nil
	}
	SortFindings(out[start:])
	return out, errors
}

// runPasses runs each check over inv, concurrently, and returns the passes with their
// findings, and for each check that panicked its error.
func runPasses(inv *inventory.Inventory, cfg *config.Config, facts *inventory.Facts, checks []*Check, now time.Time, workers int) ([]*Pass, []*Error) {
	passes := make([]*Pass, len(checks))
	errs := make([]*Error, len(checks))
	parallel.Each(len(checks), workers, func(i int) {
		passes[i] = &Pass{Check: checks[i], Inv: inv, Config: cfg, Facts: facts, Now: now}
		errs[i] = runOne(passes[i])
	}, nil)
	return passes, errs
}

// collected returns what the pass reported, in report order.
func (p *Pass) collected() []Finding {
	out := make([]Finding, 0, p.n)
	for _, c := range p.findings {
		out = append(out, c...)
	}
	return out
}

func runOne(p *Pass) (err *Error) {
	defer func() {
		if r := recover(); r != nil {
			err = &Error{Message: fmt.Sprintf("check %s failed: %v (its findings are missing; please report this)", p.Check.ID, r)}
		}
	}()
	p.Check.Run(p)
	return nil
}
