// Package engines declares the engines that checks share, as check.Engine values a check
// lists in Requires and gets with Of. Declaring them once, with the kinds each reads, is what
// lets the monitor know which checks a changed RoleBinding or NetworkPolicy affects.
package engines

import (
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/netpol"
	"github.com/kubeharden/kubeharden/rbac"
)

// Netpol is the reachability engine over Namespaces, workloads and NetworkPolicies.
var Netpol = &check.Engine[*netpol.Engine]{
	Name:  "netpol",
	Reads: []string{"Namespace", check.Workloads, "NetworkPolicy"},
	Build: func(env check.Env) *netpol.Engine { return netpol.FromInventory(env.Inv) },
}

// RBAC is the effective-permission engine. Manifests get the default policy of a cluster; a
// live cluster or a snapshot (which carry facts) have their own.
var RBAC = &check.Engine[*rbac.Engine]{
	Name:  "rbac",
	Reads: []string{rbac.RoleKind, rbac.ClusterRoleKind, rbac.RoleBindingKind, rbac.ClusterRoleBindingKind},
	Build: func(env check.Env) *rbac.Engine {
		return rbac.FromInventory(env.Inv, rbac.Options{Defaults: env.Facts == nil})
	},
}
