package admission

import (
	"slices"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// CachedKinds are the kinds Cache keeps.
var CachedKinds = []string{"Namespace", "LimitRange", "ResourceQuota", "Role", "ClusterRole",
	"RoleBinding", "ClusterRoleBinding", "ServiceAccount"}

// Enforceable says whether the webhook can judge objects of kind with c: c reports on kind and
// reads nothing the webhook lacks. The webhook caches CachedKinds and never sees other
// workloads or Secrets; a check that reads those would report what is missing from the cache,
// not from the cluster (a NetworkPolicy that selects no workload, a TLS Secret that does not
// exist). Two exceptions judge correctly without them: a check on a workload that reads other
// workloads only to relate them to it, and the RBAC checks, whose engine reads pods' service
// accounts and token Secrets only to add escalation paths (without them it sees fewer paths,
// never more).
func Enforceable(c *check.Check, kind string) bool {
	if !c.Reports(kind) {
		return false
	}
	if _, ok := resources[kind]; !ok {
		return false
	}
	workload := slices.Contains(check.WorkloadKinds, kind)
	for _, k := range (check.Set{c}).Kinds() {
		switch {
		case k == kind, slices.Contains(CachedKinds, k):
		case slices.Contains(check.WorkloadKinds, k) && (workload || c.Practice() == "rbac"):
		case k == "Secret" && c.Practice() == "rbac":
		default:
			return false
		}
	}
	return true
}

// EnforceableKinds are the kinds the webhook judges with c, sorted.
func EnforceableKinds(c *check.Check) []string {
	var out []string
	for k := range resources {
		if Enforceable(c, k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// Judge returns the unsuppressed findings on obj of the checks the webhook can judge objects
// of its kind with, judged with the cached cluster (check.Evaluator.Judge), highest severity
// first. Suppressions (the object's kubeharden.io/ignore annotation, the config's exceptions)
// apply as in scan.
func (s *Server) Judge(obj *inventory.Object) ([]check.Finding, []check.Error) {
	checks := s.checksFor(obj.Kind)
	if len(checks) == 0 {
		return nil, nil
	}
	ev := s.evaluator()
	now := s.opts.Now()
	var mine []check.Finding
	for _, f := range ev.Judge(obj) {
		if slices.ContainsFunc(checks, func(c *check.Check) bool { return c.ID == f.Check }) {
			mine = append(mine, f)
		}
	}
	errs := check.Suppress(mine, ev.Inventory(), s.opts.Config, now)
	out := mine[:0]
	for _, f := range mine {
		if !f.Suppressed {
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, func(a, b check.Finding) int { return int(b.Severity - a.Severity) })
	return out, errs
}

// evaluator returns the evaluator over the cached cluster, made again when the cache changed.
func (s *Server) evaluator() *check.Evaluator {
	var version int64
	if s.opts.Cluster != nil {
		version = s.opts.Cluster.Version()
	}
	s.evMu.Lock()
	defer s.evMu.Unlock()
	if s.ev != nil && s.evVersion == version {
		return s.ev
	}
	var objs []*inventory.Object
	if s.opts.Cluster != nil {
		objs = s.opts.Cluster.Objects()
	}
	s.ev = check.NewEvaluator(inventory.Build(objs), check.EvalOptions{
		Config: s.opts.Config, Checks: s.enforceable, Now: s.opts.Now()})
	s.evVersion = version
	return s.ev
}

// checksFor returns the checks the webhook judges objects of kind with, computed once per kind.
func (s *Server) checksFor(kind string) []*check.Check {
	s.kindMu.Lock()
	defer s.kindMu.Unlock()
	if cs, ok := s.byKind[kind]; ok {
		return cs
	}
	var out []*check.Check
	for _, c := range s.enforceable {
		if Enforceable(c, kind) {
			out = append(out, c)
		}
	}
	s.byKind[kind] = out
	return out
}
