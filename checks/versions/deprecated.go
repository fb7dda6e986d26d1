package versions

import (
	"fmt"
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// targetVersion is the version deprecated APIs are judged for: versions.targetVersion
// (--target-version), else the minor after the cluster's, else the newest minor the release
// table knows.
func targetVersion(p *check.Pass) (Version, bool) {
	if t := p.Config.Versions.TargetVersion; t != "" {
		v, err := ParseVersion(t)
		return v, err == nil
	}
	if v, _, ok := clusterVersion(p); ok {
		return Version{Major: v.Major, Minor: v.Minor + 1, Patch: -1}, true
	}
	if r := releases(p); r != nil {
		return r.Newest(), true
	}
	return Version{}, false
}

// eachDeprecated calls fn for every object whose apiVersion and kind the table lists as
// deprecated by target. Objects kubeharden itself makes (Dockerfiles, cluster facts) are
// not manifests and are skipped.
func eachDeprecated(p *check.Pass, fn func(o *inventory.Object, a *API, target Version)) {
	target, ok := targetVersion(p)
	if !ok {
		return
	}
	t := DeprecatedAPIs()
	for _, o := range p.Inv.All() {
		if strings.HasPrefix(o.APIVersion, "kubeharden.io/") {
			continue
		}
		if a := t.Lookup(o.APIVersion, o.Kind); a != nil && a.DeprecatedBy(target) {
			fn(o, a, target)
		}
	}
}

// migration says what to migrate to at target.
func migration(a *API, target Version) string {
	apiVersion, kind := DeprecatedAPIs().ReplacementAt(a, target)
	switch {
	case apiVersion != "" && kind != a.Kind:
		return fmt.Sprintf("use %s %s", apiVersion, kind)
	case apiVersion != "":
		return "use " + apiVersion
	case a.Note != "":
		return a.Note
	}
	return "no replacement is served"
}

// RemovedAPI reports manifests using API versions that the target version no longer serves.
var RemovedAPI = &check.Check{
	ID:    "versions/removed-api",
	Title: "Manifest uses an API version that is removed by the target version",
	Doc: "A Kubernetes release that stops serving an API version rejects every manifest still " +
		"written for it: kubectl apply, Helm and GitOps tools fail on upgrade day. The check " +
		"compares each object's apiVersion and kind with the table of removed APIs (every removal " +
		"from 1.16 to 1.37, from the Deprecated API Migration Guide and the API lifecycle the API " +
		"server enforces) for the target version: --target-version (versions.targetVersion), " +
		"else the minor after the cluster's version, else the newest minor kubeharden knows. " +
		"Fix it by moving the manifest to the replacement apiVersion (kubectl convert helps) and " +
		"applying the field changes the migration guide lists.",
	Severity:    check.High,
	Fixable:     true,
	References:  []string{refDeprGuide, refDeprPol, refNSA},
	Remediation: "Move the manifest to the replacement apiVersion named in the finding (kubectl convert --output-version) and apply the migration guide's field changes.",
	Kinds:       []string{check.AnyKind},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		current, _, known := clusterVersion(p)
		eachDeprecated(p, func(o *inventory.Object, a *API, target Version) {
			if !a.RemovedBy(target) {
				return
			}
			when := fmt.Sprintf("Kubernetes %s and later (target %s)", a.Removed, target.MinorString())
			if known && a.RemovedBy(current) {
				when = fmt.Sprintf("Kubernetes %s and later, including this cluster's %s", a.Removed, current.MinorString())
			}
			p.Report(check.Diagnostic{Object: o, Path: "apiVersion",
				Message: fmt.Sprintf("%s %s is not served by %s: %s", o.APIVersion, o.Kind, when, migration(a, target)),
				Fixes:   moveFix(o, a, target)})
		})
	},
}

// DeprecatedAPI reports manifests using API versions deprecated, but still served, at the
// target version.
var DeprecatedAPI = &check.Check{
	ID:    "versions/deprecated-api",
	Title: "Manifest uses a deprecated API version",
	Doc: "A deprecated API version still works, with a warning on every request, until the " +
		"release that removes it; migrating early turns the upgrade that removes it into a " +
		"non-event. The check reports objects whose apiVersion and kind are deprecated at the " +
		"target version (see versions/removed-api) but still served, with the release that " +
		"removes them when one is scheduled. Fix it by moving to the replacement apiVersion.",
	Severity:    check.Low,
	Fixable:     true,
	References:  []string{refDeprGuide, refDeprPol},
	Remediation: "Move the manifest to the replacement apiVersion named in the finding.",
	Kinds:       []string{check.AnyKind},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		eachDeprecated(p, func(o *inventory.Object, a *API, target Version) {
			if a.RemovedBy(target) {
				return
			}
			removal := "no removal is scheduled"
			if a.Removed != "" {
				removal = "removed in " + a.Removed
			}
			d := check.Diagnostic{Object: o, Path: "apiVersion",
				Message: fmt.Sprintf("%s %s is deprecated since Kubernetes %s (%s; target %s): %s",
					o.APIVersion, o.Kind, a.Deprecated, removal, target.MinorString(), migration(a, target))}
			// The replacement is served from the release that deprecates the old version.
			if current, _, known := clusterVersion(p); !known || a.DeprecatedBy(current) {
				d.Fixes = moveFix(o, a, target)
			}
			p.Report(d)
		})
	},
}

// DeprecatedAPICalls reports deprecated APIs that clients still call, from the API server's
// metrics.
var DeprecatedAPICalls = &check.Check{
	ID:    "versions/deprecated-api-calls",
	Title: "Clients call deprecated APIs",
	Doc: "Manifests are only half of it: controllers, operators, CI jobs and scripts call APIs " +
		"too, and break when a version is removed. The API server counts every request to a " +
		"deprecated API in its apiserver_requested_deprecated_apis metric, since it started; " +
		"kubeharden reads it from /metrics on live scans when permitted (get on the /metrics " +
		"non-resource URL) and keeps it in snapshots. Calls to an API removed by the target " +
		"version are high severity, others medium. The audit log annotation " +
		"k8s.io/deprecated names the calling user agents. With several API servers, each counts " +
		"its own requests. Fix it by upgrading or reconfiguring the clients to the replacement " +
		"versions.",
	Severity:    check.Medium,
	References:  []string{refDeprGuide, "Kubernetes blog: Warning: Helpful Warnings Ahead (deprecated API metrics and audit annotations)"},
	Remediation: "Find the callers (audit log annotation k8s.io/deprecated, or the user agent in API server logs) and move them to the replacement API version.",
	Kinds:       []string{"ClusterFacts"},
	Scope:       check.ScopeCluster,
	Run: func(p *check.Pass) {
		if p.Facts == nil || len(p.Facts.DeprecatedAPIRequests) == 0 {
			return
		}
		target, ok := targetVersion(p)
		if !ok {
			return
		}
		o, path := clusterObject(p)
		t := DeprecatedAPIs()
		for _, r := range p.Facts.DeprecatedAPIRequests {
			gv := r.Version
			if r.Group != "" {
				gv = r.Group + "/" + r.Version
			}
			res := r.Resource
			if r.Subresource != "" {
				res += "/" + r.Subresource
			}
			sev, removal := check.Medium, "no removal is scheduled"
			if r.RemovedRelease != "" {
				removal = "removed in " + r.RemovedRelease
				if rv, err := ParseVersion(r.RemovedRelease); err == nil && rv.MinorsBehind(target) >= 0 {
					sev = check.High
				}
			}
			msg := fmt.Sprintf("clients called the deprecated API %s %s since the API server started (%s; target %s)", gv, res, removal, target.MinorString())
			if a := t.lookupResource(gv, r.Resource); a != nil {
				msg += ": " + migration(a, target)
			}
			p.Report(check.Diagnostic{Object: o, Path: path, Severity: sev, Message: msg})
		}
	},
}

// lookupResource finds an entry by apiVersion and resource (the lower-case plural of the
// kind, as URLs and metrics name it).
func (t *APIs) lookupResource(apiVersion, resource string) *API {
	for i := range t.list {
		a := &t.list[i]
		if a.APIVersion == apiVersion && resourceOf(a.Kind) == resource {
			return a
		}
	}
	return nil
}

// resourceOf is the resource name of a kind, as the API server pluralises built-in kinds.
func resourceOf(kind string) string {
	k := strings.ToLower(kind)
	switch {
	case k == "endpoints":
		return k
	case strings.HasSuffix(k, "s"), strings.HasSuffix(k, "x"), strings.HasSuffix(k, "ch"), strings.HasSuffix(k, "sh"):
		return k + "es"
	case strings.HasSuffix(k, "y") && !strings.HasSuffix(k, "ey") && !strings.HasSuffix(k, "ay"):
		return k[:len(k)-1] + "ies"
	}
	return k + "s"
}

func init() {
	check.Register(RemovedAPI, DeprecatedAPI, DeprecatedAPICalls)
}
