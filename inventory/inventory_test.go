package inventory

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	batchv1beta1 "k8s.io/api/batch/v1beta1"
	corev1 "k8s.io/api/core/v1"
	extv1beta1 "k8s.io/api/extensions/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func typed(obj runtime.Object, gv schema.GroupVersion, kind string) *Object {
	obj.GetObjectKind().SetGroupVersionKind(gv.WithKind(kind))
	return New(obj, Source{File: "x.yaml", Line: 1}, nil)
}

func TestBuildIndexesAndPodTemplates(t *testing.T) {
	spec := corev1.PodSpec{InitContainers: []corev1.Container{{Name: "init"}}, Containers: []corev1.Container{{Name: "app"}}}
	rollout := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
		"metadata": map[string]any{"name": "r", "namespace": "shop"},
		"spec": map[string]any{"template": map[string]any{
			"metadata": map[string]any{"labels": map[string]any{"app": "r"}},
			"spec":     map[string]any{"containers": []any{map[string]any{"name": "c", "image": "nginx"}}},
		}},
	}}
	objs := []*Object{
		typed(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop"}}, corev1.SchemeGroupVersion, "Namespace"),
		typed(&appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "shop"},
			Spec: appsv1.DeploymentSpec{Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}}, Spec: spec}}},
			appsv1.SchemeGroupVersion, "Deployment"),
		typed(&batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "backup"}}, batchv1.SchemeGroupVersion, "CronJob"),
		typed(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "other", Labels: map[string]string{"app": "web"}}, Spec: spec}, corev1.SchemeGroupVersion, "Pod"),
		New(rollout, Source{}, nil),
	}
	inv := Build(objs)
	if got := inv.Namespaces(); len(got) != 3 || got[0] != "default" || got[1] != "other" || got[2] != "shop" {
		t.Errorf("Namespaces = %v", got)
	}
	if inv.Get("CronJob", "default", "backup") == nil {
		t.Error("CronJob without namespace must land in default")
	}
	if inv.Get("Namespace", "", "shop") == nil {
		t.Error("Namespace is cluster-scoped")
	}
	pts := inv.PodTemplates()
	wantPaths := []string{"spec.template.spec", "spec.jobTemplate.spec.template.spec", "spec", "spec.template.spec"}
	if len(pts) != len(wantPaths) {
		t.Fatalf("got %d pod templates, want %d", len(pts), len(wantPaths))
	}
	for i, p := range pts {
		if p.Path != wantPaths[i] {
			t.Errorf("template %d path %q, want %q", i, p.Path, wantPaths[i])
		}
	}
	if cs := pts[0].Containers(); len(cs) != 2 || !cs[0].Init || cs[1].Path != "spec.template.spec.containers[0]" {
		t.Errorf("Containers = %+v", cs)
	}
	if pts[3].Owner.Kind != "Rollout" || pts[3].Spec.Containers[0].Image != "nginx" {
		t.Error("custom resource template not read")
	}
	sel := labels.SelectorFromSet(labels.Set{"app": "web"})
	if got := inv.Select("Pod", "other", sel); len(got) != 1 {
		t.Errorf("Select = %d objects", len(got))
	}
	if got := len(inv.PodTemplatesIn("shop")); got != 2 {
		t.Errorf("PodTemplatesIn(shop) = %d", got)
	}
}

func TestLegacyWorkloadTemplates(t *testing.T) {
	tmpl := corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c"}}}}
	cj := &batchv1beta1.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "old"}}
	cj.Spec.JobTemplate.Spec.Template = tmpl
	ds := &extv1beta1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Name: "older"}, Spec: extv1beta1.DaemonSetSpec{Template: tmpl}}
	inv := Build([]*Object{
		typed(cj, batchv1beta1.SchemeGroupVersion, "CronJob"),
		typed(ds, extv1beta1.SchemeGroupVersion, "DaemonSet"),
		typed(&corev1.ConfigMap{}, corev1.SchemeGroupVersion, "ConfigMap"),
	})
	pts := inv.PodTemplates()
	if len(pts) != 2 || pts[0].Path != "spec.jobTemplate.spec.template.spec" || pts[1].Path != "spec.template.spec" {
		t.Fatalf("legacy templates = %+v", pts)
	}
	pts[0].Spec.Containers[0].Name = "changed"
	if cj.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Name != "changed" {
		t.Error("template must point into the object, not a copy")
	}
}
