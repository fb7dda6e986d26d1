package snapshot_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/snapshot"
)

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
	dep.Spec.Template.Spec.Containers = []corev1.Container{{Name: "c", Image: "example.com/c:1"}}
	in := []*inventory.Object{inventory.New(sec, inventory.Source{}, nil), inventory.New(usec, inventory.Source{}, nil), inventory.New(dep, inventory.Source{}, nil)}
	errs := []inventory.Error{{Resource: "nodes", Message: "forbidden"}}
	var buf bytes.Buffer
	if err := snapshot.Write(&buf, "test", in, &snapshot.Snapshot{Facts: facts, Errors: errs, Incomplete: []string{"versions"}}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "hunter2") || strings.Contains(buf.String(), "other-value") ||
		strings.Contains(buf.String(), "aHVudGVyMi12YWx1ZQ") {
		t.Fatalf("a secret value is in the snapshot:\n%s", buf.String())
	}
	if sec.Data == nil {
		t.Error("Write changed the object it was given")
	}
	p := filepath.Join(t.TempDir(), "snap.yaml")
	if err := os.WriteFile(p, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	objs, lerrs := load.Files([]string{p}, load.Options{})
	if len(lerrs) > 0 {
		t.Fatalf("snapshot does not load: %v\n%s", lerrs, buf.String())
	}
	objs, snap, serrs := snapshot.Split(objs)
	if len(serrs) > 0 || snap == nil {
		t.Fatalf("no snapshot facts: %v", serrs)
	}
	// Facts.Object is the ClusterFacts document, for findings about the cluster itself.
	if o := snap.Facts.Object; o == nil || o.Kind != snapshot.FactsKind || o.Source.File != p {
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
