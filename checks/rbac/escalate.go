package rbac

import (
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
)

// EscalateBindProbes are the verbs that let a subject grant permissions it does not hold.
var EscalateBindProbes = probes(false, []string{"escalate", "bind"},
	"roles.rbac.authorization.k8s.io", "clusterroles.rbac.authorization.k8s.io")

// EscalateBind reports subjects that may escalate or bind roles.
var EscalateBind = &check.Check{
	ID:    "rbac/escalate-bind",
	Title: "Subject may escalate or bind roles",
	Doc: "The API server refuses to let a subject create or edit a role with permissions it does " +
		"not hold, or bind a role it does not hold, unless it has the escalate verb (on the role) or " +
		"the bind verb (on the role it binds). A subject with either can give itself or anyone " +
		"anything the role can hold, up to cluster-admin. Limit bind to the roles a delegated admin " +
		"hands out, with resourceNames; grant escalate to no one but cluster administrators.",
	Severity:    check.Critical,
	References:  []string{"CIS Kubernetes Benchmark 5.1.8", refNSA, refRBACDocs, refAcctManip},
	Remediation: "Remove escalate and bind, or restrict bind with resourceNames to the roles the subject may hand out.",
	Kinds:       bindingKinds,
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.RBAC},
	Partition:   ByBinding,
	Run: func(p *check.Pass) {
		bySeverity(p, HoldersIn(Engine(p), EscalateBindProbes, p.Namespaces), check.Critical, false)
	},
}

// ImpersonateProbes are the impersonation requests: users, groups, UIDs and extra fields are
// cluster-wide; service accounts are namespaced.
var ImpersonateProbes = append(append(
	probes(true, []string{"impersonate"}, "users", "groups"),
	probes(true, []string{"impersonate"}, "uids.authentication.k8s.io", "userextras.authentication.k8s.io")...),
	probes(false, []string{"impersonate"}, "serviceaccounts")...)

// Impersonate reports subjects that may impersonate others.
var Impersonate = &check.Check{
	ID:    "rbac/impersonate",
	Title: "Subject may impersonate users, groups or service accounts",
	Doc: "impersonate lets a subject act as another user, group or service account " +
		"(kubectl --as): with impersonate on users and groups it can be any user in system:masters, " +
		"which is cluster-admin whatever RBAC says; on service accounts it holds every service " +
		"account's permissions in the namespace. The check reports each subject that holds the " +
		"verb without a resourceNames restriction. Grant impersonation only to the proxies that " +
		"need it, restricted by resourceNames.",
	Severity:    check.Critical,
	References:  []string{"CIS Kubernetes Benchmark 5.1.8", refNSA, refRBACDocs, refValidAcct},
	Remediation: "Remove the impersonate verb, or restrict it with resourceNames to the identities a proxy must act as.",
	Kinds:       bindingKinds,
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.RBAC},
	Partition:   ByBinding,
	Run: func(p *check.Pass) {
		for _, h := range HoldersIn(Engine(p), ImpersonateProbes, p.Namespaces) {
			cluster := false
			for _, pr := range h.Probes {
				cluster = cluster || pr.Cluster
			}
			// Users and groups reach system:masters; all service accounts reach kube-system's.
			// The service accounts of one namespace are a namespace's worth.
			sev := check.Critical
			if !cluster && !h.ClusterWide() {
				sev = check.High
			}
			reportHolding(p, h, sev, cluster, "")
		}
	},
}
