package network

import (
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
	"github.com/kubeharden/kubeharden/netpol"
)

// NoDefaultDenyEgress reports namespaces with workloads but no default-deny egress policy.
var NoDefaultDenyEgress = &check.Check{
	ID:    "network/no-default-deny-egress",
	Title: "Namespace has no default-deny egress NetworkPolicy",
	Doc: "Pods may connect anywhere, inside the cluster and out to the internet, until a " +
		"NetworkPolicy selects them for egress; a compromised pod then reaches every database " +
		"and the cloud metadata service, and exfiltrates freely. A default deny for egress is " +
		"a policy with an empty podSelector that lists Egress in policyTypes and allows nothing " +
		"by itself (DNS may be allowed by a separate policy or rule). policyTypes must say " +
		"Egress explicitly when the policy has no egress rules: the API server defaults it to " +
		"[Ingress] only. A BaselineAdminNetworkPolicy or ClusterNetworkPolicy covering the " +
		"namespace that denies every pod and address, or a Cilium or Calico policy selecting every " +
		"endpoint with no egress allow rules, counts as one. The check reports a namespace that runs workloads without one; the " +
		"finding sits on the Namespace object when it was loaded, else on the namespace's first " +
		"workload. kube-system, kube-public and kube-node-lease are left to the platform.",
	Severity:    check.Medium,
	Fixable:     true,
	References:  []string{refNSA, refCIS, refDocs},
	Remediation: "Add a NetworkPolicy with `podSelector: {}` and `policyTypes: [Egress]` that allows only DNS to kube-system, then allow each workload's destinations (`kubeharden netpol generate` writes both).",
	Kinds:       []string{"Namespace", check.Workloads},
	// Network plugin policies may be the namespace's default deny.
	Reads:    netpol.CNIKinds,
	Scope:    check.ScopeCluster,
	Requires: []check.Requirement{engines.Netpol, engines.NetpolPlan},
	Run:      func(p *check.Pass) { runNoDefaultDeny(p, netpol.Egress) },
	// A namespace's finding and its generated fix depend on the namespaces it has paths to.
	Partition: byPaths,
}
