package admission

import (
	"slices"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// Judge runs the checks that report on obj's kind over obj and the cached cluster, and
// returns the unsuppressed findings on obj, highest severity first. Suppressions (the
// object's kubeharden.io/ignore annotation, the config's exceptions) apply as in scan.
func (s *Server) Judge(obj *inventory.Object) ([]check.Finding, []check.Error) {
	checks := s.checksFor(obj.Kind)
	if len(checks) == 0 {
		return nil, nil
	}
	objs := []*inventory.Object{obj}
	if s.opts.Cluster != nil {
		kinds := check.Set(checks).Kinds()
		for _, o := range s.opts.Cluster.Objects() {
			if o.Ref == obj.Ref {
				continue // the incoming object replaces its stored version
			}
			if declared(checks) && !slices.Contains(kinds, o.Kind) {
				continue
			}
			objs = append(objs, o)
		}
	}
	inv := inventory.Build(objs)
	now := s.opts.Now()
	all, errs := check.RunAt(inv, s.opts.Config, nil, checks, now)
	var mine []check.Finding
	for _, f := range all {
		if f.Object == obj.Ref {
			mine = append(mine, f)
		}
	}
	errs = append(errs, check.Suppress(mine, inv, s.opts.Config, now)...)
	out := mine[:0]
	for _, f := range mine {
		if !f.Suppressed {
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, func(a, b check.Finding) int { return int(b.Severity - a.Severity) })
	return out, errs
}

// checksFor returns the checks that can report on kind. Checks that do not declare their
// kinds yet run on every kind: their findings on other objects are dropped.
func (s *Server) checksFor(kind string) []*check.Check {
	var out []*check.Check
	for _, c := range s.opts.Checks {
		if len(c.Kinds) == 0 || c.Reports(kind) {
			out = append(out, c)
		}
	}
	return out
}

// declared says whether every check declares what it reads, so that the cluster objects can
// be narrowed to the kinds they read.
func declared(checks []*check.Check) bool {
	for _, c := range checks {
		if len(c.Kinds) == 0 {
			return false
		}
	}
	return true
}
