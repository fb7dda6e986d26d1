package report

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// findingWriter writes one finding as an item of the JSON report's findings list: the bytes
// encoding/json writes for it with the report's indentation (newEncoder with the prefix
// "    "), without the trailing newline. At 100,000 findings reflection and the indenting
// pass cost seconds; this writes the fields in place, and leaves edits' values other than
// strings and booleans, and strings that need escaping, to encoding/json
// (TestFindingWriterEqualsEncoder).
type findingWriter struct {
	b       []byte
	scratch bytes.Buffer
	enc     *json.Encoder
	// values encodes edits' values at their depth in the document.
	values *json.Encoder
}

func newFindingWriter() *findingWriter {
	w := &findingWriter{}
	w.enc = newEncoder(&w.scratch, "")
	w.values = newEncoder(&w.scratch, editIndent[1:])
	return w
}

// The indentation of a finding's fields, of its object's fields, and in its fixes: a fix,
// its fields, an edit, the edit's fields, the fields of the edit's object.
const (
	fieldIndent      = "\n      "
	objectIndent     = "\n        "
	fixIndent        = "\n        "
	fixFieldIndent   = "\n          "
	editItemIndent   = "\n            "
	editIndent       = "\n              "
	editObjectIndent = "\n                "
)

// fixes appends a finding's fixes, as encoding/json writes them there.
func (w *findingWriter) fixes(b []byte, fixes []check.SuggestedFix) ([]byte, error) {
	b = append(b, '[')
	for i := range fixes {
		fx := &fixes[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(append(b, fixIndent...), '{')
		b = w.str(key(b, fixFieldIndent, "message"), fx.Message)
		b = key(append(b, ','), fixFieldIndent, "edits")
		switch {
		case fx.Edits == nil:
			b = append(b, "null"...)
		case len(fx.Edits) == 0:
			b = append(b, "[]"...)
		default:
			b = append(b, '[')
			for j := range fx.Edits {
				e := &fx.Edits[j]
				if j > 0 {
					b = append(b, ',')
				}
				b = append(append(b, editItemIndent...), '{')
				b = w.str(key(b, editIndent, "op"), string(e.Op))
				b = w.ref(key(append(b, ','), editIndent, "object"), e.Object, editIndent, editObjectIndent)
				if e.Path != "" {
					b = w.str(key(append(b, ','), editIndent, "path"), e.Path)
				}
				if e.Value != nil {
					var err error
					if b, err = w.value(key(append(b, ','), editIndent, "value"), e.Value); err != nil {
						return nil, err
					}
				}
				if len(e.New) > 0 {
					var err error
					if b, err = w.value(key(append(b, ','), editIndent, "new"), e.New); err != nil {
						return nil, err
					}
				}
				if e.Origin != "" {
					b = w.str(key(append(b, ','), editIndent, "origin"), e.Origin)
				}
				b = append(append(b, editItemIndent...), '}')
			}
			b = append(append(b, fixFieldIndent...), ']')
		}
		b = append(append(b, fixIndent...), '}')
	}
	return append(append(b, fieldIndent...), ']'), nil
}

// value appends an edit's value, indented after indent: strings, booleans, nil, and the maps
// and lists of them that fixes build (map[string]any, []any, as unstructured content holds
// objects) in place; anything else (numbers, types with their own JSON form) by encoding/json.
func (w *findingWriter) value(b []byte, v any) ([]byte, error) {
	return w.nested(b, v, editIndent)
}

func (w *findingWriter) nested(b []byte, v any, indent string) ([]byte, error) {
	var err error
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return w.str(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case map[string]any:
		if v == nil {
			return append(b, "null"...), nil
		}
		if len(v) == 0 {
			return append(b, "{}"...), nil
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		inner := indent + "  "
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(w.str(append(b, inner...), k), ": "...)
			if b, err = w.nested(b, v[k], inner); err != nil {
				return nil, err
			}
		}
		return append(append(b, indent...), '}'), nil
	case []any:
		if v == nil {
			return append(b, "null"...), nil
		}
		if len(v) == 0 {
			return append(b, "[]"...), nil
		}
		inner := indent + "  "
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = w.nested(append(b, inner...), e, inner); err != nil {
				return nil, err
			}
		}
		return append(append(b, indent...), ']'), nil
	}
	enc := w.values
	switch v.(type) {
	case int, int64, float64:
		// Scalars are written the same at any depth.
	default:
		if indent != editIndent {
			enc = newEncoder(&w.scratch, indent[1:])
		}
	}
	w.scratch.Reset()
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return append(b, bytes.TrimSuffix(w.scratch.Bytes(), []byte("\n"))...), nil
}

// write renders f; the bytes are valid until the next call.
func (w *findingWriter) write(f *check.Finding) ([]byte, error) {
	b := append(w.b[:0], '{')
	b = w.str(key(b, fieldIndent, "check"), f.Check)
	b = w.str(key(append(b, ','), fieldIndent, "severity"), f.Severity.String())
	b = w.str(key(append(b, ','), fieldIndent, "practice"), f.Practice)
	b = w.ref(key(append(b, ','), fieldIndent, "object"), f.Object, fieldIndent, objectIndent)
	if f.Cluster != "" {
		b = w.str(key(append(b, ','), fieldIndent, "cluster"), f.Cluster)
	}
	if f.File != "" {
		b = w.str(key(append(b, ','), fieldIndent, "file"), f.File)
	}
	if f.Line != 0 {
		b = strconv.AppendInt(key(append(b, ','), fieldIndent, "line"), int64(f.Line), 10)
	}
	if f.Path != "" {
		b = w.str(key(append(b, ','), fieldIndent, "path"), f.Path)
	}
	b = w.str(key(append(b, ','), fieldIndent, "message"), f.Message)
	if f.Remediation != "" {
		b = w.str(key(append(b, ','), fieldIndent, "remediation"), f.Remediation)
	}
	b = strconv.AppendBool(key(append(b, ','), fieldIndent, "suppressed"), f.Suppressed)
	if len(f.Fixes) > 0 {
		var err error
		if b, err = w.fixes(key(append(b, ','), fieldIndent, "fixes"), f.Fixes); err != nil {
			return nil, err
		}
	}
	if f.Rendered {
		b = append(key(append(b, ','), fieldIndent, "rendered"), "true"...)
	}
	b = append(b, "\n    }"...)
	w.b = b
	return b, nil
}

// ref writes r as an object whose fields stand at inner and whose closing brace at outer.
func (w *findingWriter) ref(b []byte, r inventory.Ref, outer, inner string) []byte {
	b = w.str(key(append(b, '{'), inner, "apiVersion"), r.APIVersion)
	b = w.str(key(append(b, ','), inner, "kind"), r.Kind)
	b = w.str(key(append(b, ','), inner, "namespace"), r.Namespace)
	b = w.str(key(append(b, ','), inner, "name"), r.Name)
	return append(append(b, outer...), '}')
}

func key(b []byte, indent, name string) []byte {
	b = append(b, indent...)
	b = append(b, '"')
	b = append(b, name...)
	return append(b, `": `...)
}

// str appends s as a JSON string. Printable ASCII without quotes or backslashes is written
// as it is; anything else is escaped by encoding/json.
func (w *findingWriter) str(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			w.scratch.Reset()
			_ = w.enc.Encode(s) // a string always encodes
			return append(b, bytes.TrimSuffix(w.scratch.Bytes(), []byte("\n"))...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
