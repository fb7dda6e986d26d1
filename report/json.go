package report

import (
	"bytes"
	"encoding/json"
	"io"

	"sigs.k8s.io/yaml"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/scan"
)

// writeJSON writes the result in the JSON shape that DESIGN.md fixes as a contract; the tags
// on scan.Result, check.Finding and check.Error define it.
func writeJSON(w io.Writer, r *scan.Result, _ Options) error {
	b, err := marshalJSON(r)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// writeYAML writes the same structure as JSON, converted so the two never drift apart.
func writeYAML(w io.Writer, r *scan.Result, _ Options) error {
	b, err := marshalJSON(r)
	if err != nil {
		return err
	}
	y, err := yaml.JSONToYAML(b)
	if err != nil {
		return err
	}
	_, err = w.Write(y)
	return err
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
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	// Messages quote YAML and shell snippets: keep <, > and & readable.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&out); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
