package podsecurity

import (
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// DefaultNamespace reports workloads placed in the default namespace.
var DefaultNamespace = &check.Check{
	ID:    "podsecurity/default-namespace",
	Title: "Workload runs in the default namespace",
	Doc: "Namespaces are where Pod Security levels, NetworkPolicies, RBAC, quotas and limit ranges " +
		"apply. The default namespace is shared by everything that names no other, rarely has " +
		"any of them, and is where every user with access to the cluster looks first. Give each " +
		"application its own namespace. Workloads that name the default namespace (in a manifest, " +
		"or a live cluster's) are reported; manifests that name no namespace are not, as the " +
		"namespace is chosen when they are applied (kubectl -n, helm --namespace, Kustomize).",
	Severity:    check.Low,
	References:  []string{"CIS Kubernetes Benchmark 5.7.4", "NSA-CISA Kubernetes Hardening Guide v1.2: Network separation and hardening (namespaces)"},
	Remediation: "Move the workload to a namespace of its own and set that namespace's Pod Security labels, NetworkPolicies and RBAC.",
	Kinds:       []string{check.Workloads},
	Scope:       check.ScopeObject,
	Run: func(pass *check.Pass) {
		for _, t := range pass.Inv.PodTemplates() {
			if t.Owner.Namespace == inventory.DefaultNamespace {
				pass.Reportf(t.Owner, "metadata.namespace", "%s %s runs in the default namespace", t.Owner.Kind, t.Owner.Name)
			}
		}
	},
}

func init() { check.Register(DefaultNamespace) }
