package load

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
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
	"github.com/kubeharden/kubeharden/inventory"
)

func TestAPIServerFlags(t *testing.T) {
	p := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{
		{Name: "sidecar", Command: []string{"sleep", "--forever"}},
		{Name: "kube-apiserver", Command: []string{"kube-apiserver", "--a=1", "--profiling"},
			Args: []string{"--b", "two", "--a=3", "-v=2", "--c"}},
	}}}
	got := apiServerFlags(p)
	want := map[string]string{"a": "1,3", "profiling": "true", "b": "two", "v": "2", "c": "true"}
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
	res := func(name string) ClusterResource {
		for _, r := range clusterResources() {
			if r.Name() == name {
				return r
			}
		}
		t.Fatalf("no resource %s", name)
		return ClusterResource{}
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

// TestSnapshotRoundTrip writes objects from files (a Secret with values among them) and
// facts, reads the snapshot back as files and gets the same objects, no values, and the facts.
func TestSnapshotRoundTrip(t *testing.T) {
	facts := &inventory.Facts{ServerVersion: "v1.37.2", KubeletVersions: map[string]string{"n1": "v1.36.0"},
		APIServerFlags: map[string]string{"profiling": "true"}}
	sec := &corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}, ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "n"},
		Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"password": []byte("hunter2-value")}}
	usec := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "u", "namespace": "n"}, "stringData": map[string]any{"k": "other-value"}}}
	dep := &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: metav1.ObjectMeta{Name: "d", Namespace: "n"}}
	in := []*inventory.Object{inventory.New(sec, inventory.Source{}, nil), inventory.New(usec, inventory.Source{}, nil), inventory.New(dep, inventory.Source{}, nil)}
	errs := []check.Error{{Resource: "nodes", Message: "forbidden"}}
	var buf bytes.Buffer
	if err := WriteSnapshot(&buf, "test", in, &Snapshot{Facts: facts, Errors: errs, Incomplete: []string{"versions"}}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "hunter2") || strings.Contains(buf.String(), "other-value") ||
		strings.Contains(buf.String(), "aHVudGVyMi12YWx1ZQ") {
		t.Fatalf("a secret value is in the snapshot:\n%s", buf.String())
	}
	if sec.Data == nil {
		t.Error("WriteSnapshot changed the object it was given")
	}
	p := filepath.Join(t.TempDir(), "snap.yaml")
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	objs, lerrs := Files([]string{p}, Options{})
	if len(lerrs) > 0 {
		t.Fatalf("snapshot does not load: %v\n%s", lerrs, buf.String())
	}
	objs, snap, serrs := SplitSnapshot(objs)
	if len(serrs) > 0 || snap == nil {
		t.Fatalf("no snapshot facts: %v", serrs)
	}
	// Facts.Object is the ClusterFacts document, for findings about the cluster itself.
	if o := snap.Facts.Object; o == nil || o.Kind != FactsKind || o.Source.File != p {
		t.Errorf("facts object = %v", o)
	}
	got := *snap.Facts
	got.Object = nil
	if !reflect.DeepEqual(&got, facts) || !reflect.DeepEqual(snap.Errors, errs) || !reflect.DeepEqual(snap.Incomplete, []string{"versions"}) {
		t.Errorf("read back %+v", snap)
	}
	if len(objs) != 3 {
		t.Fatalf("%d objects back", len(objs))
	}
	for i, o := range objs {
		if o.Ref != in[i].Ref {
			t.Errorf("object %d: %s, want %s", i, o.Ref, in[i].Ref)
		}
	}
	if s, ok := objs[1].Obj.(*corev1.Secret); !ok || s.Data != nil || s.StringData != nil {
		t.Errorf("unstructured Secret came back as %#v", objs[1].Obj)
	}
}
