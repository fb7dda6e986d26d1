package network

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
	"github.com/kubeharden/kubeharden/netpol"
)

// NamespaceNotIsolated reports namespaces with ingress policies whose workloads still accept
// traffic from pods of every other namespace.
var NamespaceNotIsolated = &check.Check{
	ID:    "network/namespace-not-isolated",
	Title: "Namespace accepts traffic from every other namespace",
	Doc: "Namespaces are the usual boundary between teams, tenants and environments; NSA-CISA " +
		"advise isolating them so that a compromise in one does not spread. The check asks the " +
		"policy engine whether a new pod, without labels, in a new namespace could connect to a " +
		"workload; if it could, every namespace can. The usual causes are a rule with no from " +
		"(any source), a peer with `namespaceSelector: {}` and no podSelector, or a " +
		"namespaceSelector with NotIn or DoesNotExist, which also matches namespaces created " +
		"later. It reports such namespaces on the Namespace object when loaded, else on the " +
		"first workload, naming each open workload and the rules that open it. Workloads that " +
		"no ingress policy selects are open too, but are reported by network/unselected-workload " +
		"and network/no-default-deny-ingress. kube-system, kube-public and kube-node-lease are " +
		"left to the platform.",
	Severity:    check.Medium,
	References:  []string{refNSA, refDocs, refLateral},
	Remediation: "Allow ingress only from the namespaces that need it: a namespaceSelector on kubernetes.io/metadata.name together with a podSelector, instead of `namespaceSelector: {}` or a rule without from.",
	Kinds:       []string{"Namespace", check.Workloads},
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.Netpol},
	Partition:   policiesOwnNamespace,
	Run:         runNamespaceNotIsolated,
}

// strangerNamespace names a namespace that does not exist; a pod there has no policies.
const strangerNamespace = "kubeharden-probe-namespace"

// stranger is a pod without labels in a namespace of its own: what "any pod of any
// namespace" means.
var stranger = netpol.Endpoint{Name: "a pod of another namespace", Probe: &netpol.Probe{
	Namespace:       strangerNamespace,
	NamespaceLabels: labels.Set{netpol.NamespaceNameLabel: strangerNamespace},
	Labels:          labels.Set{},
}}

func runNamespaceNotIsolated(p *check.Pass) {
	e := engine(p)
	for _, ns := range workloadNamespaces(p, e) {
		if !wanted(p, ns) {
			continue // an incremental re-run for other namespaces
		}
		guarded := false
		for _, pol := range e.PoliciesIn(ns) {
			guarded = guarded || (pol.Valid() && pol.Affects(netpol.Ingress))
		}
		if !guarded {
			continue
		}
		var open []string
		for _, w := range e.WorkloadsIn(ns) {
			v, err := e.Reach(stranger, netpol.WorkloadEndpoint(w), nil)
			// A workload no ingress policy selects is reported by unselected-workload and
			// the default-deny checks; here only rules that open a namespace count.
			if err != nil || !v.Allowed || !v.Ingress.Isolated {
				continue
			}
			open = append(open, fmt.Sprintf("%s %s (%s)", w.Name, on(v.Ports), why(v.Ingress)))
		}
		if len(open) == 0 {
			continue
		}
		namespaceFinding(p, e, ns, fmt.Sprintf("namespace %q is not isolated: pods of any other namespace may connect to %s", ns, strings.Join(open, "; ")))
	}
}

// why names the rules that let the traffic in, or says that no policy selects the pod.
func why(s netpol.Side) string {
	if !s.Isolated {
		return "no ingress policy selects it"
	}
	var rules []string
	for _, cd := range s.Cluster {
		if cd.Rule.Action == netpol.Accept {
			rules = append(rules, cd.Rule.String())
		}
	}
	for _, pv := range s.Policies {
		for _, r := range pv.Rules {
			rules = append(rules, pv.Policy.Name+" "+r.Path())
		}
	}
	return "allowed by " + strings.Join(rules, ", ")
}
