package versions

import (
	"fmt"
	"time"

	"github.com/kubeharden/kubeharden/check"
)

// controlPlane calls fn with the cluster's version and its release, when both are known.
func controlPlane(p *check.Pass, fn func(v Version, raw string, rel *Release, r *Releases)) {
	v, raw, ok := clusterVersion(p)
	if !ok {
		return
	}
	r := releases(p)
	if r == nil {
		return
	}
	if rel := r.Lookup(v); rel != nil {
		fn(v, raw, rel, r)
	}
}

// endOfDay is the end of a calendar day in UTC: support ends after the EOL date.
func endOfDay(t time.Time) time.Time { return t.AddDate(0, 0, 1) }

// ControlPlaneUnsupported reports a control plane whose minor release is out of support.
var ControlPlaneUnsupported = &check.Check{
	ID:    "versions/control-plane-unsupported",
	Title: "Kubernetes version is out of support",
	Doc: "After its end-of-life date a Kubernetes minor release gets no patches, security fixes " +
		"included: every CVE published since stays open in that cluster. The check reads the " +
		"API server's version (live cluster or snapshot; versions.kubernetesVersion or " +
		"--kubernetes-version for manifests) and the end-of-life date of its minor from the " +
		"release table. Managed offerings (EKS, AKS, GKE) may support a minor longer than " +
		"upstream; their own dates can be given with --release-data. Fix it by upgrading, one " +
		"minor at a time, to a supported release.",
	Severity:    check.High,
	References:  []string{refReleases, refNSA, refCIS},
	Remediation: "Upgrade the control plane, one minor release at a time, to a supported release, then the nodes.",
	Kinds:       []string{"ClusterFacts"},
	Scope:       check.ScopeCluster,
	Run: func(p *check.Pass) {
		controlPlane(p, func(v Version, raw string, rel *Release, r *Releases) {
			if p.Now.Before(endOfDay(rel.EndOfLife.Time)) {
				return
			}
			o, path := clusterObject(p)
			p.Reportf(o, path, "Kubernetes %s is out of support since %s (end of life of %s); the newest release is %s",
				raw, rel.EndOfLife, rel.Minor, r.Releases[0].LatestPatch)
		})
	},
}

// ControlPlaneEOLSoon reports a control plane whose support ends soon.
var ControlPlaneEOLSoon = &check.Check{
	ID:    "versions/control-plane-eol-soon",
	Title: "Kubernetes version reaches end of support soon",
	Doc: "Upgrading a cluster takes planning: add-ons, deprecated APIs and node images must be " +
		"ready for the next minor before its predecessor stops receiving patches. The check " +
		"reports a control plane whose minor release reaches its end-of-life date within " +
		"versions.eolWarningDays (60 unless set), from the release table. Fix it by scheduling " +
		"the upgrade to the next minor release now.",
	Severity:    check.Medium,
	References:  []string{refReleases, refNSA},
	Remediation: "Plan and run the upgrade to the next minor release before the end-of-life date.",
	Kinds:       []string{"ClusterFacts"},
	Scope:       check.ScopeCluster,
	Run: func(p *check.Pass) {
		days := p.Config.Versions.EOLWarning()
		controlPlane(p, func(v Version, raw string, rel *Release, r *Releases) {
			end := endOfDay(rel.EndOfLife.Time)
			if !p.Now.Before(end) || p.Now.Before(end.AddDate(0, 0, -days)) {
				return
			}
			left := int(end.Sub(p.Now).Hours() / 24)
			o, path := clusterObject(p)
			p.Reportf(o, path, "Kubernetes %s reaches end of support on %s, in %d days", raw, rel.EndOfLife, left)
		})
	},
}

// ControlPlanePatchBehind reports a control plane behind the latest patch of its minor.
var ControlPlanePatchBehind = &check.Check{
	ID:    "versions/control-plane-patch-behind",
	Title: "Kubernetes version is behind the latest patch release",
	Doc: "Patch releases carry the security and bug fixes of a supported minor; staying behind " +
		"keeps fixed CVEs open. The check compares the API server's patch with the latest patch " +
		"of its minor in the release table (as of the table's date), and reports how many " +
		"patch releases behind it is: low severity for one or two, medium from three. Vendor " +
		"suffixes (-eks-…, -gke.…, +k3s1) are ignored; pre-releases and minors out of support " +
		"(reported by versions/control-plane-unsupported) are not judged. Fix it by applying " +
		"the latest patch release.",
	Severity:    check.Low,
	References:  []string{refReleases, refNSA, refCIS},
	Remediation: "Upgrade the control plane and nodes to the latest patch release of the minor.",
	Kinds:       []string{"ClusterFacts"},
	Scope:       check.ScopeCluster,
	Run: func(p *check.Pass) {
		controlPlane(p, func(v Version, raw string, rel *Release, r *Releases) {
			latest := rel.Latest()
			if v.Pre || v.Patch < 0 || v.Patch >= latest.Patch || !p.Now.Before(endOfDay(rel.EndOfLife.Time)) {
				return
			}
			n := latest.Patch - v.Patch
			sev := check.Low
			if n >= 3 {
				sev = check.Medium
			}
			o, path := clusterObject(p)
			p.Report(check.Diagnostic{Object: o, Path: path, Severity: sev,
				Message: fmt.Sprintf("Kubernetes %s is %d patch release%s behind %s (latest as of %s)", raw, n, plural(n), latest, r.AsOf)})
		})
	},
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func init() {
	check.Register(ControlPlaneUnsupported, ControlPlaneEOLSoon, ControlPlanePatchBehind)
}
