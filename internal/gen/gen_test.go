package gen

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestDeterministic(t *testing.T) {
	a, b := Objects(300, 7), Objects(300, 7)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different clusters")
	}
	if reflect.DeepEqual(a, Objects(300, 8)) {
		t.Fatal("different seeds, same cluster")
	}
	var x, y bytes.Buffer
	if err := WriteYAML(&x, 300, 7); err != nil {
		t.Fatal(err)
	}
	WriteYAML(&y, 300, 7)
	if !bytes.Equal(x.Bytes(), y.Bytes()) {
		t.Fatal("same seed, different YAML")
	}
}

// TestShape checks the promises of the package doc: every kind, the workload count, the
// objects per workload, and that the YAML loads back without errors.
func TestShape(t *testing.T) {
	const n = 2000
	objs := Objects(n, 1)
	kinds := map[string]int{}
	workloads := 0
	for _, o := range objs {
		k := o.GetObjectKind().GroupVersionKind().Kind
		if k == "" {
			t.Fatalf("%T without kind", o)
		}
		kinds[k]++
		switch k {
		case "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet":
			workloads++
		}
	}
	if workloads != n {
		t.Errorf("%d workloads, want %d", workloads, n)
	}
	for _, k := range []string{"Namespace", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Pod", "ReplicaSet",
		"Service", "Ingress", "NetworkPolicy", "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding",
		"Secret", "ConfigMap", "LimitRange", "ResourceQuota"} {
		if kinds[k] == 0 {
			t.Errorf("no %s", k)
		}
	}
	ratio := float64(len(objs)) / n
	if ratio < 2.1 || ratio > 2.5 {
		t.Errorf("%.2f objects per workload, want about 2.3 (%v)", ratio, kinds)
	}
	t.Logf("%d objects (%.2f per workload): %v", len(objs), ratio, kinds)

	var psa, plain int
	for _, o := range objs {
		if ns, ok := o.(*corev1.Namespace); ok {
			if ns.Labels["pod-security.kubernetes.io/enforce"] != "" {
				psa++
			} else {
				plain++
			}
		}
	}
	if psa == 0 || plain == 0 {
		t.Errorf("namespaces with PSA labels %d, without %d: want both", psa, plain)
	}

	dir := t.TempDir()
	files, err := WriteDir(dir, n, 1)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(files[0]) != "cluster.yaml" {
		t.Errorf("first file %s", files[0])
	}
	loaded, errs := load.Files([]string{dir}, load.Options{})
	if len(errs) > 0 {
		t.Fatalf("loading the generated cluster: %v", errs[:min(len(errs), 5)])
	}
	if len(loaded) != len(objs) {
		t.Fatalf("loaded %d objects, generated %d", len(loaded), len(objs))
	}
	inv := inventory.Build(loaded)
	if got := len(inv.PodTemplates()); got != n {
		t.Errorf("%d pod templates, want %d", got, n)
	}
	// The loaded objects equal the generated ones (file order differs: by namespace name).
	byKey := map[inventory.Ref]bool{}
	for _, o := range loaded {
		byKey[o.Ref] = true
	}
	for _, o := range objs {
		m := o.(metav1.Object)
		gvk := o.GetObjectKind().GroupVersionKind()
		ref := inventory.Ref{APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind, Namespace: m.GetNamespace(), Name: m.GetName()}
		if !byKey[ref] {
			t.Fatalf("%v not loaded back", ref)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "payments-0.yaml")); err != nil {
		t.Error(err)
	}
}
