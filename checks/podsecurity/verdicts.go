package podsecurity

import (
	"runtime"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/pod-security-admission/api"

	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/internal/parallel"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/psa"
)

// verdicts are the judgements of an inventory's pod templates that the pod checks share:
// each of the checks used to resolve the namespace, normalize the pod and search the active
// checks for every template on its own, which cost more than the judgement itself. Each check
// now reads its verdict here and evaluates only the templates that fail it, to find the field.
type verdicts struct {
	// pods are parallel to the inventory's PodTemplates.
	pods []podVerdict
	// hard are the templates' pod fixes and what the fixed pods fail, worked out when first
	// asked for.
	hard []hardened
	// index finds a template's position from its spec, for the checks that read templates
	// by namespace (PodTemplatesIn).
	index     map[*corev1.PodSpec]int
	indexOnce sync.Once
}

// podVerdict is the judgement of one template.
type podVerdict struct {
	// ns is the template's namespace, nil when its pods are not judged (an exempt namespace
	// or runtime class).
	ns *psa.Namespace
	// judge are the checks the pods fail at the namespace's level; restricted those they
	// fail at restricted, when that is not the namespace's level.
	judge, restricted psa.CheckSet
}

// hardened are the pod fixes of a template and the verdicts on the pods they leave, at the
// template's level and at restricted (as in podVerdict). The fixed spec itself is not kept:
// held for every template, it weighed more than the checks' findings.
type hardened struct {
	once              sync.Once
	edits             []podEdit
	judge, restricted psa.CheckSet
}

// verdictKey memoizes verdicts on an inventory for one evaluator and configuration. The
// incremental evaluator forgets them on every change (they are not an engine).
type verdictKey struct {
	ev  *psa.Evaluator
	cfg *config.Config
}

// verdicts returns the verdicts of the pass's inventory, judged once for all the checks
// that ask.
func (s *scope) verdicts() *verdicts {
	return s.pass.Inv.Memo(verdictKey{s.ev, s.pass.Config}, func() any { return s.judge() }).(*verdicts)
}

// chunk is the number of templates one worker judges at a time.
const chunk = 256

func (s *scope) judge() *verdicts {
	ts := s.pass.Inv.PodTemplates()
	v := &verdicts{pods: make([]podVerdict, len(ts)), hard: make([]hardened, len(ts))}
	for i, t := range ts {
		if ns, ok := s.namespace(t.Namespace()); ok && !s.ev.ExemptRuntimeClass(t.Spec.RuntimeClassName) {
			v.pods[i].ns = ns
		}
	}
	parallel.Each((len(ts)+chunk-1)/chunk, runtime.GOMAXPROCS(0), func(c int) {
		for i := c * chunk; i < min(len(ts), (c+1)*chunk); i++ {
			p, t := &v.pods[i], ts[i]
			if p.ns == nil {
				continue
			}
			p.judge = s.ev.FailingSet(p.ns.Judge, t.Meta, t.Spec)
			if p.ns.Judge.Level != api.LevelRestricted {
				p.restricted = s.ev.FailingSet(p.ns.Restricted(), t.Meta, t.Spec)
			}
		}
	}, nil)
	return v
}

// hardening returns the fixes of template i of the inventory's PodTemplates (t) and the
// verdicts on the pods they leave, working them out once.
func (s *scope) hardening(v *verdicts, i int, t inventory.PodTemplate) *hardened {
	h := &v.hard[i]
	h.once.Do(func() {
		var spec *corev1.PodSpec
		h.edits, spec = hardening(t.Spec, s.pass.Inv.ImageData())
		if ns := v.pods[i].ns; ns != nil {
			h.judge = s.ev.FailingSet(ns.Judge, t.Meta, spec)
			if ns.Judge.Level != api.LevelRestricted {
				h.restricted = s.ev.FailingSet(ns.Restricted(), t.Meta, spec)
			}
		}
	})
	return h
}

// position is the position of template t in the inventory's PodTemplates.
func (s *scope) position(v *verdicts, t inventory.PodTemplate) (int, bool) {
	v.indexOnce.Do(func() {
		all := s.pass.Inv.PodTemplates()
		v.index = make(map[*corev1.PodSpec]int, len(all))
		for i, t := range all {
			v.index[t.Spec] = i
		}
	})
	i, ok := v.index[t.Spec]
	return i, ok
}

// planFixed plans namespace ns with its templates as the pod fixes leave them, reusing the
// verdicts on the fixed pods where the plan judges them at the level and version the
// checks did.
func (s *scope) planFixed(ns *psa.Namespace) psa.Plan {
	v := s.verdicts()
	ts := s.pass.Inv.PodTemplatesIn(ns.Name)
	return s.ev.PlanNamespaceJudged(*ns, ts, func(i int, lv api.LevelVersion) (psa.CheckSet, bool) {
		t := ts[i]
		if j, ok := s.position(v, t); ok && v.pods[j].ns != nil {
			h := s.hardening(v, j, t)
			if set, ok := s.at(v.pods[j].ns, lv, h.judge, h.restricted); ok {
				return set, true
			}
		}
		_, spec := hardening(t.Spec, s.pass.Inv.ImageData())
		return s.ev.FailingSet(lv, t.Meta, spec), true
	})
}

// plan plans one namespace with its workloads, reusing the verdicts where the plan judges
// a template at the level and version the checks did.
func (s *scope) plan(ns *psa.Namespace) psa.Plan {
	v := s.verdicts()
	ts := s.pass.Inv.PodTemplatesIn(ns.Name)
	return s.ev.PlanNamespaceJudged(*ns, ts, func(i int, lv api.LevelVersion) (psa.CheckSet, bool) {
		if j, ok := s.position(v, ts[i]); ok && v.pods[j].ns != nil {
			p := &v.pods[j]
			return s.at(p.ns, lv, p.judge, p.restricted)
		}
		return 0, false
	})
}

// at picks, of the verdicts judge and restricted on a template of namespace ns (as in
// podVerdict), the one at lv, if either judges pods as lv does: the same level at the same
// concrete version.
func (s *scope) at(ns *psa.Namespace, lv api.LevelVersion, judge, restricted psa.CheckSet) (psa.CheckSet, bool) {
	same := func(a, b api.LevelVersion) bool {
		return a.Level == b.Level && s.ev.Concrete(a.Version) == s.ev.Concrete(b.Version)
	}
	switch {
	case same(lv, ns.Judge):
		return judge, true
	case ns.Judge.Level != api.LevelRestricted && same(lv, ns.Restricted()):
		return restricted, true
	}
	return 0, false
}
