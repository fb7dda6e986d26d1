package network

import (
	"fmt"
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
)

// UnselectedWorkload reports workloads that no policy selects in namespaces that have
// policies.
var UnselectedWorkload = &check.Check{
	ID:    "network/unselected-workload",
	Title: "Workload is selected by no NetworkPolicy",
	Doc: "A pod that no NetworkPolicy selects is open in both directions, whatever the other " +
		"policies of its namespace say. In a namespace that has policies this is nearly always " +
		"a mistake: a label that changed, a selector with a typo, a workload added after the " +
		"policies were written. The check reports each such workload in a namespace with at " +
		"least one valid policy (a namespace with none is reported by the default-deny checks " +
		"instead), on its pod template's labels. A default deny with an empty podSelector " +
		"selects every pod and so settles it. kube-system, kube-public and kube-node-lease are " +
		"left to the platform; hostNetwork pods are left out, as no policy applies to them.",
	Severity:    check.Medium,
	Fixable:     true,
	References:  []string{refNSA, refCIS, refDocs},
	Remediation: "Add a default-deny policy (`podSelector: {}`) to the namespace, or fix the labels or selector so that the workload's own policy selects it.",
	Kinds:       []string{check.Workloads},
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.Netpol, engines.NetpolPlan},
	Run:         runUnselectedWorkload,
	// A namespace's finding and its generated fix depend on the namespaces it has paths to.
	Partition: byPaths,
}

func runUnselectedWorkload(p *check.Pass) {
	e := engine(p)
	for _, ns := range workloadNamespaces(p, e) {
		if p.Namespaces != nil && !p.Namespaces[ns] {
			continue // an incremental re-run for other namespaces
		}
		valid := 0
		for _, pol := range e.PoliciesIn(ns) {
			if pol.Valid() {
				valid++
			}
		}
		if valid == 0 {
			continue
		}
		var fixes []check.SuggestedFix // shared by the namespace's findings: one copy, not one per workload
		made := false
		for _, w := range e.WorkloadsIn(ns) {
			// Cluster network policies that select it decide its traffic (see the default-deny
			// checks); it is not "all allowed".
			if w.Class().Selected() || w.Class().ClusterSelected() || w.Object == nil {
				continue
			}
			// No policy selects the workload, so the namespace has no default deny: the
			// generated one selects it.
			if !made {
				fixes, made = generated(p, ns), true
			}
			p.Report(check.Diagnostic{Object: w.Object, Path: labelsPath(w),
				Message: fmt.Sprintf("%s %s is selected by none of the %s of namespace %q, so all ingress and egress is allowed for its pods (labels: %s)",
					w.Kind, w.Name, count(valid, "policy"), ns, w.Labels.String()),
				Fixes: fixes})
		}
	}
}
