// Package versions holds the checks of the versions practice: the cluster runs a supported,
// patched Kubernetes; its nodes stay within the supported version skew; and manifests use no
// API version that is deprecated, or removed by the version they are headed for.
//
// The checks judge against two tables built in as data: the dated release table
// (data/releases.yaml: release and end-of-support dates and latest patch of every minor from
// 1.16; replaceable with --release-data or versions.releaseData) and the table of deprecated
// and removed APIs (data/apis.yaml). The cluster's version comes from the live cluster or a
// snapshot (inventory.Facts), or, for manifests, from versions.kubernetesVersion
// (--kubernetes-version).
package versions

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// References shared by the checks of this practice.
var (
	refReleases  = "Kubernetes releases and support period (kubernetes.io/releases)"
	refSkew      = "Kubernetes Version Skew Policy"
	refDeprGuide = "Kubernetes Deprecated API Migration Guide"
	refDeprPol   = "Kubernetes Deprecation Policy"
	refNSA       = "NSA-CISA Kubernetes Hardening Guide v1.2: Upgrading and application security practices"
	refCIS       = "CIS Kubernetes Benchmark: keep Kubernetes up to date"
)

// Checks returns the checks of this package.
func Checks() []*check.Check {
	return []*check.Check{ControlPlaneUnsupported, ControlPlaneEOLSoon, ControlPlanePatchBehind, KubeletSkew, NodeMinorMismatch,
		RemovedAPI, DeprecatedAPI, DeprecatedAPICalls}
}

// clusterVersion is the version of the cluster's API server: the cluster's own (live or
// snapshot), else versions.kubernetesVersion. ok is false when neither is known or it does
// not parse.
func clusterVersion(p *check.Pass) (v Version, raw string, ok bool) {
	raw = p.Config.Versions.KubernetesVersion
	if p.Facts != nil && p.Facts.ServerVersion != "" {
		raw = p.Facts.ServerVersion
	}
	if raw == "" {
		return Version{}, "", false
	}
	v, err := ParseVersion(raw)
	return v, raw, err == nil
}

// clusterObject is what findings about the cluster itself are reported on, at the path
// "serverVersion": a snapshot's ClusterFacts document when there is one (so findings have
// its file and lines), else an object of the same kind and name that stands for the cluster,
// so that a live scan and a scan of its snapshot report the same object.
func clusterObject(p *check.Pass) (*inventory.Object, string) {
	if p.Facts != nil && p.Facts.Object != nil {
		return p.Facts.Object, "serverVersion"
	}
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("kubeharden.io/v1")
	u.SetKind("ClusterFacts")
	u.SetName("cluster")
	return inventory.New(u, inventory.Source{}, nil), "serverVersion"
}

// releases returns the release table of the pass's configuration. The CLI validates the
// file before scanning; a library caller that did not sees no version findings for a file
// that cannot be read, rather than a panic.
func releases(p *check.Pass) *Releases {
	r, err := ReleasesFor(p.Config)
	if err != nil {
		return nil
	}
	return r
}
