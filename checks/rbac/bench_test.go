package rbac_test

import (
	"fmt"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/rbac"
	"github.com/kubeharden/kubeharden/internal/benchmetric"
	"github.com/kubeharden/kubeharden/internal/gen"
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
// engines are built again: what `scan --check 'rbac/*'` adds to loading. The growth from
// 1,000 to 10,000 is what issue 19 bounds (at most ×11).
func BenchmarkPractice(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		var objs []*inventory.Object
		for _, o := range (gen.Options{Profile: "multitenant"}).Objects(n, 1) {
			objs = append(objs, inventory.New(o, inventory.Source{File: "gen.yaml", Line: len(objs) + 1}, nil))
		}
		b.Run(fmt.Sprintf("profile=multitenant/workloads=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			cpu := benchmetric.CPUTime()
			n := 0
			for b.Loop() {
				fs, errs := check.Run(inventory.Build(objs), nil, nil, rbac.Checks())
				if len(errs) > 0 {
					b.Fatal(errs)
				}
				n = len(fs)
			}
			b.ReportMetric(float64(benchmetric.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(n), "findings")
		})
		// What every practice pays without running a check: building the inventory.
		b.Run(fmt.Sprintf("profile=multitenant/workloads=%d/checks=none", n), func(b *testing.B) {
			b.ReportAllocs()
			cpu := benchmetric.CPUTime()
			for b.Loop() {
				check.Run(inventory.Build(objs), nil, nil, nil)
			}
			b.ReportMetric(float64(benchmetric.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}
