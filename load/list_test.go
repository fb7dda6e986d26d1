package load

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"

	"github.com/kubeharden/kubeharden/internal/gen"
)

// decodeBoth decodes data with large Lists read item by item and read whole.
func decodeBoth(t *testing.T, name string, data []byte) (split, whole result) {
	t.Helper()
	defer func(m int) { listSplitMin = m }(listSplitMin)
	listSplitMin = 0
	split.objs, split.errs = Decode(name, data)
	listSplitMin = 1 << 62
	whole.objs, whole.errs = Decode(name, data)
	return split, whole
}

func sameResult(t *testing.T, a, b result, paths []string) {
	t.Helper()
	if len(a.objs) != len(b.objs) {
		t.Fatalf("%d objects item by item, %d whole", len(a.objs), len(b.objs))
	}
	for i := range a.objs {
		x, y := a.objs[i], b.objs[i]
		if x.Ref != y.Ref || x.Source != y.Source || !reflect.DeepEqual(x.Obj, y.Obj) || x.Lines.Len() != y.Lines.Len() {
			t.Fatalf("object %d differs: %v at %v, %v at %v", i, x.Ref, x.Source, y.Ref, y.Source)
		}
		for _, p := range paths {
			if x.Lines.Lookup(p) != y.Lines.Lookup(p) {
				t.Fatalf("%v: line of %s: %d item by item, %d whole", x.Ref, p, x.Lines.Lookup(p), y.Lines.Lookup(p))
			}
		}
	}
	if !reflect.DeepEqual(a.errs, b.errs) {
		t.Fatalf("errors differ:\n%v\n%v", a.errs, b.errs)
	}
}

var listPaths = []string{"metadata.name", "spec.template.spec.containers[0].image", "spec.containers[1].image", "data.password", "spec.ports[0]"}

// TestBigList checks that reading a List dump item by item (done for large ones, to save
// memory) gives exactly what reading it whole gives.
func TestBigList(t *testing.T) {
	dump, err := sigsyaml.Marshal(map[string]any{"apiVersion": "v1", "kind": "List", "items": gen.Objects(200, 3)})
	if err != nil {
		t.Fatal(err)
	}
	if _, items, _, ok := cutList(dump); !ok || len(items) < 400 {
		t.Fatalf("dump not cut into items: %v, %d items", ok, len(items))
	}
	split, whole := decodeBoth(t, "dump.yaml", dump)
	if len(split.objs) < 400 || len(split.errs) > 0 {
		t.Fatalf("%d objects, errors %v", len(split.objs), split.errs)
	}
	sameResult(t, split, whole, listPaths)

	// Indented items, comments, typed lists, bad items.
	data, _ := os.ReadFile("testdata/list.yaml")
	indented := strings.NewReplacer("\n- ", "\n  - ", "\n  ", "\n    ").Replace(string(data))
	for name, d := range map[string]string{"list.yaml": string(data), "indented.yaml": indented} {
		t.Run(name, func(t *testing.T) {
			split, whole := decodeBoth(t, name, []byte(d))
			if len(split.objs) == 0 {
				t.Fatal("nothing loaded")
			}
			sameResult(t, split, whole, listPaths)
		})
	}
}

// TestBigListFallback: an alias from one item to another cannot be cut apart; the List is
// read whole instead, with the same result.
func TestBigListFallback(t *testing.T) {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: List\nitems:\n")
	for i := 0; i < 5; i++ {
		fmt.Fprintf(&b, "- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c%d\n    labels: ", i)
		if i == 0 {
			b.WriteString("&l {app: x}\n")
		} else {
			b.WriteString("*l\n")
		}
	}
	split, whole := decodeBoth(t, "alias.yaml", []byte(b.String()))
	sameResult(t, split, whole, listPaths)
	if len(split.objs) != 5 || len(split.errs) != 0 || split.objs[4].Labels()["app"] != "x" {
		t.Errorf("objects %d errors %v", len(split.objs), split.errs)
	}
	b.WriteString("- broken: [\n")
	split, whole = decodeBoth(t, "broken.yaml", []byte(b.String()))
	sameResult(t, split, whole, listPaths)
	if len(split.objs) != 0 || len(split.errs) != 1 {
		t.Errorf("objects %d errors %v: a broken List is one error", len(split.objs), split.errs)
	}
}
