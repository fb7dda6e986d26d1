package versions

import (
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// maxKubeletSkew is how many minor releases a kubelet may be older than the API server:
// three since 1.28 (KEP-3935), two before. A kubelet may never be newer.
func maxKubeletSkew(apiserver Version) int {
	if apiserver.Major == 1 && apiserver.Minor < 28 {
		return 2
	}
	return 3
}

// kubelet is one node's kubelet version and where to report on it.
type kubelet struct {
	node    string
	raw     string
	version Version
	obj     *inventory.Object
	path    string
}

// kubelets returns the nodes' kubelet versions, from the facts (live cluster, snapshot) and
// the Node objects read, sorted by node name. Findings go on the Node object when it was
// read, else on the snapshot's ClusterFacts document.
func kubelets(p *check.Pass) []kubelet {
	raw := map[string]string{}
	if p.Facts != nil {
		for n, v := range p.Facts.KubeletVersions {
			raw[n] = v
		}
	}
	nodes := map[string]*inventory.Object{}
	for _, o := range p.Inv.ByKind("Node") {
		if n, ok := o.Obj.(*corev1.Node); ok {
			nodes[n.Name] = o
			if v := n.Status.NodeInfo.KubeletVersion; v != "" {
				raw[n.Name] = v
			}
		}
	}
	var out []kubelet
	for name, r := range raw {
		v, err := ParseVersion(r)
		if err != nil {
			continue
		}
		k := kubelet{node: name, raw: r, version: v}
		if o := nodes[name]; o != nil {
			k.obj, k.path = o, "status.nodeInfo.kubeletVersion"
		} else {
			k.obj, _ = clusterObject(p)
			k.path = "kubeletVersions." + name
		}
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].node < out[j].node })
	return out
}

// KubeletSkew reports kubelets outside the supported version skew.
var KubeletSkew = &check.Check{
	ID:    "versions/kubelet-skew",
	Title: "Kubelet version is outside the supported skew",
	Doc: "The version skew policy supports a kubelet up to three minor releases older than the " +
		"API server (two before 1.28) and never newer. Outside that range the combination is " +
		"untested: API calls the kubelet makes may be refused, and features and security fixes " +
		"behave differently across nodes. Kubelet versions come from the Node objects (live " +
		"cluster or snapshot). Fix it by upgrading (or, for a newer kubelet, replacing) the node.",
	Severity:    check.High,
	References:  []string{refSkew, refNSA},
	Remediation: "Upgrade the node's kubelet to within the supported skew (ideally the control plane's minor); never run a kubelet newer than the API server.",
	Kinds:       []string{"Node", "ClusterFacts"},
	Reads:       []string{"Node"},
	Scope:       check.ScopeCluster,
	Run: func(p *check.Pass) {
		api, raw, ok := clusterVersion(p)
		if !ok || p.Facts == nil || p.Facts.ServerVersion == "" {
			return // skew needs the live API server's version, not a declared one
		}
		max := maxKubeletSkew(api)
		for _, k := range kubelets(p) {
			behind := k.version.MinorsBehind(api)
			switch {
			case behind < 0:
				p.Reportf(k.obj, k.path, "node %s runs kubelet %s, newer than the API server %s: a kubelet must never be newer", k.node, k.raw, raw)
			case behind > max:
				p.Reportf(k.obj, k.path, "node %s runs kubelet %s, %d minor releases behind the API server %s; at most %d are supported", k.node, k.raw, behind, raw, max)
			}
		}
	},
}

// NodeMinorMismatch reports nodes whose minor differs from the control plane's but is within
// the supported skew.
var NodeMinorMismatch = &check.Check{
	ID:    "versions/node-minor-mismatch",
	Title: "Node runs a different minor release than the control plane",
	Doc: "Within the supported skew an older kubelet works, but it lacks the fixes and features " +
		"of the control plane's release, and a skewed node pool is what blocks the next " +
		"control-plane upgrade (which would push it out of the skew). The check reports nodes " +
		"whose kubelet minor differs from the API server's while still within the skew; those " +
		"outside it are reported by versions/kubelet-skew. Fix it by upgrading the node pools " +
		"to the control plane's minor.",
	Severity:    check.Low,
	References:  []string{refSkew},
	Remediation: "Upgrade the node pool to the control plane's minor release.",
	Kinds:       []string{"Node", "ClusterFacts"},
	Reads:       []string{"Node"},
	Scope:       check.ScopeCluster,
	Run: func(p *check.Pass) {
		api, raw, ok := clusterVersion(p)
		if !ok || p.Facts == nil || p.Facts.ServerVersion == "" {
			return
		}
		max := maxKubeletSkew(api)
		for _, k := range kubelets(p) {
			if behind := k.version.MinorsBehind(api); behind > 0 && behind <= max {
				p.Reportf(k.obj, k.path, "node %s runs kubelet %s, %s behind the control plane %s", k.node, k.raw, minors(behind), raw)
			}
		}
	},
}

func minors(n int) string {
	return fmt.Sprintf("%d minor release%s", n, plural(n))
}

func init() {
	check.Register(KubeletSkew, NodeMinorMismatch)
}
