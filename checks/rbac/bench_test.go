package rbac_test

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/check/checktest"
	"github.com/kubeharden/kubeharden/checks/rbac"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/rbac/rbactest"
)

// BenchmarkChecks runs every RBAC check over 2,000 roles and 10,000 bindings (the engine's
// benchmark cluster), engine build included.
func BenchmarkChecks(b *testing.B) {
	o := rbactest.Large(1, 2000, 10000, 200)
	var objs []*inventory.Object
	add := func(obj runtime.Object, kind string) {
		obj.GetObjectKind().SetGroupVersionKind(rbacv1.SchemeGroupVersion.WithKind(kind))
		objs = append(objs, inventory.New(obj, inventory.Source{File: "bench.yaml", Line: len(objs) + 1}, nil))
	}
	for _, r := range o.ClusterRoles {
		add(r, "ClusterRole")
	}
	for _, r := range o.Roles {
		add(r, "Role")
	}
	for _, x := range o.ClusterRoleBindings {
		add(x, "ClusterRoleBinding")
	}
	for _, x := range o.RoleBindings {
		add(x, "RoleBinding")
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		inv := inventory.Build(objs) // a new inventory: the engine is built again
		fs, errs := check.Run(inv, nil, nil, rbac.Checks())
		if len(errs) > 0 {
			b.Fatal(errs)
		}
		n = len(fs)
	}
	b.ReportMetric(float64(n), "findings")
}

// BenchmarkPractice runs the checks of the package over the generator's multitenant profile
// (internal/gen) at 1,000 and 10,000 workloads, with a new inventory each time so the
// engines are built again: what `scan --check 'rbac/*'` adds to loading (checks=none is
// loading alone). The growth from 1,000 to 10,000 is what issue 19 bounds (at most ×11).
func BenchmarkPractice(b *testing.B) {
	checktest.BenchWith(b, rbac.Checks(), checktest.BenchOptions{Profile: "multitenant", Sizes: []int{1000, 10000}, Fresh: true, Baseline: true})
}
