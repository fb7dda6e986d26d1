package live

import (
	"errors"
	"reflect"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/kubeharden/kubeharden/check"
)

func TestAPIServerFlags(t *testing.T) {
	p := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{
		{Name: "sidecar", Command: []string{"sleep", "--forever"}},
		{Name: "kube-apiserver", Command: []string{"kube-apiserver", "--a=1", "--profiling"},
			Args: []string{"--b", "two", "--a=3", "-v=2", "--c"}},
	}}}
	got := apiServerFlags(p)
	want := map[string]string{"a": "3", "profiling": "true", "b": "two", "v": "2", "c": "true"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestRedactSecret(t *testing.T) {
	tls := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{lastApplied: "{data}", "keep": "me"}},
		Type:       corev1.SecretTypeTLS,
		Data:       map[string][]byte{"tls.crt": []byte("CERT"), "tls.key": []byte("KEY"), "ca.crt": []byte("CA"), "extra": []byte("X")},
		StringData: map[string]string{"s": "S"},
	}
	RedactSecret(tls)
	want := map[string][]byte{"tls.crt": []byte("CERT"), "tls.key": {}, "ca.crt": []byte("CA")}
	if !reflect.DeepEqual(tls.Data, want) || tls.StringData != nil || !reflect.DeepEqual(tls.Annotations, map[string]string{"keep": "me"}) {
		t.Errorf("TLS secret after redaction: %+v", tls)
	}
	opaque := &corev1.Secret{Data: map[string][]byte{"password": []byte("P")}, StringData: map[string]string{"s": "S"}}
	RedactSecret(opaque)
	if opaque.Data != nil || opaque.StringData != nil {
		t.Errorf("opaque secret after redaction: %+v", opaque)
	}
}

func TestListError(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "", errors.New("nope"))
	res := func(name string) Resource {
		for _, r := range clusterResources() {
			if r.Name() == name {
				return r
			}
		}
		t.Fatalf("no resource %s", name)
		return Resource{}
	}
	secrets, deps := res("secrets"), res("deployments.apps")
	for _, tc := range []struct {
		t    task
		err  error
		want check.Error
	}{
		{task{res: secrets, namespaced: true}, forbidden,
			check.Error{Resource: "secrets", Message: `forbidden: cannot list secrets in all namespaces (needs "list" on "secrets")`}},
		{task{res: secrets, namespaced: true, ns: "shop"}, forbidden,
			check.Error{Resource: "secrets", Message: `forbidden: cannot list secrets in namespace "shop" (needs "list" on "secrets" in namespace "shop")`}},
		{task{res: res("namespaces"), get: "shop"}, forbidden,
			check.Error{Resource: "namespaces", Message: `forbidden: cannot get namespaces named "shop" (needs "get" on "namespaces")`}},
		{task{res: res("nodes")}, forbidden,
			check.Error{Resource: "nodes", Message: `forbidden: cannot list nodes at cluster scope (needs "list" on "nodes")`}},
		{task{res: deps, namespaced: true}, apierrors.NewInternalError(errors.New("etcd\nleader changed")),
			check.Error{Resource: "deployments.apps", Message: `cannot list deployments.apps in all namespaces: Internal error occurred: etcd leader changed`}},
	} {
		if got := listError(tc.t, tc.err); got != tc.want {
			t.Errorf("got  %+v\nwant %+v", got, tc.want)
		}
	}
}

func TestDropControlled(t *testing.T) {
	dep := &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: metav1.ObjectMeta{Name: "d", Namespace: "n", UID: "d1"}}
	ctl := func(uid string) []metav1.OwnerReference {
		return []metav1.OwnerReference{{UID: uidOf(uid), Controller: ptr.To(true)}}
	}
	rs := &appsv1.ReplicaSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "ReplicaSet"}, ObjectMeta: metav1.ObjectMeta{Name: "r", Namespace: "n", UID: "r1", OwnerReferences: ctl("d1")}}
	pod := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "n", OwnerReferences: ctl("r1")}}
	node := &corev1.Node{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"}, ObjectMeta: metav1.ObjectMeta{Name: "x", UID: "n1"}}
	mirror := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: metav1.ObjectMeta{Name: "m", Namespace: "kube-system", OwnerReferences: ctl("n1")}}
	// A ConfigMap owned by the Deployment is not a copy of its template: kept.
	cm := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"}, ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "n", OwnerReferences: ctl("d1")}}
	ro := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
		"metadata": map[string]any{"name": "ro", "namespace": "n", "uid": "ro1"},
		"spec":     map[string]any{"template": map[string]any{"spec": map[string]any{"containers": []any{}}}}}}
	rs2 := &appsv1.ReplicaSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "ReplicaSet"}, ObjectMeta: metav1.ObjectMeta{Name: "r2", Namespace: "n", OwnerReferences: ctl("ro1")}}
	objs, n := dropControlled([]runtime.Object{dep, rs, pod, node, mirror, cm, ro, rs2})
	var names []string
	for _, o := range objs {
		names = append(names, o.Name)
	}
	if n != 3 || !reflect.DeepEqual(names, []string{"d", "x", "m", "c", "ro"}) {
		t.Errorf("kept %v (dropped %d), want [d x m c ro] (dropped 3)", names, n)
	}
}

func uidOf(s string) types.UID { return types.UID(s) }
