package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/kubeharden/kubeharden/internal/testcluster"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/live"
)

func fatal(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func podSpec() corev1.PodSpec {
	return corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1.27"}}}
}

func typesUID(s string) types.UID { return types.UID(s) }

// TestLoaderOwnersPagesAndNamespace: objects controlled by a workload that was read are left
// out (Deployment → ReplicaSet → Pod), others stay; lists page; -n reads one namespace.
func TestLoaderOwnersPagesAndNamespace(t *testing.T) {
	c := testcluster.Need(t, tc)
	ctx := context.Background()
	cs := kubernetes.NewForConfigOrDie(c.Admin)
	ns := c.Namespace(t, "e2e-loader", map[string]string{"team": "x"})
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: sel.MatchLabels}, Spec: podSpec()}

	dep, err := cs.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{Selector: sel, Template: tmpl}}, metav1.CreateOptions{})
	fatal(t, err)
	own := func(kind, apiVersion, name string, uid string) []metav1.OwnerReference {
		return []metav1.OwnerReference{{APIVersion: apiVersion, Kind: kind, Name: name, UID: typesUID(uid), Controller: ptr.To(true)}}
	}
	rs, err := cs.AppsV1().ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web-1", OwnerReferences: own("Deployment", "apps/v1", "web", string(dep.UID))},
		Spec:       appsv1.ReplicaSetSpec{Selector: sel, Template: tmpl}}, metav1.CreateOptions{})
	fatal(t, err)
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-1-a", Labels: sel.MatchLabels, OwnerReferences: own("ReplicaSet", "apps/v1", "web-1", string(rs.UID))},
		Spec:       podSpec()}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// An orphan's pod (its ReplicaSet is gone) and a bare pod stay.
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "orphan", OwnerReferences: own("ReplicaSet", "apps/v1", "gone", "00000000-0000-0000-0000-000000000001")},
		Spec:       podSpec()}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "bare"}, Spec: podSpec()}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 7; i++ {
		if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%d", i)},
			Data: map[string]string{"k": "v"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	res, err := live.Cluster(ctx, c.Admin, live.Options{Namespace: ns, PageSize: 2, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	got := map[string]bool{}
	for _, o := range res.Objects {
		if ns := o.Namespace; ns != "" && ns != o.Namespace {
			t.Errorf("%s outside the namespace", o.Ref)
		}
		if o.Kind == "Namespace" && o.Name != ns {
			t.Errorf("namespace %s read with -n %s", o.Name, ns)
		}
		if o.Meta.GetManagedFields() != nil {
			t.Errorf("%s keeps managedFields", o.Ref)
		}
		if o.APIVersion == "" || o.Obj.GetObjectKind().GroupVersionKind().Kind == "" {
			t.Errorf("%s without apiVersion/kind", o.Ref)
		}
		got[o.Kind+"/"+o.Name] = true
	}
	for _, want := range []string{"Namespace/" + ns, "Deployment/web", "Pod/orphan", "Pod/bare", "ConfigMap/cm-0", "ConfigMap/cm-6"} {
		if !got[want] {
			t.Errorf("%s not read", want)
		}
	}
	for _, not := range []string{"ReplicaSet/web-1", "Pod/web-1-a"} {
		if got[not] {
			t.Errorf("%s read although the Deployment that controls it was", not)
		}
	}
	if res.Controlled != 2 {
		t.Errorf("Controlled = %d, want 2", res.Controlled)
	}
	n := 0
	for _, o := range res.Objects {
		if o.Kind == "ConfigMap" {
			n++
		}
	}
	if n != 7 {
		t.Errorf("%d ConfigMaps over pages of 2, want 7", n)
	}
	if inv := inventory.Build(res.Objects); len(inv.PodTemplates()) != 3 {
		t.Errorf("%d pod templates, want 3 (web, orphan, bare)", len(inv.PodTemplates()))
	}
}

// TestLoaderFactsAndCustomResources: kubelet versions come from Nodes, API server flags from a
// kube-apiserver static pod, and custom resources the checks understand (an Argo Rollout with
// a pod template, its ReplicaSet left out) are read when their CRD is installed.
func TestLoaderFactsAndCustomResources(t *testing.T) {
	c := testcluster.Need(t, tc)
	ctx := context.Background()
	cs := kubernetes.NewForConfigOrDie(c.Admin)

	node, err := cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "e2e-node"}}, metav1.CreateOptions{})
	fatal(t, err)
	t.Cleanup(func() { _ = cs.CoreV1().Nodes().Delete(ctx, node.Name, metav1.DeleteOptions{}) })
	node.Status.NodeInfo.KubeletVersion = "v1.36.4"
	if _, err := cs.CoreV1().Nodes().UpdateStatus(ctx, node, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	apiserver := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-apiserver-e2e-node", Namespace: "kube-system",
			Labels:          map[string]string{"component": "kube-apiserver", "tier": "control-plane"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Node", Name: node.Name, UID: node.UID, Controller: ptr.To(true)}}},
		Spec: corev1.PodSpec{NodeName: node.Name, Containers: []corev1.Container{{Name: "kube-apiserver", Image: "registry.k8s.io/kube-apiserver:v1.37.2",
			Command: []string{"kube-apiserver", "--encryption-provider-config=/etc/kubernetes/enc.yaml", "--anonymous-auth=false",
				"--enable-admission-plugins=NodeRestriction", "--profiling"}}}},
	}
	if _, err := cs.CoreV1().Pods("kube-system").Create(ctx, apiserver, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	mirror := apiserver.Name
	t.Cleanup(func() { _ = cs.CoreV1().Pods("kube-system").Delete(ctx, apiserver.Name, metav1.DeleteOptions{}) })

	installRolloutCRD(t, c.Admin)
	ns := c.Namespace(t, "e2e-crs", nil)
	dyn := dynamic.NewForConfigOrDie(c.Admin)
	gvr := schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "rollouts"}
	ro := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", "metadata": map[string]any{"name": "canary"},
		"spec": map[string]any{"template": map[string]any{"metadata": map[string]any{"labels": map[string]any{"app": "canary"}},
			"spec": map[string]any{"containers": []any{map[string]any{"name": "app", "image": "nginx:latest"}}}}},
	}}
	ro, err = dyn.Resource(gvr).Namespace(ns).Create(ctx, ro, metav1.CreateOptions{})
	fatal(t, err)
	sel := &metav1.LabelSelector{MatchLabels: map[string]string{"app": "canary"}}
	if _, err := cs.AppsV1().ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "canary-1", OwnerReferences: []metav1.OwnerReference{{APIVersion: "argoproj.io/v1alpha1", Kind: "Rollout", Name: "canary", UID: ro.GetUID(), Controller: ptr.To(true)}}},
		Spec:       appsv1.ReplicaSetSpec{Selector: sel, Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: sel.MatchLabels}, Spec: podSpec()}}},
		metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	res, err := live.Cluster(ctx, c.Admin, live.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if v := res.Facts.KubeletVersions["e2e-node"]; v != "v1.36.4" {
		t.Errorf("kubelet version %q", v)
	}
	f := res.Facts.APIServerFlags
	if f["encryption-provider-config"] != "/etc/kubernetes/enc.yaml" || f["anonymous-auth"] != "false" || f["profiling"] != "true" || f["enable-admission-plugins"] != "NodeRestriction" {
		t.Errorf("API server flags %v", f)
	}
	var rollout *inventory.Object
	for _, o := range res.Objects {
		switch {
		case o.Kind == "Rollout" && o.Name == "canary":
			rollout = o
		case o.Kind == "ReplicaSet" && o.Name == "canary-1":
			t.Error("the Rollout's ReplicaSet was kept")
		case o.Kind == "Pod" && o.Name == mirror:
			// Mirror pods are controlled by their Node, which has no template: kept.
			mirror = ""
		}
	}
	if mirror != "" {
		t.Error("the kube-apiserver mirror pod was dropped")
	}
	if rollout == nil {
		t.Fatal("Rollout not read")
	}
	if _, ok := rollout.Unstructured(); !ok || rollout.APIVersion != "argoproj.io/v1alpha1" {
		t.Errorf("Rollout read as %T %s", rollout.Obj, rollout.APIVersion)
	}
	if len(inventory.Build([]*inventory.Object{rollout}).PodTemplates()) != 1 {
		t.Error("the Rollout's pod template is not seen")
	}

	// From one namespace, the flags are still found (a separate, selective list).
	res, err = live.Cluster(ctx, c.Admin, live.Options{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	if res.Facts.APIServerFlags["anonymous-auth"] != "false" {
		t.Errorf("-n: API server flags %v", res.Facts.APIServerFlags)
	}
}

func installRolloutCRD(t *testing.T, cfg *rest.Config) {
	t.Helper()
	crd := &apiextensionsv1.CustomResourceDefinition{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apiextensions.k8s.io/v1", Kind: "CustomResourceDefinition"},
		ObjectMeta: metav1.ObjectMeta{Name: "rollouts.argoproj.io"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "argoproj.io", Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "rollouts", Singular: "rollout", Kind: "Rollout", ListKind: "RolloutList"},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{Name: "v1alpha1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", XPreserveUnknownFields: ptr.To(true)}}}},
		},
	}
	us, err := testcluster.ToUnstructured(crd)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := testcluster.Apply(ctx, cfg, us, 1)
	if err != nil || len(res.Failed) > 0 {
		t.Fatalf("install CRD: %v %v", err, res.SortedErrors())
	}
}

// TestLoaderHonoursQPS: with 20 requests per second and no burst, a read of the thirty-odd
// built-in kinds cannot finish faster than the rate allows.
func TestLoaderHonoursQPS(t *testing.T) {
	c := testcluster.Need(t, tc)
	cfg := rest.CopyConfig(c.Admin)
	cfg.QPS, cfg.Burst = 20, 1
	start := time.Now()
	res, err := live.Cluster(context.Background(), cfg, live.Options{Workers: 8})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	lists := 0
	for _, r := range live.Resources() {
		if !r.Custom {
			lists++
		}
	}
	// One token up front (burst 1), then one every 50 ms.
	if min := time.Duration(lists-1) * time.Second / 20; took < min {
		t.Errorf("read in %v with QPS 20: faster than %v, so QPS is not honoured", took, min)
	}
	t.Logf("%d objects in %v at QPS 20", len(res.Objects), took)
}

// TestLoaderDiscoveryFailure: an API group the checks read whose discovery fails (an
// aggregated API server that is down) is an error with its practices incomplete, not a
// silent gap; a failing group no check reads is ignored.
func TestLoaderDiscoveryFailure(t *testing.T) {
	c := testcluster.Need(t, tc)
	ctx := context.Background()
	dyn := dynamic.NewForConfigOrDie(c.Admin)
	gvr := schema.GroupVersionResource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices"}
	svc := func(group string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
			"metadata": map[string]any{"name": "v1." + group},
			"spec": map[string]any{"group": group, "version": "v1", "groupPriorityMinimum": int64(100), "versionPriority": int64(100),
				"insecureSkipTLSVerify": true, "service": map[string]any{"namespace": "default", "name": "nowhere"}},
		}}
	}
	// Cleanups run last-first: after the APIServices go, wait until discovery is whole again for the tests that follow.
	t.Cleanup(func() {
		for end := time.Now().Add(30 * time.Second); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
			if r, err := live.Cluster(ctx, c.Admin, live.Options{}); err == nil && len(r.Errors) == 0 {
				return
			}
		}
		t.Error("discovery still failing after the APIServices were deleted")
	})
	for _, g := range []string{"cert-manager.io", "metrics.example.com"} {
		if _, err := dyn.Resource(gvr).Create(ctx, svc(g), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		name := "v1." + g
		t.Cleanup(func() { _ = dyn.Resource(gvr).Delete(ctx, name, metav1.DeleteOptions{}) })
	}
	var res *live.Result
	deadline := time.Now().Add(30 * time.Second)
	for {
		var err error
		res, err = live.Cluster(ctx, c.Admin, live.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Errors) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if len(res.Errors) != 1 {
		t.Fatalf("errors %v, want one for cert-manager.io", res.Errors)
	}
	e := res.Errors[0]
	if e.Resource != "certificates.cert-manager.io" || !strings.Contains(e.Message, "API discovery of cert-manager.io/v1 failed") {
		t.Errorf("error %+v", e)
	}
	// images/vulnerable-exposed and the attack paths read certificates through the exposure view.
	if fmt.Sprint(res.Incomplete) != "[ingress images attack]" {
		t.Errorf("incomplete %v, want [ingress images attack]", res.Incomplete)
	}
}
