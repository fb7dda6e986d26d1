package load

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/kubeharden/kubeharden/internal/gen"
)

// TestParallelSameAsInTurn holds the objects, errors and skips of a large file decoded on
// several cores equal to reading its documents one after the other: a generated cluster with
// every test file of this package (malformed, not objects, lists, JSON streams) in between.
func TestParallelSameAsInTurn(t *testing.T) {
	var in bytes.Buffer
	if err := (gen.Options{Profile: "multitenant"}).WriteYAML(&in, 60, 1); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("testdata/*.yaml")
	json, _ := filepath.Glob("testdata/json/*")
	for _, f := range append(files, json...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		in.WriteString("\n---\n")
		in.Write(data)
		in.WriteString("\n---\n")
		in.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: after\n")
	}
	data := in.Bytes()
	defer func(m, b int) { parallelMin, batchSize = m, b }(parallelMin, batchSize)
	for _, lenient := range []bool{false, true} {
		parallelMin = len(data) + 1
		want := &decoder{name: "f.yaml", lenient: lenient}
		want.decode(bytes.Clone(data))
		if len(want.objs) < 200 || len(want.errs) < 10 {
			t.Fatalf("lenient=%v: %d objects, %d errors: the input does not test much", lenient, len(want.objs), len(want.errs))
		}
		for _, batch := range []int{1, 1000, 64 << 10} {
			parallelMin, batchSize = 0, batch
			got := &decoder{name: "f.yaml", lenient: lenient}
			got.decode(bytes.Clone(data))
			if !reflect.DeepEqual(got.objs, want.objs) {
				t.Errorf("lenient=%v batch=%d: objects differ (%d, want %d)", lenient, batch, len(got.objs), len(want.objs))
			}
			if !reflect.DeepEqual(got.errs, want.errs) {
				t.Errorf("lenient=%v batch=%d: errors differ:\n%v\nwant\n%v", lenient, batch, got.errs, want.errs)
			}
			if !reflect.DeepEqual(got.skips, want.skips) || got.warned != want.warned {
				t.Errorf("lenient=%v batch=%d: skips %v warned %d, want %v, %d", lenient, batch, got.skips, got.warned, want.skips, want.warned)
			}
		}
	}
}
