package report

import (
	"bytes"
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
		}},
	}})
	var want bytes.Buffer
	enc := newEncoder(&want, "    ")
	w := newFindingWriter()
	for i := range fs {
		want.Reset()
		if err := enc.Encode(&fs[i]); err != nil {
			t.Fatal(err)
		}
		got, err := w.write(&fs[i])
		if err != nil {
			t.Fatal(err)
		}
		if wb := bytes.TrimSuffix(want.Bytes(), []byte("\n")); !bytes.Equal(got, wb) {
			t.Fatalf("finding %d:\n%s\nencoding/json:\n%s", i, got, wb)
		}
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
