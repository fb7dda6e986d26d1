package psa

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/kubeharden/kubeharden/config"
)

// Check is one upstream Pod Security check, by its upstream ID ("privileged",
// "runAsNonRoot") and the level it belongs to.
type Check struct {
	ID    string
	Level api.Level
}

// Checks lists the upstream default checks, sorted by ID.
func Checks() []Check {
	var out []Check
	for _, c := range policy.DefaultChecks() {
		out = append(out, Check{ID: string(c.ID), Level: c.Level})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Failure is one upstream check that a pod fails.
type Failure struct {
	// Check is the upstream check ID; Level the level it belongs to.
	Check string
	Level api.Level
	// Reason and Detail are the upstream ForbiddenReason and ForbiddenDetail, as the API
	// server prints them: "privileged (container "app" must not set ...)".
	Reason, Detail string
	// Path is the offending field, relative to the pod ("spec.containers[0].securityContext.
	// privileged", "metadata.annotations.<key>"). For a missing field it is the field that
	// should be set.
	Path string
}

// Message renders the failure as the API server does: reason (detail).
func (f Failure) Message() string {
	if f.Detail == "" {
		return f.Reason
	}
	return f.Reason + " (" + f.Detail + ")"
}

// Options configure an Evaluator.
type Options struct {
	// Admission is the API server's PodSecurity configuration; nil means unknown.
	Admission *config.PodSecurityAdmission
	// ServerVersion is the API server's version ("v1.33.4"); when set, the version "latest"
	// means that version's policy, as it does in that API server. Empty means the newest
	// policy this library knows.
	ServerVersion string
}

// Evaluator judges pods at a level and version. It is safe for concurrent use.
type Evaluator struct {
	upstream policy.Evaluator
	checks   []policy.Check // sorted: baseline IDs, then restricted IDs, as upstream orders them
	// max is the newest policy version; "latest" and newer versions mean it.
	max      api.Version
	defaults api.Policy
	// known says the admission configuration was given (else namespaces without an enforce
	// label are judged at AssumedLevel).
	known   bool
	exempt  config.PodSecurityExemptions
	mu      sync.Mutex
	actives map[api.LevelVersion][]active
	// index is the position of each check ID in Checks().
	index map[string]int
}

// active is one check function that applies at a level and version.
type active struct {
	id    string
	index int
	level api.Level
	fn    policy.CheckPodFn
}

// AssumedLevel judges namespaces without an enforce label when the cluster's admission
// configuration is unknown: baseline, the level the Pod Security Standards call the minimum
// for ordinary workloads. (The API server's own default, without configuration, is
// privileged: it enforces nothing.)
const AssumedLevel = api.LevelBaseline

// New builds an evaluator from the upstream default checks.
func New(opts Options) (*Evaluator, error) {
	var emulate *api.Version
	if opts.ServerVersion != "" {
		v, err := ServerPolicyVersion(opts.ServerVersion)
		if err != nil {
			return nil, err
		}
		emulate = &v
	}
	checks := policy.DefaultChecks()
	up, err := policy.NewEvaluator(checks, emulate)
	if err != nil {
		return nil, fmt.Errorf("pod security checks: %w", err)
	}
	e := &Evaluator{upstream: up, actives: map[api.LevelVersion][]active{}, index: map[string]int{}}
	ids := Checks()
	if len(ids) > maxChecks {
		return nil, fmt.Errorf("pod security checks: %d upstream checks, a CheckSet holds %d", len(ids), maxChecks)
	}
	for i, c := range ids {
		e.index[c.ID] = i
	}
	for _, c := range checks {
		last := c.Versions[len(c.Versions)-1].MinimumVersion
		if e.max.Older(last) {
			e.max = last
		}
	}
	if emulate != nil && emulate.Older(e.max) {
		e.max = *emulate
	}
	sort.SliceStable(checks, func(i, j int) bool {
		if checks[i].Level != checks[j].Level {
			return checks[i].Level == api.LevelBaseline
		}
		return checks[i].ID < checks[j].ID
	})
	e.checks = checks
	if opts.Admission != nil {
		e.known = true
		e.defaults, err = DefaultPolicy(opts.Admission.Defaults)
		if err != nil {
			return nil, err
		}
		e.exempt = opts.Admission.Exemptions
	} else {
		latest := api.LatestVersion()
		e.defaults = api.Policy{
			Enforce: api.LevelVersion{Level: api.LevelPrivileged, Version: latest},
			Audit:   api.LevelVersion{Level: api.LevelPrivileged, Version: latest},
			Warn:    api.LevelVersion{Level: api.LevelPrivileged, Version: latest},
		}
	}
	return e, nil
}

// DefaultPolicy reads admission defaults; empty fields mean privileged and latest.
func DefaultPolicy(d config.PodSecurityDefaults) (api.Policy, error) {
	or := func(s, def string) string {
		if s == "" {
			return def
		}
		return s
	}
	var p api.Policy
	var errs []string
	for _, f := range []struct {
		name, level, version string
		lv                   *api.LevelVersion
	}{
		{"enforce", d.Enforce, d.EnforceVersion, &p.Enforce},
		{"audit", d.Audit, d.AuditVersion, &p.Audit},
		{"warn", d.Warn, d.WarnVersion, &p.Warn},
	} {
		var err error
		if f.lv.Level, err = api.ParseLevel(or(f.level, string(api.LevelPrivileged))); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", f.name, err))
		}
		if f.lv.Version, err = api.ParseVersion(or(f.version, api.VersionLatest)); err != nil {
			errs = append(errs, fmt.Sprintf("%s-version: %v", f.name, err))
		}
	}
	if len(errs) > 0 {
		return p, fmt.Errorf("pod security defaults: %s", strings.Join(errs, "; "))
	}
	return p, nil
}

// ServerPolicyVersion reads the policy version of an API server version ("v1.33.4",
// "v1.30.5-gke.100", "1.29").
func ServerPolicyVersion(s string) (api.Version, error) {
	t := strings.TrimPrefix(strings.TrimSpace(s), "v")
	major, rest, ok := strings.Cut(t, ".")
	if !ok {
		return api.Version{}, fmt.Errorf("server version %q: want v1.N", s)
	}
	end := strings.IndexFunc(rest, func(r rune) bool { return !unicode.IsDigit(r) })
	if end >= 0 {
		rest = rest[:end]
	}
	maj, err1 := strconv.Atoi(major)
	minor, err2 := strconv.Atoi(rest)
	if err1 != nil || err2 != nil || maj != 1 || minor < 0 {
		return api.Version{}, fmt.Errorf("server version %q: want v1.N", s)
	}
	return api.MajorMinorVersion(maj, minor), nil
}

// Latest is the concrete policy version "latest" stands for.
func (e *Evaluator) Latest() api.Version { return e.max }

// Concrete returns v with "latest" (and versions newer than this policy) replaced by the
// version they mean.
func (e *Evaluator) Concrete(v api.Version) api.Version {
	if e.max.Older(v) {
		return e.max
	}
	return v
}

// actives returns the check functions that judge lv, in the order the upstream evaluator
// runs them. It mirrors the upstream registry: a check applies from its first
// MinimumVersion on, using its newest revision not newer than the version; restricted runs
// the restricted checks and the baseline checks they do not override.
func (e *Evaluator) active(lv api.LevelVersion) []active {
	if lv.Level == api.LevelPrivileged {
		return nil
	}
	lv.Version = e.Concrete(lv.Version)
	e.mu.Lock()
	defer e.mu.Unlock()
	if a, ok := e.actives[lv]; ok {
		return a
	}
	v := lv.Version
	revision := func(c *policy.Check) *policy.VersionedCheck {
		var r *policy.VersionedCheck
		for i := range c.Versions {
			if !v.Older(c.Versions[i].MinimumVersion) {
				r = &c.Versions[i]
			}
		}
		return r
	}
	overridden := map[policy.CheckID]bool{}
	if lv.Level == api.LevelRestricted {
		for i := range e.checks {
			c := &e.checks[i]
			if r := revision(c); c.Level == api.LevelRestricted && r != nil {
				for _, id := range r.OverrideCheckIDs {
					overridden[id] = true
				}
			}
		}
	}
	out := []active{}
	for i := range e.checks {
		c := &e.checks[i]
		if c.Level == api.LevelRestricted && lv.Level != api.LevelRestricted {
			continue
		}
		if overridden[c.ID] {
			continue
		}
		if r := revision(c); r != nil {
			out = append(out, active{string(c.ID), e.index[string(c.ID)], c.Level, r.CheckPod})
		}
	}
	e.actives[lv] = out
	return out
}

// ActiveChecks lists the upstream check IDs that judge lv, in upstream order.
func (e *Evaluator) ActiveChecks(lv api.LevelVersion) []string {
	var out []string
	for _, a := range e.active(lv) {
		out = append(out, a.id)
	}
	return out
}

// Applies reports whether the upstream check id judges pods at lv.
func (e *Evaluator) Applies(id string, lv api.LevelVersion) bool {
	for _, a := range e.active(lv) {
		if a.id == id {
			return true
		}
	}
	return false
}

// Evaluate judges a pod (or pod template) at lv and returns every failing check, in the
// order the API server lists them. The pod is first put in the form the API server judges
// (see Normalize); paths refer to the pod as written.
func (e *Evaluator) Evaluate(lv api.LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) []Failure {
	acts := e.active(lv)
	if len(acts) == 0 {
		return nil
	}
	meta, spec = Normalize(meta, spec)
	var out []Failure
	for _, a := range acts {
		if f, bad := run(a, meta, spec); bad {
			out = append(out, f)
		}
	}
	return out
}

// failing lists the IDs of the checks that fail at lv, as Evaluate does, without finding
// the failing fields (which costs more than the verdicts).
func (e *Evaluator) failing(lv api.LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) []string {
	acts := e.active(lv)
	if len(acts) == 0 {
		return nil
	}
	meta, spec = Normalize(meta, spec)
	var out []string
	for _, a := range acts {
		if !a.fn(meta, spec).Allowed {
			out = append(out, a.id)
		}
	}
	return out
}

// CheckSet is a set of upstream checks: bit i stands for Checks()[i].
type CheckSet uint64

// maxChecks is the number of checks a CheckSet holds.
const maxChecks = 64

// Has reports whether the check at index i (Index) is in the set.
func (s CheckSet) Has(i int) bool { return i >= 0 && i < maxChecks && s&(1<<uint(i)) != 0 }

// Index is the position of upstream check id in Checks(), or -1 for an unknown ID.
func (e *Evaluator) Index(id string) int {
	if i, ok := e.index[id]; ok {
		return i
	}
	return -1
}

// FailingSet judges a pod at lv with every check that applies and returns the checks it
// fails: the checks Evaluate reports, without finding the failing fields. Callers that judge
// a pod for many checks one by one ask once instead (Normalize and the search of the active
// checks then run once per pod, not once per check).
func (e *Evaluator) FailingSet(lv api.LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) CheckSet {
	acts := e.active(lv)
	if len(acts) == 0 {
		return 0
	}
	meta, spec = Normalize(meta, spec)
	var out CheckSet
	for _, a := range acts {
		if !a.fn(meta, spec).Allowed {
			out |= 1 << uint(a.index)
		}
	}
	return out
}

// ids lists the checks of set that judge lv, in the order failing lists them.
func (e *Evaluator) ids(lv api.LevelVersion, set CheckSet) []string {
	if set == 0 {
		return nil
	}
	var out []string
	for _, a := range e.active(lv) {
		if set.Has(a.index) {
			out = append(out, a.id)
		}
	}
	return out
}

// EvaluateCheck judges a pod at lv with the one upstream check id. ok is false when the
// check passes or does not apply at lv.
func (e *Evaluator) EvaluateCheck(id string, lv api.LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) (f Failure, failed bool) {
	for _, a := range e.active(lv) {
		if a.id == id {
			meta, spec = Normalize(meta, spec)
			return run(a, meta, spec)
		}
	}
	return Failure{}, false
}

func run(a active, meta *metav1.ObjectMeta, spec *corev1.PodSpec) (Failure, bool) {
	r := a.fn(meta, spec)
	if r.Allowed {
		return Failure{}, false
	}
	reason := r.ForbiddenReason
	if reason == "" {
		reason = policy.UnknownForbiddenReason
	}
	return Failure{Check: a.id, Level: a.level, Reason: reason, Detail: r.ForbiddenDetail, Path: locate(a.id, a.fn, meta, spec)}, true
}

// Verdict is the upstream evaluator's own aggregate verdict on the normalized pod: what the
// API server's error message says. Evaluate agrees with it check for check.
func (e *Evaluator) Verdict(lv api.LevelVersion, meta *metav1.ObjectMeta, spec *corev1.PodSpec) policy.AggregateCheckResult {
	meta, spec = Normalize(meta, spec)
	return policy.AggregateCheckResults(e.upstream.EvaluatePod(lv, meta, spec))
}

// ExemptRuntimeClass reports whether pods of this runtime class skip admission.
func (e *Evaluator) ExemptRuntimeClass(rc *string) bool {
	return rc != nil && *rc != "" && contains(e.exempt.RuntimeClasses, *rc)
}

// ExemptUser reports whether requests of this user skip admission.
func (e *Evaluator) ExemptUser(name string) bool {
	return name != "" && contains(e.exempt.Usernames, name)
}

// ExemptNamespace reports whether the admission configuration exempts namespace ns.
func (e *Evaluator) ExemptNamespace(ns string) bool {
	return ns != "" && contains(e.exempt.Namespaces, ns)
}

// KnowsDefaults reports whether the cluster's admission configuration was given.
func (e *Evaluator) KnowsDefaults() bool { return e.known }

// Defaults is the policy of a namespace without labels, as the API server sees it (all
// privileged when the configuration is unknown).
func (e *Evaluator) Defaults() api.Policy { return e.defaults }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
