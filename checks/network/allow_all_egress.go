package network

import (
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
	"github.com/kubeharden/kubeharden/netpol"
)

// AllowAllEgress reports egress rules that let pods out to everywhere on every port.
var AllowAllEgress = &check.Check{
	ID:    "network/allow-all-egress",
	Title: "NetworkPolicy allows all egress to everywhere",
	Doc: "An egress rule without to and without ports (`egress: [{}]`) lets the pods it selects " +
		"connect to every pod of every namespace and every address outside the cluster (the " +
		"cloud metadata service, the internet) on every port. Since policies only add up, one " +
		"such rule cancels the namespace's default-deny egress for the pods it selects, and the " +
		"namespace still looks protected. The check reports each such rule of a valid policy " +
		"that isolates egress, and also rules whose peers add up to everyone " +
		"(`namespaceSelector: {}` together with ipBlocks covering 0.0.0.0/0 and ::/0) with no " +
		"ports. It is the mirror of network/allow-all-ingress; a rule that names its ports or " +
		"its destinations is not reported here.",
	Severity:    check.Medium,
	References:  []string{refNSA, refDocs, "MITRE ATT&CK T1552.005 Unsecured Credentials: Cloud Instance Metadata API"},
	Remediation: "Replace the rule with rules that name the destinations (podSelector, namespaceSelector, ipBlock) and ports the workload needs, plus DNS.",
	Kinds:       []string{"NetworkPolicy"},
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.Netpol},
	Partition:   policiesOwnNamespace,
	Run:         allowAll(netpol.Egress),
}
