package psa

import (
	"path"
	"sort"
	"strings"

	"k8s.io/pod-security-admission/api"

	"github.com/kubeharden/kubeharden/inventory"
)

// Plan is the rollout plan of one namespace: the JSON shape of `kubeharden psa plan -o json`.
type Plan struct {
	Namespace string `json:"namespace"`
	// Labels are the namespace's current pod-security.kubernetes.io labels.
	Labels map[string]string `json:"labels"`
	// Strictest is the strictest level that every current workload of the namespace
	// satisfies, at Version.
	Strictest api.Level `json:"strictest"`
	// Blockers are, for each level stricter than Strictest, the workloads that fail it and
	// the upstream checks they fail.
	Blockers map[api.Level][]Blocker `json:"blockers"`
	// Commands set the labels that enforce Strictest (pinned to Version) and warn and audit
	// at the next level; empty when nothing should change.
	Commands []string `json:"commands"`
	// Set are the labels the commands set, for fixes that write them into manifests.
	Set map[string]string `json:"-"`
	// Version is the policy version the workloads were judged at: the namespace's pinned
	// enforce-version, else the newest the cluster (or this library) knows.
	Version string `json:"version"`
	// Exempt says why the namespace is not planned for, when it is exempt.
	Exempt string `json:"exempt,omitempty"`
}

// Blocker is a workload that fails a level.
type Blocker struct {
	Object inventory.Ref `json:"object"`
	Checks []string      `json:"checks"`
}

// levels from least to most strict.
var levels = []api.Level{api.LevelPrivileged, api.LevelBaseline, api.LevelRestricted}

// PlanOptions tune PlanAll.
type PlanOptions struct {
	// Skip are namespace patterns (path.Match globs) kubeharden is configured not to judge;
	// they are planned but get no commands.
	Skip []string
}

// PlanAll plans every namespace of inv that is declared or holds objects, sorted by name.
func (e *Evaluator) PlanAll(inv *inventory.Inventory, opts PlanOptions) []Plan {
	byNS := map[string][]inventory.PodTemplate{}
	for _, t := range inv.PodTemplates() {
		byNS[t.Namespace()] = append(byNS[t.Namespace()], t)
	}
	out := []Plan{}
	for _, name := range inv.Namespaces() {
		var labels map[string]string
		nsObj := inv.Namespace(name)
		if nsObj != nil {
			labels = nsObj.Labels()
		}
		ns := e.Namespace(name, labels, nsObj != nil)
		p := e.PlanNamespace(ns, byNS[name])
		if p.Exempt == "" && Matches(opts.Skip, name) {
			p.Exempt = "kubeharden configuration (podSecurity.exemptNamespaces)"
			p.Commands = []string{}
		}
		out = append(out, p)
	}
	return out
}

// Matches reports whether ns matches one of the path.Match patterns.
func Matches(patterns []string, ns string) bool {
	for _, p := range patterns {
		if ok, err := path.Match(p, ns); ok && err == nil {
			return true
		}
	}
	return false
}

// PlanNamespace plans one namespace with its pod templates.
func (e *Evaluator) PlanNamespace(ns Namespace, templates []inventory.PodTemplate) Plan {
	return e.PlanNamespaceJudged(ns, templates, nil)
}

// PlanNamespaceJudged is PlanNamespace for a caller that already knows what some templates
// fail: judged(i, lv), when ok, is the set of checks templates[i] fails at lv (FailingSet).
func (e *Evaluator) PlanNamespaceJudged(ns Namespace, templates []inventory.PodTemplate, judged func(i int, lv api.LevelVersion) (set CheckSet, ok bool)) Plan {
	version := e.Latest()
	if v, ok := ns.Labels[api.EnforceVersionLabel]; ok {
		if pv, err := api.ParseVersion(v); err == nil {
			version = e.Concrete(pv)
		}
	}
	p := Plan{
		Namespace: ns.Name,
		Labels:    ns.Labels,
		Blockers:  map[api.Level][]Blocker{},
		Commands:  []string{},
		Version:   version.String(),
	}
	worst := api.LevelRestricted
	for i, t := range templates {
		if e.ExemptRuntimeClass(t.Spec.RuntimeClassName) {
			continue
		}
		ref := t.Owner.Ref
		ref.Namespace = t.Namespace()
		for _, lvl := range levels[1:] {
			lv := api.LevelVersion{Level: lvl, Version: version}
			var ids []string
			if set, ok := judgedAt(judged, i, lv); ok {
				ids = e.ids(lv, set)
			} else {
				ids = e.failing(lv, t.Meta, t.Spec)
			}
			if len(ids) == 0 {
				continue
			}
			b := Blocker{Object: ref, Checks: ids}
			p.Blockers[lvl] = append(p.Blockers[lvl], b)
			if below := levels[indexOf(lvl)-1]; api.CompareLevels(below, worst) < 0 {
				worst = below
			}
		}
	}
	p.Strictest = worst
	for lvl := range p.Blockers {
		if api.CompareLevels(lvl, worst) <= 0 {
			delete(p.Blockers, lvl)
		}
	}
	for _, bs := range p.Blockers {
		sort.SliceStable(bs, func(i, j int) bool { return bs[i].Object.String() < bs[j].Object.String() })
	}
	if ns.Exempt {
		p.Exempt = "the cluster's PodSecurity admission configuration: the API server ignores its labels"
		return p
	}
	if cmd, set := labelCommand(ns, worst, version); cmd != "" {
		p.Commands = append(p.Commands, cmd)
		p.Set = set
	}
	return p
}

func judgedAt(judged func(int, api.LevelVersion) (CheckSet, bool), i int, lv api.LevelVersion) (CheckSet, bool) {
	if judged == nil {
		return 0, false
	}
	return judged(i, lv)
}

func indexOf(l api.Level) int {
	for i, x := range levels {
		if x == l {
			return i
		}
	}
	return 0
}

// labelCommand returns the kubectl command that moves the namespace to enforce target
// pinned at version, with warn and audit one level stricter at latest, or "" when the
// labels already say so. It never loosens an enforce label: workloads that violate the
// current level are blockers to fix, not a reason to relax.
func labelCommand(ns Namespace, target api.Level, version api.Version) (string, map[string]string) {
	want := map[string]string{}
	enforce := ns.Policy.Enforce.Level
	_, labelled := ns.Labels[api.EnforceLevelLabel]
	if (!labelled && ns.Source != FromDefault) || hasError(ns.Errors, api.EnforceLevelLabel) {
		enforce = api.LevelPrivileged
	}
	if target != api.LevelPrivileged && api.CompareLevels(target, enforce) >= 0 {
		want[api.EnforceLevelLabel] = string(target)
		want[api.EnforceVersionLabel] = version.String()
		enforce = target
	}
	next := api.LevelRestricted
	if i := indexOf(enforce); i+1 < len(levels) {
		next = levels[i+1]
	}
	for _, k := range []string{api.WarnLevelLabel, api.AuditLevelLabel} {
		if cur, err := api.ParseLevel(ns.Labels[k]); err != nil || api.CompareLevels(cur, next) < 0 {
			want[k] = string(next)
			want[k+"-version"] = api.VersionLatest
		}
	}
	var args []string
	set := map[string]string{}
	for _, k := range LabelKeys {
		if v, ok := want[k]; ok && ns.Labels[k] != v {
			args = append(args, k+"="+v)
			set[k] = v
		}
	}
	if len(args) == 0 {
		return "", nil
	}
	return "kubectl label namespace " + ns.Name + " --overwrite " + strings.Join(args, " "), set
}

// LabelKeys are the Pod Security labels in the order commands and fixes write them.
var LabelKeys = []string{api.EnforceLevelLabel, api.EnforceVersionLabel, api.AuditLevelLabel, api.AuditVersionLabel, api.WarnLevelLabel, api.WarnVersionLabel}
