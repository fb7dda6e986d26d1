package report

import (
	"bytes"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/internal/gen"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
)

// TestFindingWriterEqualsEncoder holds the JSON report's finding writer to encoding/json's
// bytes for the same finding: every finding of full scans of generated clusters and of the
// examples, and findings with every optional field and awkward strings.
func TestFindingWriterEqualsEncoder(t *testing.T) {
	var fs []check.Finding
	now := time.Unix(1_800_000_000, 0)
	for _, p := range []string{"default", "multitenant"} {
		r := scan.Run((gen.Options{Profile: p}).Inventory(200, 1), scan.Options{Now: now})
		fs = append(fs, r.Findings...)
	}
	objs, _ := load.Files([]string{"../examples"}, load.Options{})
	fs = append(fs, scan.Run(inventory.Build(objs), scan.Options{Now: now}).Findings...)
	fixes := 0
	for _, f := range fs {
		if len(f.Fixes) > 0 {
			fixes++
		}
	}
	if len(fs) < 1000 || fixes < 100 {
		t.Fatalf("%d findings, %d with fixes: too few to judge the writer", len(fs), fixes)
	}
	awkward := []string{"", "plain", "tab\there", "nl\nx", "quote \" and \\ back", "<b> & </b>", "ü ✓ 日本",
		"\x00\x01\x1f\x7f", "bad \xff utf8 \xc3", "line\u2028sep\u2029", "\b\f\r", `{"json": [1]}`, `back\slash`, "\x80", "\u007f"}
	for i, s := range awkward {
		fs = append(fs, check.Finding{
			Check: s, Severity: check.Severity(i % 6), Practice: s,
			Object:  inventory.Ref{APIVersion: s, Kind: s, Namespace: s, Name: s},
			Cluster: s, File: s, Line: i - 3, Path: s, Message: s, Remediation: s,
			Suppressed: i%2 == 0, Rendered: i%3 == 0,
			Fixes: []check.SuggestedFix{{Message: s, Edits: []check.Edit{{Op: check.SetField, Path: s, Value: map[string]any{s: []any{s, 1.5, nil, true}}}}}},
		})
	}
	q := resource.MustParse("250m")
	fs = append(fs, check.Finding{Check: "x/fixes", Object: inventory.Ref{Kind: "Pod"}, Fixes: []check.SuggestedFix{
		{Message: "nil edits"},
		{Message: "no edits", Edits: []check.Edit{}},
		{Message: "values", Edits: []check.Edit{
			{Op: check.SetField, Path: "a", Value: false},
			{Op: check.SetField, Path: "b", Value: 0},
			{Op: check.SetField, Path: "c", Value: 1e21},
			{Op: check.SetField, Path: "d", Value: []string{}},
			{Op: check.SetField, Path: "e", Value: map[string]string{"z": "1", "a": "<&>"}},
			{Op: check.SetField, Path: "f", Value: q, Origin: "LimitRange ns/x"},
			{Op: check.SetField, Path: "g", Value: &q},
			{Op: check.RemoveField, Path: "h"},
			{Op: check.CreateObject, Object: inventory.Ref{Kind: "NetworkPolicy", Name: "n"}, New: map[string]any{"spec": map[string]any{"podSelector": map[string]any{}}}},
			{Op: check.CreateObject, New: map[string]any{}},
			{Op: check.SetField, Path: "i", Value: map[string]any{
				"b":        []any{int64(1), 2.5, "x\"y", nil, true, []any{}, map[string]any{}, []any{map[string]any{"k": map[string]string{"z": "", "a": "\u2028"}}}},
				"a":        map[string]any{"n": nil, "l": []any(nil), "m": map[string]any(nil), "q": q, "s": []string{"a", "b"}, "e": struct{ X int }{3}},
				"\x01key<": 1e21,
			}},
			{Op: check.SetField, Path: "j", Value: []any{int64(math.MinInt64), int64(-1), math.MaxInt, int32(7), uint8(8), math.Copysign(0, -1), 1e-7, nested(40)}},
		}},
	}})
	writerEqualsEncoder(t, fs)
}

// nested is a map depth levels deep, deeper than the indentation the writer has at hand.
func nested(depth int) any {
	var v any = []any{"leaf", int64(depth)}
	for i := range depth {
		v = map[string]any{"level": v, "n": int64(i)}
	}
	return v
}

// writerEqualsEncoder fails unless one finding writer writes each of fs, one after the
// other, as encoding/json does.
func writerEqualsEncoder(t *testing.T, fs []check.Finding) *findingWriter {
	t.Helper()
	var want bytes.Buffer
	enc := newEncoder(&want, "    ")
	w := newFindingWriter()
	var got []byte
	for i := range fs {
		want.Reset()
		if err := enc.Encode(&fs[i]); err != nil {
			t.Fatal(err)
		}
		var err error
		if got, err = w.write(append(got[:0], "prefix"...), &fs[i]); err != nil {
			t.Fatal(err)
		}
		if wb := bytes.TrimSuffix(want.Bytes(), []byte("\n")); !bytes.Equal(got[len("prefix"):], wb) {
			t.Fatalf("finding %d:\n%s\nencoding/json:\n%s", i, got, wb)
		}
	}
	return w
}

// TestFindingWriterSharedValues: findings that share their fixes' maps, as a namespace's
// workloads share its generated policies, are each written as encoding/json writes them,
// whether the writer still holds the map's bytes, has forgotten them for lack of room, or
// never kept them (a map too large); and the bytes it holds stay within their bound.
func TestFindingWriterSharedValues(t *testing.T) {
	policy := func(ns string, i, size int) map[string]any {
		return map[string]any{
			"metadata": map[string]any{"name": fmt.Sprintf("p-%d", i), "namespace": ns},
			"spec":     map[string]any{"podSelector": map[string]any{"app": strings.Repeat("x", size)}, "ports": []any{int64(i), "TCP"}},
		}
	}
	var fs []check.Finding
	finding := func(ns string, ps ...map[string]any) {
		var edits []check.Edit
		for _, p := range ps {
			edits = append(edits, check.Edit{Op: check.CreateObject, New: p}, check.Edit{Op: check.SetField, Path: "spec", Value: p["spec"]})
		}
		fs = append(fs, check.Finding{Check: "x/shared", Object: inventory.Ref{Namespace: ns}, Fixes: []check.SuggestedFix{{Message: ns, Edits: edits}}})
	}
	var first []map[string]any
	for n := range 40 {
		ns := fmt.Sprintf("ns-%d", n)
		// Enough bytes in all that the writer forgets what it held several times over.
		ps := []map[string]any{policy(ns, 0, 10), policy(ns, 1, 20_000), policy(ns, 2, 3)}
		for range 5 {
			finding(ns, ps...)
		}
		finding(ns, ps[2], ps[0])
		if n == 0 {
			first = ps
		}
	}
	// Long forgotten, and their bytes' place taken by others.
	finding("ns-0", first...)
	// A policy and its spec, 20 KB each, in 40 namespaces.
	if total := 40 * 2 * 20_000; total < valueCacheBytes {
		t.Fatalf("%d bytes of shared maps do not fill the writer's %d", total, valueCacheBytes)
	}
	huge := policy("big", 0, valueCacheBytes)
	finding("big", huge)
	finding("big", huge)
	w := writerEqualsEncoder(t, fs)
	if c := cap(w.cache.bytes); c > valueCacheBytes {
		t.Errorf("the writer holds %d bytes of maps; at most %d", c, valueCacheBytes)
	}
}

// TestFindingWriterKnowsEveryField fails when check.Finding gains a field in its JSON form
// that the finding writer does not write.
func TestFindingWriterKnowsEveryField(t *testing.T) {
	known := "check severity practice object cluster file line path message remediation suppressed fixes rendered"
	var got []string
	ft := reflect.TypeFor[check.Finding]()
	for i := range ft.NumField() {
		f := ft.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		got = append(got, name)
	}
	if strings.Join(got, " ") != known {
		t.Fatalf("check.Finding's JSON fields are %q; the finding writer writes %q: teach it the new ones", got, known)
	}
	for typ, want := range map[reflect.Type]string{
		reflect.TypeFor[check.SuggestedFix](): "message edits",
		reflect.TypeFor[check.Edit]():         "op object path value new origin",
	} {
		var got []string
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			got = append(got, name)
		}
		if strings.Join(got, " ") != want {
			t.Fatalf("%s's JSON fields are %q; the finding writer writes %q", typ, got, want)
		}
	}
	rt := reflect.TypeFor[inventory.Ref]()
	if rt.NumField() != 4 {
		t.Fatalf("inventory.Ref has %d fields; the finding writer writes 4", rt.NumField())
	}
}
