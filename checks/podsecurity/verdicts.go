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
	// hard are the templates as the pod fixes leave them, worked out when first asked for.
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

// hardened is a template's spec with the pod fixes applied, and the edits that did it.
type hardened struct {
	once  sync.Once
	edits []podEdit
	spec  *corev1.PodSpec
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

// hardening returns the fixed spec and edits of template i of ts (the inventory's
// PodTemplates), working them out once.
func (v *verdicts) hardening(i int, t inventory.PodTemplate, images *inventory.ImageData) ([]podEdit, *corev1.PodSpec) {
	h := &v.hard[i]
	h.once.Do(func() { h.edits, h.spec = hardening(t.Spec, images) })
	return h.edits, h.spec
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

// hardenedTemplates are the templates ts (of the pass's inventory) as they are once the pod
// fixes are applied.
func (s *scope) hardenedTemplates(ts []inventory.PodTemplate) []inventory.PodTemplate {
	v := s.verdicts()
	images := s.pass.Inv.ImageData()
	out := make([]inventory.PodTemplate, len(ts))
	for i, t := range ts {
		if j, ok := s.position(v, t); ok {
			_, t.Spec = v.hardening(j, t, images)
		} else {
			_, t.Spec = hardening(t.Spec, images)
		}
		out[i] = t
	}
	return out
}

// plan plans one namespace with its workloads, reusing the verdicts where the plan judges
// a template at the level and version the checks did.
func (s *scope) plan(ns *psa.Namespace) psa.Plan {
	v := s.verdicts()
	ts := s.pass.Inv.PodTemplatesIn(ns.Name)
	return s.ev.PlanNamespaceJudged(*ns, ts, func(i int, lv api.LevelVersion) (psa.CheckSet, bool) {
		j, ok := s.position(v, ts[i])
		if !ok || v.pods[j].ns == nil {
			return 0, false
		}
		p := &v.pods[j]
		switch {
		case s.same(lv, p.ns.Judge):
			return p.judge, true
		case p.ns.Judge.Level != api.LevelRestricted && s.same(lv, p.ns.Restricted()):
			return p.restricted, true
		}
		return 0, false
	})
}

// same says whether a and b judge pods alike: the same level at the same concrete version.
func (s *scope) same(a, b api.LevelVersion) bool {
	return a.Level == b.Level && s.ev.Concrete(a.Version) == s.ev.Concrete(b.Version)
}
