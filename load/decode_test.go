package load

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestLineTable(t *testing.T) {
	const file = "testdata/list.yaml"
	objs, _ := decodeFile(t, file)
	d := find(objs, "Deployment", "two")
	if d == nil {
		t.Fatal("Deployment two not loaded")
	}
	for path, want := range map[string]int{
		"spec.template.spec.containers[1].image": lineOf(t, file, "image: redis:7", 0),
		"spec.template.spec.containers[1]":       lineOf(t, file, "- name: b", 0),
		"spec.template.spec.containers[0].name":  lineOf(t, file, "- name: a", 0),
		"metadata.namespace":                     lineOf(t, file, "namespace: shop", 0),
		"kind":                                   lineOf(t, file, "kind: Deployment", 0),
	} {
		if got := d.Lines.Lookup(path); got != want {
			t.Errorf("line of %s = %d, want %d", path, got, want)
		}
	}
	// A missing field falls back to its closest ancestor.
	if got, want := d.Line("spec.template.spec.containers[1].securityContext.privileged"), lineOf(t, file, "- name: b", 0); got != want {
		t.Errorf("fallback line = %d, want %d", got, want)
	}
	// Items of a typed list: paths are relative to the item.
	p := find(objs, "Pod", "p1")
	if p == nil {
		t.Fatal("Pod p1 not loaded")
	}
	if got, want := p.Lines.Lookup("spec.containers[0].image"), lineOf(t, file, "image: busybox", 0); got != want {
		t.Errorf("p1 image line = %d, want %d", got, want)
	}
	if p.APIVersion != "v1" {
		t.Errorf("p1 apiVersion = %q, want v1 from the PodList", p.APIVersion)
	}
}

func TestTypedWithoutDefaults(t *testing.T) {
	objs, errs := decodeFile(t, "testdata/list.yaml")
	_ = errs
	d, ok := find(objs, "Deployment", "two").Obj.(*appsv1.Deployment)
	if !ok {
		t.Fatalf("Deployment decoded as %T", find(objs, "Deployment", "two").Obj)
	}
	if d.APIVersion != "apps/v1" || d.Kind != "Deployment" {
		t.Errorf("TypeMeta = %+v", d.TypeMeta)
	}
	if d.Spec.Replicas != nil {
		t.Errorf("replicas defaulted to %d; the loader must not default", *d.Spec.Replicas)
	}
	if got := d.Spec.Template.Spec.Containers[0].ImagePullPolicy; got != "" {
		t.Errorf("imagePullPolicy defaulted to %q", got)
	}
	if _, ok := find(objs, "Pod", "p2").Obj.(*corev1.Pod); !ok {
		t.Errorf("Pod p2 is %T", find(objs, "Pod", "p2").Obj)
	}
}

func TestUnstructuredKept(t *testing.T) {
	objs, errs := decodeFile(t, "testdata/crd.yaml")
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	w := find(objs, "Widget", "w")
	u, ok := w.Obj.(*unstructured.Unstructured)
	if !ok {
		t.Fatalf("Widget is %T", w.Obj)
	}
	spec := u.Object["spec"].(map[string]any)
	// Numbers as the API server keeps them in unstructured content; YAML 1.1 booleans.
	if v, ok := spec["size"].(int64); !ok || v != 3 {
		t.Errorf("size = %#v, want int64 3", spec["size"])
	}
	if v, ok := spec["ratio"].(float64); !ok || v != 0.5 {
		t.Errorf("ratio = %#v, want 0.5", spec["ratio"])
	}
	if v, ok := spec["enabled"].(bool); !ok || !v {
		t.Errorf("enabled = %#v, want true (yes)", spec["enabled"])
	}
	if w.Namespace != "shop" || w.APIVersion != "example.com/v1" {
		t.Errorf("ref = %+v", w.Ref)
	}
	if got, want := w.Line("spec.template.spec.containers[0].image"), lineOf(t, "testdata/crd.yaml", "image: nginx:latest", 0); got != want {
		t.Errorf("image line = %d, want %d", got, want)
	}
	// An unknown version of a known kind is not guessed at.
	if _, ok := find(objs, "Deployment", "future").Obj.(*unstructured.Unstructured); !ok {
		t.Errorf("apps/v1beta9 Deployment is %T, want unstructured", find(objs, "Deployment", "future").Obj)
	}
	if _, ok := find(objs, "CustomResourceDefinition", "widgets.example.com").Obj.(*unstructured.Unstructured); !ok {
		t.Error("CRD not kept")
	}
}

func TestYAMLSemantics(t *testing.T) {
	objs, errs := decodeFile(t, "testdata/aliases.yaml")
	_ = errs
	cm := find(objs, "ConfigMap", "merged").Obj.(*corev1.ConfigMap)
	if got := cm.Annotations; got["app"] != "shop" || got["tier"] != "overridden" {
		t.Errorf("merged annotations = %v", got)
	}
	if cm.Data["a"] != "shared" || cm.Data["b"] != "shared" {
		t.Errorf("aliased data = %v", cm.Data)
	}
	// YAML 1.1 as kubectl reads it: an unquoted key "on" is the boolean true.
	objs, errs = Decode("x.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  on: \"a\"\n  mode: \"0644\"\nbinaryData:\n  k: aGVsbG8=\n"))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	cm = objs[0].Obj.(*corev1.ConfigMap)
	if cm.Data["true"] != "a" || string(cm.BinaryData["k"]) != "hello" {
		t.Errorf("data = %v, binaryData = %q", cm.Data, cm.BinaryData)
	}
	objs, errs = Decode("x.yaml", []byte("apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\nspec:\n  containers: [{name: c, image: i}]\n  volumes:\n  - name: v\n    secret:\n      defaultMode: 0644\n"))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if m := *objs[0].Obj.(*corev1.Pod).Spec.Volumes[0].Secret.DefaultMode; m != 0644 {
		t.Errorf("defaultMode 0644 = %d, want octal 420", m)
	}
}

func TestJSON(t *testing.T) {
	const file = "testdata/json/deploy.json"
	objs, errs := decodeFile(t, file)
	if len(errs) > 0 || len(objs) != 1 {
		t.Fatalf("objs %d, errs %v", len(objs), errs)
	}
	d := objs[0]
	if _, ok := d.Obj.(*appsv1.Deployment); !ok || d.Source.Line != 1 {
		t.Fatalf("got %T at line %d", d.Obj, d.Source.Line)
	}
	for path, want := range map[string]int{
		"spec.template.spec.containers[1].image": lineOf(t, file, `"image": "redis:latest"`, 0),
		"spec.template.spec.containers[0].image": lineOf(t, file, `"image": "nginx:1.27"`, 0),
		"spec.template.spec.containers[1]":       lineOf(t, file, "\t\t\t\t\t{", 1),
		"metadata.namespace":                     lineOf(t, file, `"namespace"`, 0),
	} {
		if got := d.Lines.Lookup(path); got != want {
			t.Errorf("line of %s = %d, want %d", path, got, want)
		}
	}
}

func TestJSONStream(t *testing.T) {
	objs, errs := decodeFile(t, "testdata/json/stream.json")
	var names []string
	for _, o := range objs {
		names = append(names, o.Name)
	}
	if strings.Join(names, ",") != "one,three" {
		t.Errorf("objects = %v, want one,three", names)
	}
	// two: a number where ConfigMap data wants a string; four: not JSON, and the stream
	// cannot be followed after it.
	if len(errs) != 2 || errs[0].Line != 3 || !strings.Contains(errs[0].Message, `ConfigMap "two": data.a: expected string, got number`) ||
		errs[1].Line != 5 || !strings.Contains(errs[1].Message, "invalid JSON") {
		t.Errorf("errors = %v", errs)
	}
}

func TestJSONList(t *testing.T) {
	const file = "testdata/json/list.json"
	objs, errs := decodeFile(t, file)
	if len(objs) != 2 {
		t.Fatalf("objects: %d", len(objs))
	}
	p := find(objs, "Pod", "p1")
	if p == nil || p.APIVersion != "v1" || p.Namespace != "shop" {
		t.Fatalf("pod = %+v", p)
	}
	if got, want := p.Line("spec.containers[0].image"), lineOf(t, file, `"image": "busybox"`, 0); got != want {
		t.Errorf("image line %d, want %d", got, want)
	}
	if p.Source.Line != 5 {
		t.Errorf("pod line %d, want 5", p.Source.Line)
	}
	// JSON is decoded as JSON: 1.0 is not an integer (as the API server would say).
	want := []string{
		`Service "s2": unknown field "spec.replicas"`,
		`Service "s2": spec.ports[0].port: expected integer, got number`,
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Message, want[1]) || errs[0].Line != lineOf(t, file, `"port": 1.0`, 0) {
		t.Errorf("errors = %v, want %q", errs, want[1])
	}
}
