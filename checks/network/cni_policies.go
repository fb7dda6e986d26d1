package network

import (
	"fmt"
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/netpol"
)

// CNIPoliciesNotEvaluated reports network plugin policies, which the checks cannot see into.
var CNIPoliciesNotEvaluated = &check.Check{
	ID:    "network/cni-policy-not-evaluated",
	Title: "Network plugin policy is not evaluated",
	Doc: "CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy, Calico NetworkPolicy and " +
		"GlobalNetworkPolicy, and Antrea NetworkPolicy and ClusterNetworkPolicy are enforced by " +
		"their network plugin alongside (and for Calico and Antrea tiers, before) Kubernetes " +
		"NetworkPolicies. kubeharden does not evaluate their rules (L7 rules, entities, FQDNs, " +
		"tiers and ordering have no NetworkPolicy equivalent), so reachability answers and the " +
		"other network checks may be wrong for the namespaces they touch: the finding names " +
		"them. One plain form is understood: a policy that selects every endpoint and allows " +
		"nothing in a direction (Cilium: `endpointSelector: {}` with `ingress: [{}]`; Calico: " +
		"selector all() with no rules or a final Deny) is accepted by the default-deny checks as " +
		"that namespace's default deny, and the finding says so.",
	Severity:    check.Info,
	References:  []string{refDocs},
	Remediation: "Review these policies with the plugin's own tools (cilium policy, calicoctl), or express the baseline as NetworkPolicies or AdminNetworkPolicies that kubeharden evaluates.",
	Kinds:       netpol.CNIKinds,
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		for _, cp := range cniPolicies(p) {
			msg := fmt.Sprintf("%s policy %s is not evaluated: reachability and network checks for %s do not include it", cp.Plugin, cp.ID(), cp.Touches())
			var dirs []string
			for d := netpol.Ingress; d <= netpol.Egress; d++ {
				if cp.DefaultDeny[d] {
					dirs = append(dirs, strings.ToLower(d.String()))
				}
			}
			if len(dirs) > 0 {
				msg += fmt.Sprintf("; it is accepted as the default deny for %s of %s", strings.Join(dirs, " and "), cp.Touches())
			}
			p.Reportf(cp.Object, "spec", "%s", msg)
		}
	},
}

// cniPolicies are the network plugin policies of the pass's inventory, read once.
func cniPolicies(p *check.Pass) []*netpol.CNIPolicy {
	return p.Inv.Memo(cniKey{}, func() any { return netpol.CNIPolicies(p.Inv) }).([]*netpol.CNIPolicy)
}

type cniKey struct{}
