package podsecurity

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/pod-security-admission/api"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/psa"
)

// NoEnforceLabel reports namespaces that run workloads while Pod Security enforces nothing.
var NoEnforceLabel = &check.Check{
	ID:    "podsecurity/no-enforce-label",
	Title: "Namespace runs workloads without enforcing a Pod Security level",
	Doc: "Pod Security admission only refuses pods in namespaces labelled " +
		"pod-security.kubernetes.io/enforce (or covered by a cluster default). Without the label, " +
		"or with enforce=privileged, the API server admits privileged, host-network and " +
		"hostPath pods there from anyone allowed to create a pod. The check reports a loaded " +
		"Namespace that holds workloads and has no enforce label, unless the cluster's " +
		"admission configuration (--admission-config) makes a stricter level the default, or " +
		"that enforces privileged. Namespaces the admission configuration or kubeharden's " +
		"configuration exempt are skipped. `kubeharden psa plan` gives the strictest level the " +
		"namespace's workloads already meet and the label command to apply; each finding carries it.",
	Severity:    check.Medium,
	Fixable:     true,
	References:  []string{refCIS521, refNSA, refPSA},
	Remediation: "Label the namespace with pod-security.kubernetes.io/enforce=baseline (or restricted) and a pinned enforce-version; `kubeharden psa plan` prints the exact command.",
	Kinds:       []string{"Namespace"},
	Reads:       []string{check.Workloads},
	Scope:       check.ScopeNamespace,
	Requires:    []check.Requirement{engines.PodSecurity},
	Run:         runNoEnforceLabel,
}

// UnpinnedVersion reports enforce labels without a pinned, current policy version.
var UnpinnedVersion = &check.Check{
	ID:    "podsecurity/unpinned-version",
	Title: "Enforced Pod Security level is not pinned to a current version",
	Doc: "The Pod Security Standards change between Kubernetes versions (new checks such as " +
		"hostProbesAndHostLifecycle in v1.34, wider sysctl allow-lists). With enforce-version " +
		"missing or latest, a control-plane upgrade can start refusing pods that were admitted " +
		"the day before; Kubernetes recommends pinning enforce-version and watching the next " +
		"version with warn and audit at latest. A version older than the cluster's, on the other " +
		"hand, leaves newer checks unenforced. The check reports a namespace that enforces " +
		"baseline or restricted with enforce-version missing or latest, or (when the cluster " +
		"version is known) pinned below it.",
	Severity:    check.Low,
	Fixable:     true,
	References:  []string{refPSA, refNSA},
	Remediation: "Set pod-security.kubernetes.io/enforce-version to the cluster's minor version (e.g. v1.37), and warn-version/audit-version to latest.",
	Kinds:       []string{"Namespace"},
	Scope:       check.ScopeObject,
	Requires:    []check.Requirement{engines.PodSecurity},
	Run:         runUnpinnedVersion,
}

// WarnAuditWeaker reports namespaces whose warn or audit level is weaker than enforce.
var WarnAuditWeaker = &check.Check{
	ID:    "podsecurity/warn-audit-weaker",
	Title: "Pod Security warn or audit is weaker than enforce",
	Doc: "Warn returns a warning to the client and audit records a violation in the audit log; " +
		"both are how teams see a stricter level coming before it is enforced. A warn or audit " +
		"level weaker than enforce is meaningless, and a missing audit label leaves the audit " +
		"level at the cluster default (privileged unless configured), so violations are never " +
		"recorded. The check reports a namespace that enforces baseline or restricted by label " +
		"where the effective warn or audit level, as the API server resolves it, is weaker than " +
		"enforce. (A missing warn label is not reported: the API server then warns at the " +
		"enforce level.)",
	Severity:    check.Low,
	Fixable:     true,
	References:  []string{refPSA, refNSA},
	Remediation: "Set pod-security.kubernetes.io/warn and audit to the enforce level or stricter (ideally the next level, at latest).",
	Kinds:       []string{"Namespace"},
	Scope:       check.ScopeObject,
	Requires:    []check.Requirement{engines.PodSecurity},
	Run:         runWarnAuditWeaker,
}

// InvalidLabel reports Pod Security labels the API server refuses or ignores.
var InvalidLabel = &check.Check{
	ID:    "podsecurity/invalid-label",
	Title: "Invalid or unknown Pod Security label",
	Doc: "The API server refuses to create or update a Namespace whose Pod Security labels " +
		"have an invalid value (a level other than privileged, baseline or restricted, a version " +
		"other than latest or v1.N), and reads an invalid enforce level on an existing namespace " +
		"as restricted. A misspelt key (pod-security.kubernetes.io/enforced) is silently ignored, " +
		"so the namespace enforces nothing. The check reports every label under " +
		"pod-security.kubernetes.io/ that is not one of enforce, audit, warn and their -version " +
		"keys with a valid value.",
	Severity:    check.High,
	Fixable:     true,
	References:  []string{refPSA},
	Remediation: "Use pod-security.kubernetes.io/{enforce,audit,warn}=privileged|baseline|restricted and {enforce,audit,warn}-version=latest|v1.N.",
	Kinds:       []string{"Namespace"},
	Scope:       check.ScopeObject,
	Requires:    []check.Requirement{engines.PodSecurity},
	Run:         runInvalidLabel,
}

func init() {
	check.Register(NoEnforceLabel, UnpinnedVersion, WarnAuditWeaker, InvalidLabel)
}

// labelPath is the field path of a namespace label.
func labelPath(key string) string { return "metadata.labels." + key }

// namespaces calls f for every loaded Namespace object that is not exempt, with its
// resolution and the number of pod templates it holds.
func (s *scope) namespaces(f func(o *inventory.Object, ns *psa.Namespace, workloads int)) {
	count := map[string]int{}
	for _, t := range s.pass.Inv.PodTemplates() {
		count[t.Namespace()]++
	}
	for _, o := range s.pass.Inv.ByKind("Namespace") {
		if o.APIVersion != "v1" {
			continue
		}
		if ns, ok := s.namespace(o.Name); ok {
			f(o, ns, count[o.Name])
		}
	}
}

func runNoEnforceLabel(pass *check.Pass) {
	s := newScope(pass)
	s.namespaces(func(o *inventory.Object, ns *psa.Namespace, workloads int) {
		if workloads == 0 {
			return
		}
		d := check.Diagnostic{Object: o}
		level, labelled := ns.Labels[api.EnforceLevelLabel]
		switch {
		case !labelled && s.ev.KnowsDefaults() && ns.Policy.Enforce.Level != api.LevelPrivileged:
			return
		case !labelled:
			def := "Kubernetes' own default is privileged"
			if s.ev.KnowsDefaults() {
				def = "the cluster default is privileged"
			}
			d.Path = "metadata.labels"
			d.Message = fmt.Sprintf("namespace %q runs %s and has no %s label: the API server admits any pod there (%s)",
				o.Name, plural(workloads, "workload"), api.EnforceLevelLabel, def)
		case level == string(api.LevelPrivileged):
			d.Path = labelPath(api.EnforceLevelLabel)
			d.Message = fmt.Sprintf("namespace %q runs %s and enforces privileged: the API server admits any pod there",
				o.Name, plural(workloads, "workload"))
		default:
			return
		}
		if cmds := s.plan(ns).Commands; len(cmds) > 0 {
			d.Remediation = "Run: " + cmds[0]
		}
		// The fix judges the workloads as the pod fixes leave them, so that the level it
		// writes holds once both are applied.
		if !pass.NoFixes {
			fixed := s.planFixed(ns)
			if _, ok := fixed.Set[api.EnforceLevelLabel]; ok {
				d.Fixes = []check.SuggestedFix{{
					Message: fmt.Sprintf("label the namespace to enforce %s, the strictest level its workloads meet once their pod fixes are applied (psa plan), pinned to %s", fixed.Strictest, fixed.Version),
					Edits:   labelEdits(o, fixed.Set),
				}}
			}
		}
		pass.Report(d)
	})
}

// labelEdits sets labels on o in the order psa writes them.
func labelEdits(o *inventory.Object, set map[string]string) []check.Edit {
	var out []check.Edit
	for _, k := range psa.LabelKeys {
		if v, ok := set[k]; ok {
			out = append(out, check.SetAt(o, labelPath(k), v))
		}
	}
	return out
}

func runUnpinnedVersion(pass *check.Pass) {
	s := newScope(pass)
	var server *api.Version
	if pass.Facts != nil && pass.Facts.ServerVersion != "" {
		if v, err := psa.ServerPolicyVersion(pass.Facts.ServerVersion); err == nil {
			server = &v
		}
	}
	s.namespaces(func(o *inventory.Object, ns *psa.Namespace, _ int) {
		level, labelled := ns.Labels[api.EnforceLevelLabel]
		if !labelled || (level != string(api.LevelBaseline) && level != string(api.LevelRestricted)) {
			return
		}
		// Pinning to the version enforced today changes nothing the API server does now.
		pin := s.ev.Latest().String()
		if server != nil {
			pin = server.String()
		}
		v, set := ns.Labels[api.EnforceVersionLabel]
		switch {
		case !set:
			pass.Report(check.Diagnostic{Object: o, Path: labelPath(api.EnforceLevelLabel),
				Message: fmt.Sprintf("namespace %q enforces %s without %s: it follows the API server's version, so an upgrade can start refusing pods",
					o.Name, level, api.EnforceVersionLabel),
				Remediation: "Set " + api.EnforceVersionLabel + "=" + pin + ".",
				Fixes:       pinFix(o, pin)})
		case v == api.VersionLatest:
			pass.Report(check.Diagnostic{Object: o, Path: labelPath(api.EnforceVersionLabel),
				Message: fmt.Sprintf("namespace %q enforces %s at version latest: an upgrade of the API server can start refusing pods",
					o.Name, level),
				Remediation: "Set " + api.EnforceVersionLabel + "=" + pin + ".",
				Fixes:       pinFix(o, pin)})
		case server != nil:
			pv, err := api.ParseVersion(v)
			if err != nil || !pv.Older(*server) {
				return
			}
			added := newerChecks(s.ev, api.Level(level), pv, *server)
			msg := fmt.Sprintf("namespace %q pins %s to %s but the cluster runs %s", o.Name, api.EnforceVersionLabel, v, server)
			if len(added) > 0 {
				msg += ": checks " + strings.Join(added, ", ") + " are not enforced"
			} else {
				msg += ": checks revised since are enforced in their older form"
			}
			pass.Report(check.Diagnostic{Object: o, Path: labelPath(api.EnforceVersionLabel), Message: msg,
				Remediation: "Check the namespace with `kubeharden psa plan`, then set " + api.EnforceVersionLabel + "=" + server.String() + "."})
		}
	})
}

func pinFix(o *inventory.Object, pin string) []check.SuggestedFix {
	return []check.SuggestedFix{{Message: "pin " + api.EnforceVersionLabel + " to " + pin + ", the version enforced today",
		Edits: []check.Edit{check.SetAt(o, labelPath(api.EnforceVersionLabel), pin)}}}
}

// newerChecks lists the checks that apply to level at version to but not at from.
func newerChecks(ev *psa.Evaluator, level api.Level, from, to api.Version) []string {
	old := map[string]bool{}
	for _, id := range ev.ActiveChecks(api.LevelVersion{Level: level, Version: from}) {
		old[id] = true
	}
	var out []string
	for _, id := range ev.ActiveChecks(api.LevelVersion{Level: level, Version: to}) {
		if !old[id] {
			out = append(out, id)
		}
	}
	return out
}

func runWarnAuditWeaker(pass *check.Pass) {
	s := newScope(pass)
	s.namespaces(func(o *inventory.Object, ns *psa.Namespace, _ int) {
		weak, path, edits := weaker(o, ns)
		if len(weak) == 0 {
			return
		}
		enforce := ns.Policy.Enforce.Level
		pass.Report(check.Diagnostic{Object: o, Path: path,
			Message: fmt.Sprintf("namespace %q enforces %s but %s: violations of the enforced level are not surfaced",
				o.Name, enforce, strings.Join(weak, " and ")),
			Remediation: fmt.Sprintf("Set %s=%s and %s=%s (or the next stricter level).", api.AuditLevelLabel, enforce, api.WarnLevelLabel, enforce),
			Fixes:       []check.SuggestedFix{{Message: "raise warn and audit to the enforced level, " + string(enforce), Edits: edits}}})
	})
}

// weaker describes the warn and audit levels of ns weaker than its enforce label, with the
// path of the first and the edits that raise them.
func weaker(o *inventory.Object, ns *psa.Namespace) (weak []string, path string, edits []check.Edit) {
	level, labelled := ns.Labels[api.EnforceLevelLabel]
	if !labelled || len(ns.Errors) > 0 || level == string(api.LevelPrivileged) {
		return nil, "", nil
	}
	enforce := ns.Policy.Enforce.Level
	for _, m := range []struct {
		name, key string
		lv        api.LevelVersion
	}{{"audit", api.AuditLevelLabel, ns.Policy.Audit}, {"warn", api.WarnLevelLabel, ns.Policy.Warn}} {
		if api.CompareLevels(m.lv.Level, enforce) >= 0 {
			continue
		}
		edits = append(edits, check.SetAt(o, labelPath(m.key), string(enforce)))
		if _, set := ns.Labels[m.key]; set {
			weak = append(weak, fmt.Sprintf("%s is %s", m.name, m.lv.Level))
			if path == "" {
				path = labelPath(m.key)
			}
		} else {
			weak = append(weak, fmt.Sprintf("%s is unset (cluster default %s)", m.name, m.lv.Level))
		}
	}
	if path == "" {
		path = labelPath(api.EnforceLevelLabel)
	}
	return weak, path, edits
}

// validKeys are the Pod Security label keys the API server reads.
var validKeys = map[string]bool{
	api.EnforceLevelLabel: true, api.EnforceVersionLabel: true,
	api.AuditLevelLabel: true, api.AuditVersionLabel: true,
	api.WarnLevelLabel: true, api.WarnVersionLabel: true,
}

func runInvalidLabel(pass *check.Pass) {
	s := newScope(pass)
	for _, o := range pass.Inv.ByKind("Namespace") {
		if o.APIVersion != "v1" {
			continue
		}
		labels := o.Labels()
		keys := make([]string, 0, len(labels))
		for k := range labels {
			if strings.HasPrefix(k, psa.LabelPrefix) {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := labels[k]
			var msg string
			switch {
			case !validKeys[k]:
				msg = fmt.Sprintf("label %s is not a Pod Security label: the API server ignores it", k)
			case strings.HasSuffix(k, "-version"):
				if _, err := api.ParseVersion(v); err != nil {
					msg = fmt.Sprintf("label %s=%q: %v; the API server refuses to create or update the namespace", k, v, err)
				}
			default:
				if _, err := api.ParseLevel(v); err != nil {
					msg = fmt.Sprintf("label %s=%q: %v; the API server refuses to create or update the namespace", k, v, err)
					if k == api.EnforceLevelLabel {
						msg += ", and enforces restricted on an existing one"
					}
				}
			}
			if msg != "" {
				d := check.Diagnostic{Object: o, Path: labelPath(k), Message: msg}
				if fixed := normalLabel(k, v); fixed != "" {
					d.Fixes = []check.SuggestedFix{{Message: "write " + k + " as the API server spells it: " + fixed,
						Edits: append([]check.Edit{check.SetAt(o, labelPath(k), fixed)}, s.revealed(o, k, fixed)...)}}
				}
				pass.Report(d)
			}
		}
	}
}

// revealed are the edits warn-audit-weaker would ask for once label k reads fixed: a valid
// enforce label can make warn and audit weaker than it, and one run of fix should leave
// nothing for the next.
func (s *scope) revealed(o *inventory.Object, k, fixed string) []check.Edit {
	labels := map[string]string{}
	for key, v := range o.Labels() {
		labels[key] = v
		if n := normalLabel(key, v); n != "" {
			labels[key] = n
		}
	}
	labels[k] = fixed
	ns := s.ev.Namespace(o.Name, labels, true)
	_, _, edits := weaker(o, &ns)
	return edits
}

// normalLabel is the valid spelling of a Pod Security label value that only differs from one
// in case, spaces or a missing "v" ("Restricted", "1.30"), or "" when there is none: a
// misspelt key or another level is for a person to decide.
func normalLabel(key, v string) string {
	if !validKeys[key] {
		return ""
	}
	n := strings.ToLower(strings.TrimSpace(v))
	if strings.HasSuffix(key, "-version") {
		if n != api.VersionLatest && !strings.HasPrefix(n, "v") {
			n = "v" + n
		}
		if _, err := api.ParseVersion(n); err == nil {
			return n
		}
		return ""
	}
	if _, err := api.ParseLevel(n); err == nil {
		return n
	}
	return ""
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprint(n) + " " + what + "s"
}
