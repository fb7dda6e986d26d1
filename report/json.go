package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	goyaml "go.yaml.in/yaml/v2"
	"sigs.k8s.io/yaml"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/scan"
)

// writeJSON writes the result in the JSON shape that DESIGN.md fixes as a contract; the tags
// on scan.Result, check.Finding and check.Error define it. Findings are encoded one at a
// time, so a large result never exists twice in memory as one document; the bytes are those
// of encoding the whole result at once (TestStreamedEqualsWhole).
func writeJSON(w io.Writer, r *scan.Result, _ Options) error {
	head, tail, err := splitFindings(r, marshalJSON, `"findings": [`)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(head)
	if err := writeFindings(bw, r.Findings); err != nil {
		return err
	}
	if len(r.Findings) > 0 {
		bw.WriteString("\n  ")
	}
	bw.Write(tail)
	return bw.Flush()
}

// writeYAML writes the same structure as JSON, converted so the two never drift apart, and
// streamed the same way. Each finding is converted as the only item of a findings list, so
// that it is indented, and long lines fold, exactly as in the whole document
// (TestStreamedEqualsWhole).
func writeYAML(w io.Writer, r *scan.Result, _ Options) error {
	head, tail, err := splitFindings(r, func(r *scan.Result) ([]byte, error) {
		b, err := marshalJSON(r)
		if err != nil {
			return nil, err
		}
		return yaml.JSONToYAML(b)
	}, "\nfindings:")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(head)
	if len(r.Findings) > 0 {
		bw.WriteByte('\n')
		// The items replace the empty list.
		tail = bytes.TrimPrefix(tail, []byte(" []\n"))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for i := range r.Findings {
		buf.Reset()
		if err := enc.Encode(&r.Findings[i]); err != nil {
			return err
		}
		item, err := yamlItem(buf.Bytes())
		if err != nil {
			return err
		}
		y, err := goyaml.Marshal(map[string]any{"findings": []any{item}})
		if err != nil {
			return err
		}
		bw.Write(bytes.TrimPrefix(y, []byte("findings:\n")))
	}
	bw.Write(tail)
	return bw.Flush()
}

// yamlItem decodes a finding's JSON into the generic values that yaml.JSONToYAML would
// have made of it (its YAML parser is much slower than encoding/json): integers stay
// integers.
func yamlItem(j []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return numbers(v), nil
}

func numbers(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = numbers(e)
		}
	case []any:
		for i, e := range v {
			v[i] = numbers(e)
		}
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n
		}
		f, _ := v.Float64()
		return f
	}
	return v
}

// splitFindings renders r without its findings and cuts the document where the (empty)
// findings list begins: head ends with marker, tail is the rest, starting with the
// empty list's closing (JSON) or the empty list itself (YAML).
func splitFindings(r *scan.Result, render func(*scan.Result) ([]byte, error), marker string) (head, tail []byte, err error) {
	empty := *r
	empty.Findings = nil
	doc, err := render(&empty)
	if err != nil {
		return nil, nil, err
	}
	var found bool
	head, tail, found = bytes.Cut(doc, []byte(marker))
	if !found {
		return nil, nil, fmt.Errorf("report: no %q in the rendered result", marker)
	}
	return append(head, marker...), tail, nil
}

// marshalJSON indents by two spaces and writes empty lists and maps as [] and {}, never null,
// so that consumers can iterate without checking.
func marshalJSON(r *scan.Result) ([]byte, error) {
	out := *r
	if out.Findings == nil {
		out.Findings = []check.Finding{}
	}
	if out.Errors == nil {
		out.Errors = []check.Error{}
	}
	if out.Summary.BySeverity == nil {
		out.Summary.BySeverity = map[string]int{}
	}
	var buf bytes.Buffer
	if err := newEncoder(&buf, "").Encode(&out); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// newEncoder indents by two spaces after prefix and leaves <, > and & as they are: messages
// quote YAML and shell snippets.
func newEncoder(w io.Writer, prefix string) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetIndent(prefix, "  ")
	enc.SetEscapeHTML(false)
	return enc
}
