package report

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// findingWriter writes one finding as an item of the JSON report's findings list: the bytes
// encoding/json writes for it with the report's indentation (newEncoder with the prefix
// "    "), without the trailing newline. At 100,000 findings reflection and the indenting
// pass cost seconds; this writes the fields in place, and leaves only edits' values of
// types that fixes do not build (floats, types with their own JSON form) to encoding/json
// (TestFindingWriterEqualsEncoder). A writer writes the findings of one result, unchanged
// while it does: it knows maps it wrote by their address.
type findingWriter struct {
	scratch bytes.Buffer
	// values encodes edits' values at their depth in the document.
	values *json.Encoder
	// pairs is a stack of the maps being written, each one's entries sorted by key.
	pairs []pair
	cache valueCache
}

type pair struct {
	k string
	v any
}

func newFindingWriter() *findingWriter {
	w := &findingWriter{}
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
		b = appendString(key(b, fixFieldIndent, "message"), fx.Message)
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
				b = appendString(key(b, editIndent, "op"), string(e.Op))
				b = w.ref(key(append(b, ','), editIndent, "object"), e.Object, editIndent, editObjectIndent)
				if e.Path != "" {
					b = appendString(key(append(b, ','), editIndent, "path"), e.Path)
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
					b = appendString(key(append(b, ','), editIndent, "origin"), e.Origin)
				}
				b = append(append(b, editItemIndent...), '}')
			}
			b = append(append(b, fixFieldIndent...), ']')
		}
		b = append(append(b, fixIndent...), '}')
	}
	return append(append(b, fieldIndent...), ']'), nil
}

// value appends an edit's value, indented after indent: strings, booleans, integers, nil,
// and the maps and lists of them that fixes build (map[string]any, []any, as unstructured
// content holds objects) in place; anything else by encoding/json. Fixes share their maps
// between findings (a namespace's generated policies are a fix of each of its workloads):
// a map's bytes are kept for the next finding that holds the same map.
func (w *findingWriter) value(b []byte, v any) ([]byte, error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return w.nested(b, v, editIndent)
	}
	p := reflect.ValueOf(m).UnsafePointer()
	if enc, ok := w.cache.get(p); ok {
		return append(b, enc...), nil
	}
	start := len(b)
	b, err := w.nested(b, v, editIndent)
	if err == nil {
		w.cache.put(p, b[start:])
	}
	return b, err
}

func (w *findingWriter) nested(b []byte, v any, indent string) ([]byte, error) {
	var err error
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, v), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case map[string]any:
		if v == nil {
			return append(b, "null"...), nil
		}
		if len(v) == 0 {
			return append(b, "{}"...), nil
		}
		// The entries go on the stack, sorted as encoding/json sorts keys; the maps
		// inside push theirs above them.
		from := len(w.pairs)
		for k, e := range v {
			w.pairs = append(w.pairs, pair{k, e})
		}
		to := len(w.pairs)
		slices.SortFunc(w.pairs[from:], func(a, b pair) int { return strings.Compare(a.k, b.k) })
		inner := deeper(indent)
		b = append(b, '{')
		for i := from; i < to; i++ {
			if i > from {
				b = append(b, ',')
			}
			p := w.pairs[i]
			b = append(appendString(append(b, inner...), p.k), ": "...)
			if b, err = w.nested(b, p.v, inner); err != nil {
				return nil, err
			}
		}
		clear(w.pairs[from:to])
		w.pairs = w.pairs[:from]
		return append(append(b, indent...), '}'), nil
	case []any:
		if v == nil {
			return append(b, "null"...), nil
		}
		if len(v) == 0 {
			return append(b, "[]"...), nil
		}
		inner := deeper(indent)
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
	case float64:
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

// indents is a newline and as many spaces as deeper hands out without allocating.
const indents = "\n                                                                                "

// deeper is indent, a newline and spaces, two spaces deeper.
func deeper(indent string) string {
	if n := len(indent) + 2; n <= len(indents) {
		return indents[:n]
	}
	return indent + "  "
}

// valueCache holds the bytes of maps written, by the map's address, which stays the map's
// while the result being written holds it. It forgets everything when it holds more than
// valueCacheBytes: findings are sorted by file and line, so the findings that share a map
// (those of a namespace) mostly come one after the other.
type valueCache struct {
	at    map[unsafe.Pointer]span
	bytes []byte
}

// span is where a map's bytes are in the cache's bytes.
type span struct{ from, to int }

const valueCacheBytes = 256 << 10

func (c *valueCache) get(p unsafe.Pointer) ([]byte, bool) {
	s, ok := c.at[p]
	return c.bytes[s.from:s.to], ok
}

func (c *valueCache) put(p unsafe.Pointer, enc []byte) {
	if len(enc) > valueCacheBytes/4 {
		return
	}
	if c.at == nil {
		c.at = make(map[unsafe.Pointer]span)
		c.bytes = make([]byte, 0, valueCacheBytes)
	}
	if len(c.bytes)+len(enc) > valueCacheBytes {
		clear(c.at)
		c.bytes = c.bytes[:0]
	}
	c.at[p] = span{len(c.bytes), len(c.bytes) + len(enc)}
	c.bytes = append(c.bytes, enc...)
}

// write appends f.
func (w *findingWriter) write(b []byte, f *check.Finding) ([]byte, error) {
	b = append(b, '{')
	b = appendString(key(b, fieldIndent, "check"), f.Check)
	b = appendString(key(append(b, ','), fieldIndent, "severity"), f.Severity.String())
	b = appendString(key(append(b, ','), fieldIndent, "practice"), f.Practice)
	b = w.ref(key(append(b, ','), fieldIndent, "object"), f.Object, fieldIndent, objectIndent)
	if f.Cluster != "" {
		b = appendString(key(append(b, ','), fieldIndent, "cluster"), f.Cluster)
	}
	if f.File != "" {
		b = appendString(key(append(b, ','), fieldIndent, "file"), f.File)
	}
	if f.Line != 0 {
		b = strconv.AppendInt(key(append(b, ','), fieldIndent, "line"), int64(f.Line), 10)
	}
	if f.Path != "" {
		b = appendString(key(append(b, ','), fieldIndent, "path"), f.Path)
	}
	b = appendString(key(append(b, ','), fieldIndent, "message"), f.Message)
	if f.Remediation != "" {
		b = appendString(key(append(b, ','), fieldIndent, "remediation"), f.Remediation)
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
	return append(b, "\n    }"...), nil
}

// ref writes r as an object whose fields stand at inner and whose closing brace at outer.
func (w *findingWriter) ref(b []byte, r inventory.Ref, outer, inner string) []byte {
	b = appendString(key(append(b, '{'), inner, "apiVersion"), r.APIVersion)
	b = appendString(key(append(b, ','), inner, "kind"), r.Kind)
	b = appendString(key(append(b, ','), inner, "namespace"), r.Namespace)
	b = appendString(key(append(b, ','), inner, "name"), r.Name)
	return append(append(b, outer...), '}')
}

func key(b []byte, indent, name string) []byte {
	b = append(b, indent...)
	b = append(b, '"')
	b = append(b, name...)
	return append(b, `": `...)
}
