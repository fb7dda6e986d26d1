package load

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// This file maps an error from decoding an object's JSON back to the field, and so the line,
// that caused it.

// entryPath renders the path of entry i ("spec.containers[0].image").
func entryPath(buf []byte, ents []entry, i int32) string {
	var chain []int32
	for ; i >= 0; i = ents[i].parent {
		chain = append(chain, i)
	}
	var b strings.Builder
	for j := len(chain) - 1; j >= 0; j-- {
		e := ents[chain[j]]
		if e.index >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(int(e.index)))
			b.WriteByte(']')
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(keyString(buf[e.keyStart:e.keyEnd], true))
	}
	return b.String()
}

// innermost finds the entry whose value holds JSON offset off: the one that starts last
// before it and has not ended. encoding/json reports a type error at the end of a scalar or
// just inside an object or list, so both ends count.
func innermost(ents []entry, off int) int32 {
	best := int32(-1)
	for i := range ents {
		e := &ents[i]
		if int(e.start) >= off {
			break // entries are in document order
		}
		if off <= int(e.end) {
			best = int32(i)
		}
	}
	return best
}

// typeName says in words what a Go type expects in JSON.
func typeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
		return "base64 string"
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice, reflect.Array:
		return "list"
	}
	return t.String()
}

// valueName turns encoding/json's description of a JSON value ("number 1.5", "array") into
// words, without the value itself: it may be a secret.
func valueName(v string) string {
	v, _, _ = strings.Cut(v, " ")
	switch v {
	case "array":
		return "list"
	case "bool":
		return "boolean"
	}
	return v
}

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// locateCustom finds the field whose value made a type's own UnmarshalJSON (quantities,
// times, int-or-string) or base64 decoding fail, by resolving the Go type of every field
// along its path and decoding the field's bytes alone. It runs only after such a failure.
func locateCustom(root reflect.Type, buf []byte, ents []entry, target error) int32 {
	types := make([]reflect.Type, len(ents))
	var b64 base64.CorruptInputError
	isB64 := errors.As(target, &b64)
	for i := range ents {
		e := &ents[i]
		parent := root
		if e.parent >= 0 {
			parent = types[e.parent]
		}
		if parent == nil {
			continue
		}
		var t reflect.Type
		if e.index >= 0 {
			t = elemType(parent)
		} else {
			t = fieldType(parent, keyString(buf[e.keyStart:e.keyEnd], true))
		}
		types[i] = t
		if t == nil {
			continue
		}
		raw := buf[e.start:e.end]
		if isB64 {
			if u := deref(t); u.Kind() == reflect.Slice && u.Elem().Kind() == reflect.Uint8 {
				var bs []byte
				if err := json.Unmarshal(raw, &bs); err != nil && err.Error() == target.Error() {
					return int32(i)
				}
			}
			continue
		}
		if reflect.PointerTo(deref(t)).Implements(unmarshalerType) {
			v := reflect.New(deref(t)).Interface().(json.Unmarshaler)
			if err := v.UnmarshalJSON(raw); err != nil && err.Error() == target.Error() {
				return int32(i)
			}
		}
	}
	return -1
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func elemType(t reflect.Type) reflect.Type {
	switch t = deref(t); t.Kind() {
	case reflect.Slice, reflect.Array:
		return t.Elem()
	}
	return nil
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// fieldType is the type of the struct field (or map value) that JSON key k decodes into,
// following encoding/json's rules for tags and embedded structs.
func fieldType(t reflect.Type, k string) reflect.Type {
	t = deref(t)
	switch t.Kind() {
	case reflect.Map:
		return t.Elem()
	case reflect.Struct:
	default:
		return nil
	}
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)[k]
	}
	m := map[string]reflect.Type{}
	addFields(m, t, 0)
	fieldCache.Store(t, m)
	return m[k]
}

func addFields(m map[string]reflect.Type, t reflect.Type, depth int) {
	if depth > 10 {
		return
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && deref(f.Type).Kind() == reflect.Struct {
			addFields(m, deref(f.Type), depth+1)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, dup := m[name]; !dup || depth == 0 {
			m[name] = f.Type
		}
	}
}
