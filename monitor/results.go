package monitor

import (
	"reflect"
	"time"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/inventory"
)

// results are the findings by report namespace ("" for cluster-scoped objects), kept
// current from the Evaluator's deltas so that a change costs what it touches, not what the
// cluster holds.
type results struct {
	// raw are the findings as the Evaluator reports them; out the same with suppressions
	// applied; errs the exception annotations that do not parse, of out's objects.
	raw, out map[string][]check.Finding
	errs     map[string][]check.Error
}

// absorb applies d to the findings, or, when all, takes every finding of ev afresh. It
// returns the namespaces whose findings moved.
func (r *results) absorb(ev *check.Evaluator, d check.Delta, all bool) map[string]bool {
	touched := map[string]bool{}
	if all || r.raw == nil {
		for ns := range r.raw {
			touched[ns] = true
		}
		r.raw = map[string][]check.Finding{}
		for _, f := range ev.Findings() {
			ns := namespaceOf(f.Object)
			r.raw[ns] = append(r.raw[ns], f)
			touched[ns] = true
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
				r.raw[ns] = append(fs[:j], fs[j+1:]...)
				break
			}
		}
	}
	for _, f := range d.Added {
		ns := namespaceOf(f.Object)
		touched[ns] = true
		r.raw[ns] = append(r.raw[ns], f)
	}
	return touched
}

// suppress applies the exceptions to the findings of the namespaces touched.
func (r *results) suppress(touched map[string]bool, inv *inventory.Inventory, cfg *config.Config, now time.Time) {
	if r.out == nil {
		r.out, r.errs = map[string][]check.Finding{}, map[string][]check.Error{}
	}
	for ns := range touched {
		if len(r.raw[ns]) == 0 {
			delete(r.raw, ns)
			delete(r.out, ns)
			delete(r.errs, ns)
			continue
		}
		out := append([]check.Finding(nil), r.raw[ns]...)
		r.errs[ns] = check.Suppress(out, inv, cfg, now)
		r.out[ns] = out
	}
}

// count is the number of findings, suppressed included.
func (r *results) count() int {
	n := 0
	for _, fs := range r.out {
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
