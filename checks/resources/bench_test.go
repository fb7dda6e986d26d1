package resources_test

import (
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/resources"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/inventory"
)

// benchInventory builds n Deployments with two containers each, spread over n/100+1
// namespaces, half of which have a defaulting LimitRange and a quota; a third of the
// containers state no resources.
func benchInventory(n int) *inventory.Inventory {
	var objs []*inventory.Object
	add := func(o runtime.Object, apiVersion, kind string) {
		o.GetObjectKind().SetGroupVersionKind(schema.FromAPIVersionAndKind(apiVersion, kind))
		objs = append(objs, inventory.New(o, inventory.Source{File: "bench.yaml", Line: 1}, nil))
	}
	nsCount := n/100 + 1
	for i := 0; i < nsCount; i++ {
		ns := fmt.Sprintf("ns-%d", i)
		add(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, "v1", "Namespace")
		if i%2 == 0 {
			add(&corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "lr", Namespace: ns}, Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
				Type:    corev1.LimitTypeContainer,
				Default: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
			}}}}, "v1", "LimitRange")
			add(&corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "q", Namespace: ns}, Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{
				corev1.ResourceRequestsCPU: resource.MustParse("8"),
			}}}, "v1", "ResourceQuota")
		}
	}
	for i := 0; i < n; i++ {
		var res corev1.ResourceRequirements
		if i%3 != 0 {
			res.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")}
		}
		add(&appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("app-%d", i), Namespace: fmt.Sprintf("ns-%d", i%nsCount)},
			Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{
				{Name: "app", Image: "registry.example.com/app:1.0", Resources: res},
				{Name: "sidecar", Image: "registry.example.com/proxy:1.0", Resources: res},
			}}}},
		}, "apps/v1", "Deployment")
	}
	return inventory.Build(objs)
}

// BenchmarkChecks runs every resources check, CPU limits included, over 10,000 workloads
// (20,000 containers, a third of them without resources). It calls the checks directly, so
// the framework's sorting of findings is not measured.
func BenchmarkChecks(b *testing.B) {
	inv := benchInventory(10000)
	cfg := &config.Config{Resources: config.Resources{RequireCPULimit: true}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, c := range resources.Checks() {
			c.Run(&check.Pass{Check: c, Inv: inv, Config: cfg})
		}
	}
}
