package monitor

import (
	"reflect"
	"slices"
	"time"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/inventory"
)

// results are the findings by report namespace ("" for cluster-scoped objects), kept
// current from the Evaluator's deltas so that a change costs what it touches, not what the
// cluster holds.
type results struct {
	// raw are the findings as the Evaluator reports them. Suppressions are applied to a
	// namespace's copy only while its report is built: a second copy of every finding would
	// be kept for as long as the monitor runs.
	raw map[string][]check.Finding
}

// absorb applies d to the findings, or, when all, takes every finding of ev afresh. It
// returns the namespaces whose findings moved.
func (r *results) absorb(ev *check.Evaluator, d check.Delta, all bool) map[string]bool {
	touched := map[string]bool{}
	if all || r.raw == nil {
		for ns := range r.raw {
			touched[ns] = true
		}
		fs := ev.Findings()
		// Sized exactly: these slices are kept for as long as the monitor runs.
		n := map[string]int{}
		for i := range fs {
			n[namespaceOf(fs[i].Object)]++
		}
		r.raw = make(map[string][]check.Finding, len(n))
		for ns, c := range n {
			r.raw[ns] = make([]check.Finding, 0, c)
			touched[ns] = true
		}
		for i := range fs {
			ns := namespaceOf(fs[i].Object)
			r.raw[ns] = append(r.raw[ns], fs[i])
		}
		return touched
	}
	for i := range d.Removed {
		f := &d.Removed[i]
		ns := namespaceOf(f.Object)
		touched[ns] = true
		fs := r.raw[ns]
		for j := range fs {
			if same(&fs[j], f) {
				fs = slices.Delete(fs, j, j+1)
				break
			}
		}
		if len(fs) == 0 {
			delete(r.raw, ns)
		} else {
			r.raw[ns] = fs
		}
	}
	for _, f := range d.Added {
		ns := namespaceOf(f.Object)
		touched[ns] = true
		r.raw[ns] = append(r.raw[ns], f)
	}
	return touched
}

// suppressed returns the findings of ns with the exceptions applied, and the exception
// annotations that do not parse on their objects.
func (r *results) suppressed(ns string, inv *inventory.Inventory, cfg *config.Config, now time.Time) ([]check.Finding, []check.Error) {
	out := slices.Clone(r.raw[ns])
	return out, check.Suppress(out, inv, cfg, now)
}

// count is the number of findings, suppressed included.
func (r *results) count() int {
	n := 0
	for _, fs := range r.raw {
		n += len(fs)
	}
	return n
}

// same says whether a and b are one finding: what a re-run reports again unchanged.
func same(a, b *check.Finding) bool {
	return a.Check == b.Check && a.Object == b.Object && a.Cluster == b.Cluster && a.File == b.File &&
		a.Line == b.Line && a.Path == b.Path && a.Message == b.Message && a.Remediation == b.Remediation &&
		a.Severity == b.Severity && a.Rendered == b.Rendered && reflect.DeepEqual(a.Fixes, b.Fixes)
}
