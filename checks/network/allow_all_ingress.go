package network

import (
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
	"github.com/kubeharden/kubeharden/netpol"
)

// AllowAllIngress reports ingress rules that let everyone in on every port.
var AllowAllIngress = &check.Check{
	ID:    "network/allow-all-ingress",
	Title: "NetworkPolicy allows all ingress from everywhere",
	Doc: "An ingress rule without from and without ports (`ingress: [{}]`) allows every pod of " +
		"every namespace and every address outside the cluster to connect on every port. Since " +
		"policies only add up, one such rule cancels every default deny for the pods it " +
		"selects. It is often added to \"make it work\" and never removed. The check reports " +
		"each such rule of a valid policy that isolates ingress, and also rules whose peers add " +
		"up to everyone (`namespaceSelector: {}` together with ipBlocks covering 0.0.0.0/0 and " +
		"::/0) with no ports. A rule that names its ports, or its sources, is not reported here.",
	Severity:    check.High,
	References:  []string{refNSA, refDocs, refLateral},
	Remediation: "Replace the rule with rules that name the sources (podSelector, namespaceSelector on kubernetes.io/metadata.name) and ports the workload serves.",
	Kinds:       []string{"NetworkPolicy"},
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.Netpol},
	Partition:   policiesOwnNamespace,
	Run:         allowAll(netpol.Ingress),
}

// allowAll reports the rules of direction d that open it to every peer on every port.
// Egress names the default deny it cancels: without it the namespace still looks protected.
func allowAll(d netpol.Direction) func(*check.Pass) {
	msg := "%s of policy %s allows all ingress, from every pod and every address on every port, to %s"
	if d == netpol.Egress {
		msg = "%s of policy %s allows all egress, to every pod and every address on every port, from %s"
	}
	return func(p *check.Pass) {
		e := engine(p)
		for _, pol := range e.Policies() {
			if !pol.Valid() || pol.Object == nil || !pol.Affects(d) || !wanted(p, pol.Namespace) {
				continue
			}
			for _, r := range pol.Rules[d] {
				if !r.AllPorts || !r.OpenToAll() {
					continue
				}
				what := "the pods it selects"
				if pol.SelectsAll() {
					what = "every pod of namespace " + pol.Namespace
				} else if names := workloadNames(pol.Selected(e)); names != "" {
					what = names
				}
				m := msg
				if d == netpol.Egress && len(e.DefaultDeny(pol.Namespace, netpol.Egress)) > 0 {
					m += ", cancelling the namespace's default-deny egress for them"
				}
				p.Reportf(pol.Object, r.Path(), m, r.Path(), pol.ID(), what)
			}
		}
	}
}

// workloadNames lists the workloads of classes: "web, api".
func workloadNames(cs []*netpol.Class) string {
	var names []string
	for _, c := range cs {
		for _, w := range c.Workloads {
			names = append(names, w.Kind+" "+w.Name)
		}
	}
	return strings.Join(names, ", ")
}
