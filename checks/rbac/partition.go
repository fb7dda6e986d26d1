package rbac

import (
	"slices"

	"github.com/kubeharden/kubeharden/check"
	engine "github.com/kubeharden/kubeharden/rbac"
)

// ByBinding partitions the checks that report each binding subject's holdings (Holders):
// what a RoleBinding grants comes from it and the Role or ClusterRole it references, so a
// change to a RoleBinding or a Role changes the findings of its namespace alone. A change
// to a ClusterRole or ClusterRoleBinding, cluster-scoped, re-runs the checks everywhere.
var ByBinding = &check.Partition{
	Name:     "binding",
	Kinds:    []string{engine.RoleKind, engine.RoleBindingKind},
	Affected: func(check.Env, []string) ([]string, bool) { return nil, false },
}

// ByServiceAccount partitions the checks that judge workloads by the permissions of the
// service accounts they run as. A workload's findings change with the workload, its
// ServiceAccount (whether it mounts the token) and the bindings that name the account or
// its groups. A RoleBinding, or a Role its RoleBindings reference, changes the permissions of
// the service accounts its namespace's RoleBindings name: of their namespaces, or of every
// namespace when one names system:serviceaccounts or system:authenticated.
var ByServiceAccount = &check.Partition{
	Name:     "service-account",
	Kinds:    []string{check.Workloads, "ServiceAccount", engine.RoleKind, engine.RoleBindingKind},
	Affected: serviceAccountsAffected,
}

func serviceAccountsAffected(env check.Env, nss []string) ([]string, bool) {
	var out []string
	for _, ns := range nss {
		// The default policy's RoleBindings of the namespace, which reference its Roles too.
		subjects := engine.DefaultRoleBindingSubjects(ns)
		for _, o := range env.Inv.InNamespace(ns) {
			if o.Kind == engine.RoleBindingKind {
				ss, _ := engine.SubjectsOf(o)
				subjects = append(subjects, ss...)
			}
		}
		for _, s := range subjects {
			sns, all := engine.ServiceAccountsOf(s)
			if all {
				return nil, true
			}
			if sns != "" && sns != ns && !slices.Contains(out, sns) {
				out = append(out, sns)
			}
		}
	}
	return out, false
}
