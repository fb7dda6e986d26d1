// Package network holds the checks of the network practice: deny by default, then open what
// is needed; keep namespaces apart; keep sensitive workloads out of reach.
//
// The checks do not look for the mere presence of NetworkPolicies: they ask the netpol
// engine what the policies actually allow, with the API server's semantics (defaulted
// policyTypes, empty versus missing selectors, the union of rules). A `podSelector: {}`
// policy with no policyTypes is a correct default deny for ingress, and is treated as one.
//
// kube-system, kube-public and kube-node-lease are left out of the namespace-wide checks:
// their pods belong to the platform (network plugins, DNS), and a default deny there is the
// platform's decision.
package network

import (
	"slices"
	"strconv"
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
	"github.com/kubeharden/kubeharden/netpol"
)

// References shared by the checks of this practice.
var (
	refNSA     = "NSA-CISA Kubernetes Hardening Guide v1.2: Network separation and hardening"
	refCIS     = "CIS Kubernetes Benchmark 5.3.2: Ensure that all Namespaces have NetworkPolicies defined"
	refDocs    = "Kubernetes docs: Network Policies"
	refLateral = "MITRE ATT&CK T1210 Exploitation of Remote Services (lateral movement)"
)

// Checks returns the checks of this package, for tests and for callers that run one practice.
func Checks() []*check.Check {
	return []*check.Check{
		NoDefaultDenyIngress, NoDefaultDenyEgress, UnselectedWorkload, NamespaceNotIsolated,
		DanglingPolicy, PeerMatchesNothing, AllowAllIngress, SensitiveExposed, InvalidPolicy,
		AllowAllEgress, CNIPoliciesNotEvaluated,
	}
}

func init() { check.Register(Checks()...) }

// systemNamespaces belong to the platform.
var systemNamespaces = map[string]bool{"kube-system": true, "kube-public": true, "kube-node-lease": true}

// engine returns the reachability engine of the pass's inventory, built once for all the
// checks of a scan: building it is the expensive part.
func engine(p *check.Pass) *netpol.Engine { return engines.Netpol.Of(p) }

// namespaceFinding reports msg where a namespace-wide finding goes: the Namespace object when it was
// loaded, else the namespace's first workload.
func namespaceFinding(p *check.Pass, e *netpol.Engine, ns, msg string, fixes ...check.SuggestedFix) {
	if o := p.Inv.Namespace(ns); o != nil {
		p.Report(check.Diagnostic{Object: o, Path: "metadata.name", Message: msg, Fixes: fixes})
		return
	}
	for _, ws := range [][]*netpol.Workload{e.WorkloadsIn(ns), e.HostNetworkWorkloads()} {
		for _, w := range ws {
			if w.Namespace == ns && w.Object != nil {
				p.Report(check.Diagnostic{Object: w.Object, Path: "metadata.namespace", Fixes: fixes,
					Message: msg + " (reported on its first workload: the Namespace object was not loaded)"})
				return
			}
		}
	}
}

// workloadNamespaces lists, in load order, the namespaces that run workloads (hostNetwork
// ones included: new pods there would start open), without the platform's namespaces. An
// incremental re-run (p.Namespaces set) gets those of its namespaces, sorted: it asks for a
// few, and listing every workload per change cost the monitor more than the checks' work.
func workloadNamespaces(p *check.Pass, e *netpol.Engine) []string {
	if p.Namespaces != nil {
		var out []string
		for ns, ok := range p.Namespaces {
			if ok && !systemNamespaces[ns] && runsWorkloads(e, ns) {
				out = append(out, ns)
			}
		}
		slices.Sort(out)
		return out
	}
	var out []string
	seen := map[string]bool{}
	for _, ws := range [][]*netpol.Workload{e.Workloads(), e.HostNetworkWorkloads()} {
		for _, w := range ws {
			if !seen[w.Namespace] && !systemNamespaces[w.Namespace] {
				seen[w.Namespace] = true
				out = append(out, w.Namespace)
			}
		}
	}
	return out
}

// runsWorkloads says whether namespace ns runs a workload, hostNetwork ones included.
func runsWorkloads(e *netpol.Engine, ns string) bool {
	if len(e.WorkloadsIn(ns)) > 0 {
		return true
	}
	return slices.ContainsFunc(e.HostNetworkWorkloads(), func(w *netpol.Workload) bool { return w.Namespace == ns })
}

// labelsPath is the path of a workload's pod labels.
func labelsPath(w *netpol.Workload) string {
	if w.Template == nil {
		return "metadata.labels"
	}
	return w.Template.MetaPath + ".labels"
}

// count renders "1 workload", "3 workloads", "2 policies".
func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if strings.HasSuffix(what, "y") {
		return strconv.Itoa(n) + " " + strings.TrimSuffix(what, "y") + "ies"
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// on renders a port set for a message: "on every port", "on 8443/TCP".
func on(ps netpol.PortSet) string {
	if ps.IsAll() {
		return "on every port"
	}
	return "on " + ps.String()
}
