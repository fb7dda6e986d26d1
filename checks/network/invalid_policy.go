package network

import (
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
)

// InvalidPolicy reports NetworkPolicies that the API server would reject.
var InvalidPolicy = &check.Check{
	ID:    "network/invalid-policy",
	Title: "NetworkPolicy would be rejected by the API server",
	Doc: "A NetworkPolicy that fails the API server's validation never exists in the cluster, " +
		"so the isolation it was meant to give is missing; and when it is applied with other " +
		"manifests the whole apply may stop halfway. The check runs the validation of " +
		"networking.k8s.io/v1 NetworkPolicy as the API server does (strict CIDRs, as on by " +
		"default since Kubernetes 1.36): a peer with neither selector nor ipBlock, ipBlock " +
		"together with a selector, an except outside its cidr or a cidr with host bits set, " +
		"endPort without a numeric port or below it, a protocol other than TCP, UDP or SCTP, a " +
		"policy type other than Ingress or Egress, malformed label selectors. The other network " +
		"checks ignore invalid policies, as the cluster would.",
	Severity:    check.Medium,
	References:  []string{refDocs, "Kubernetes API reference: NetworkPolicy v1 networking.k8s.io"},
	Remediation: "Fix the field the message names; `kubectl apply --dry-run=server` shows the same error.",
	Kinds:       []string{"NetworkPolicy"},
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.Netpol},
	Run:         runInvalidPolicy,
}

func runInvalidPolicy(p *check.Pass) {
	e := engine(p)
	for _, pol := range e.Policies() {
		if pol.Object == nil {
			continue
		}
		for _, pr := range pol.Problems {
			p.Reportf(pol.Object, pr.Path, "policy %s is invalid and would be rejected: %s", pol.ID(), pr)
		}
	}
}
