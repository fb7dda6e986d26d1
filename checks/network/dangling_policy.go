package network

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
	"github.com/kubeharden/kubeharden/netpol"
)

// DanglingPolicy reports policies whose podSelector selects no workload.
var DanglingPolicy = &check.Check{
	ID:    "network/dangling-policy",
	Title: "NetworkPolicy selects no workload",
	Doc: "A policy whose podSelector matches no pod protects nothing: it was usually written " +
		"for labels that have since changed, or has a typo, and the workload it was meant for " +
		"runs unprotected. The check reports a valid policy that selects none of the workloads " +
		"of its namespace, when that namespace runs workloads (a policy shipped apart from its " +
		"workloads cannot be judged). A policy that selects only hostNetwork pods is reported " +
		"too: NetworkPolicy does not apply to them.",
	Severity:    check.Low,
	References:  []string{refNSA, refDocs},
	Remediation: "Fix spec.podSelector to match the labels of the workload's pod template, or delete the policy.",
	Kinds:       []string{"NetworkPolicy"},
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.Netpol},
	Run:         runDanglingPolicy,
}

func runDanglingPolicy(p *check.Pass) {
	e := engine(p)
	hostNet := map[string][]*netpol.Workload{}
	for _, w := range e.HostNetworkWorkloads() {
		hostNet[w.Namespace] = append(hostNet[w.Namespace], w)
	}
	for _, pol := range e.Policies() {
		if !pol.Valid() || pol.Object == nil || len(pol.Selected(e)) > 0 {
			continue
		}
		ns := pol.Namespace
		if len(e.WorkloadsIn(ns)) == 0 && len(hostNet[ns]) == 0 {
			continue
		}
		if w := firstSelected(pol, hostNet[ns]); w != nil {
			p.Reportf(pol.Object, "spec.podSelector", "policy %s selects only hostNetwork pods (%s %s), to which NetworkPolicy does not apply", pol.ID(), w.Kind, w.Name)
			continue
		}
		p.Reportf(pol.Object, "spec.podSelector", "policy %s selects none of the workloads of namespace %q (podSelector %s)",
			pol.ID(), ns, metav1.FormatLabelSelector(&pol.Spec.Spec.PodSelector))
	}
}

func firstSelected(pol *netpol.Policy, ws []*netpol.Workload) *netpol.Workload {
	for _, w := range ws {
		if pol.Selects(w.Labels) {
			return w
		}
	}
	return nil
}
