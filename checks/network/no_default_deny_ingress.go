package network

import (
	"fmt"
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
	"github.com/kubeharden/kubeharden/netpol"
)

// NoDefaultDenyIngress reports namespaces with workloads but no default-deny ingress policy.
var NoDefaultDenyIngress = &check.Check{
	ID:    "network/no-default-deny-ingress",
	Title: "Namespace has no default-deny ingress NetworkPolicy",
	Doc: "Pods accept connections from anywhere until a NetworkPolicy selects them for ingress. " +
		"A default deny is a policy with an empty podSelector (every pod of the namespace, " +
		"including pods created later) that isolates ingress and allows nothing by itself; " +
		"policies for each workload then open exactly what it needs. The check reports a " +
		"namespace that runs workloads without one. `podSelector: {}` with no policyTypes is a " +
		"default deny for ingress (the API server defaults policyTypes to [Ingress]); a policy " +
		"with an empty selector whose rule allows every source on every port is not. A " +
		"BaselineAdminNetworkPolicy or ClusterNetworkPolicy whose subject covers the namespace " +
		"and that denies every peer on every port counts as one, and so does a Cilium or Calico " +
		"policy that selects every endpoint and allows nothing in the direction (named by " +
		"network/cni-policy-not-evaluated). Policies " +
		"the API server would reject do not count. The finding sits on the Namespace object " +
		"when it was loaded, else on the namespace's first workload. kube-system, kube-public " +
		"and kube-node-lease are left to the platform.",
	Severity:    check.High,
	Fixable:     true,
	References:  []string{refNSA, refCIS, refDocs, refLateral},
	Remediation: "Add a NetworkPolicy with `podSelector: {}` and `policyTypes: [Ingress]` and no ingress rules, then allow each workload's clients (`kubeharden netpol generate` writes both).",
	Kinds:       []string{"Namespace", check.Workloads},
	// Network plugin policies may be the namespace's default deny.
	Reads:    netpol.CNIKinds,
	Scope:    check.ScopeCluster,
	Requires: []check.Requirement{engines.Netpol, engines.NetpolPlan},
	Run:      func(p *check.Pass) { runNoDefaultDeny(p, netpol.Ingress) },
	// A namespace's finding and its generated fix depend on the namespaces it has paths to.
	Partition: byPaths,
}

// runNoDefaultDeny reports each namespace without a default deny in direction d, saying
// how many workloads are open because of it.
func runNoDefaultDeny(p *check.Pass, d netpol.Direction) {
	e := engine(p)
	dir := strings.ToLower(d.String())
	for _, ns := range workloadNamespaces(p, e) {
		if p.Namespaces != nil && !p.Namespaces[ns] {
			continue // an incremental re-run for other namespaces
		}
		if len(e.DefaultDeny(ns, d)) > 0 || len(e.ClusterDefaultDeny(ns, d)) > 0 ||
			len(netpol.CNIDefaultDeny(cniPolicies(p), ns, d)) > 0 {
			continue
		}
		ws := e.WorkloadsIn(ns)
		var open []string
		for _, w := range ws {
			if !w.Class().Isolated(d) {
				open = append(open, w.Name)
			}
		}
		var detail string
		switch {
		case len(ws) == 0:
			detail = fmt.Sprintf("its workloads use hostNetwork, which no policy governs, but new pods start open to all %s", dir)
		case len(ws) == 1 && len(open) == 1:
			detail = fmt.Sprintf("its workload %s is not isolated for %s, nor are new pods", ws[0].Name, dir)
		case len(open) == len(ws):
			detail = fmt.Sprintf("none of its %d workloads (%s) is isolated for %s, nor are new pods", len(ws), strings.Join(open, ", "), dir)
		case len(open) > 0:
			detail = fmt.Sprintf("%d of its %s (%s) are not isolated for %s, and new pods start open", len(open), count(len(ws), "workload"), strings.Join(open, ", "), dir)
		default:
			detail = fmt.Sprintf("its workloads are isolated by their own policies, but new pods start open to all %s", dir)
		}
		namespaceFinding(p, e, ns, fmt.Sprintf("namespace %q has no default-deny %s policy: %s", ns, dir, detail), generated(p, ns)...)
	}
}
