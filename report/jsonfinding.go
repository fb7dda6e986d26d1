package report

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/kubeharden/kubeharden/check"
)

// findingWriter writes one finding as an item of the JSON report's findings list: the bytes
// encoding/json writes for it with the report's indentation (newEncoder with the prefix
// "    "), without the trailing newline. At 100,000 findings reflection and the indenting
// pass cost seconds; this writes the fields in place, and leaves fixes, and strings that need
// escaping, to encoding/json (TestFindingWriterEqualsEncoder).
type findingWriter struct {
	b       []byte
	scratch bytes.Buffer
	enc     *json.Encoder
}

func newFindingWriter() *findingWriter {
	w := &findingWriter{}
	// Fixes are a field of a finding, itself an item of the findings list.
	w.enc = newEncoder(&w.scratch, "      ")
	return w
}

// The indentation of a finding's fields and of its object's fields.
const (
	fieldIndent  = "\n      "
	objectIndent = "\n        "
)

// write renders f; the bytes are valid until the next call.
func (w *findingWriter) write(f *check.Finding) ([]byte, error) {
	b := append(w.b[:0], '{')
	b = w.str(key(b, fieldIndent, "check"), f.Check)
	b = w.str(key(append(b, ','), fieldIndent, "severity"), f.Severity.String())
	b = w.str(key(append(b, ','), fieldIndent, "practice"), f.Practice)
	b = append(key(append(b, ','), fieldIndent, "object"), '{')
	b = w.str(key(b, objectIndent, "apiVersion"), f.Object.APIVersion)
	b = w.str(key(append(b, ','), objectIndent, "kind"), f.Object.Kind)
	b = w.str(key(append(b, ','), objectIndent, "namespace"), f.Object.Namespace)
	b = w.str(key(append(b, ','), objectIndent, "name"), f.Object.Name)
	b = append(append(b, fieldIndent...), '}')
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
		w.scratch.Reset()
		if err := w.enc.Encode(f.Fixes); err != nil {
			return nil, err
		}
		b = append(key(append(b, ','), fieldIndent, "fixes"), bytes.TrimSuffix(w.scratch.Bytes(), []byte("\n"))...)
	}
	if f.Rendered {
		b = append(key(append(b, ','), fieldIndent, "rendered"), "true"...)
	}
	b = append(b, "\n    }"...)
	w.b = b
	return b, nil
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
