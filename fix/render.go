package fix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// normalize turns a Go value of an edit into JSON-like values (map[string]any, []any,
// string, bool, json.Number, nil), as the API server would read it.
func normalize(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	return out, nil
}

// omap is a mapping whose keys keep the order they were added in: the order of a check's
// edits, which is the order that reads best.
type omap struct {
	keys []string
	vals map[string]any
}

func newOmap() *omap { return &omap{vals: map[string]any{}} }

// MarshalJSON writes the mapping in its order.
func (m *omap) MarshalJSON() ([]byte, error) { return []byte(jsonFlow(m)), nil }

func (m *omap) set(k string, v any) {
	if _, ok := m.vals[k]; !ok {
		m.keys = append(m.keys, k)
	}
	m.vals[k] = v
}

// keyRank orders the keys of a new mapping as Kubernetes documentation writes them.
var keyRank = map[string]int{
	"apiVersion": -20, "kind": -19, "metadata": -18, "spec": -17, "type": -16, "data": -15,
	"name": -14, "namespace": -13, "labels": -12, "podSelector": -11, "policyTypes": -10,
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		ri, rj := keyRank[keys[i]], keyRank[keys[j]]
		if ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	return keys
}

// entries lists a mapping value's keys and values in output order.
func entries(v any) ([]string, func(string) any, bool) {
	switch m := v.(type) {
	case *omap:
		return m.keys, func(k string) any { return m.vals[k] }, true
	case map[string]any:
		return sortedKeys(m), func(k string) any { return m[k] }, true
	}
	return nil, nil, false
}

// style is how the file being edited indents: the step of a nested mapping, and whether a
// list under a key is indented ("key:\n  - a") or not ("key:\n- a").
type style struct {
	step     int
	seqIndet bool
}

// scalar renders a scalar as YAML: plain where that reads back as the same value, else
// double-quoted.
func scalar(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		if x {
			return "true"
		}
		return "false"
	case json.Number:
		return x.String()
	case string:
		return quoteString(x)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func quoteString(s string) string {
	if s != "" && !strings.ContainsAny(s, "\n\r\t") {
		if out, err := yaml.Marshal(s); err == nil {
			t := strings.TrimSuffix(string(out), "\n")
			if !strings.Contains(t, "\n") && !strings.HasPrefix(t, "'") && !strings.HasPrefix(t, "\"") && !strings.HasPrefix(t, "|") && !strings.HasPrefix(t, ">") && kubectlPlainSafe(t) {
				return t
			}
		}
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// kubectlPlainSafe rejects plain strings that YAML 1.1 (which kubectl reads) takes for
// something else: yes, no, on, off and their spellings, and numbers with underscores.
func kubectlPlainSafe(s string) bool {
	switch strings.ToLower(s) {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~":
		return false
	}
	if strings.ContainsAny(s, "_") && strings.Trim(s, "0123456789_.+-") == "" {
		return false
	}
	return true
}

// isCollection says whether v renders as a nested block (a non-empty mapping or list).
func isCollection(v any) bool {
	if keys, _, ok := entries(v); ok {
		return len(keys) > 0
	}
	if l, ok := v.([]any); ok {
		return len(l) > 0
	}
	return false
}

// block renders v, a mapping, as block YAML lines indented by ind spaces.
func (st style) block(b *strings.Builder, v any, ind int) {
	keys, get, ok := entries(v)
	if !ok {
		return
	}
	pad := strings.Repeat(" ", ind)
	for _, k := range keys {
		b.WriteString(pad)
		b.WriteString(quoteString(k))
		b.WriteString(":")
		st.value(b, get(k), ind)
	}
}

// value renders the value of a key whose line is indented by ind, starting right after the
// colon.
func (st style) value(b *strings.Builder, v any, ind int) {
	switch {
	case !isCollection(v):
		b.WriteString(" ")
		b.WriteString(flow(v))
		b.WriteString("\n")
	case isList(v):
		b.WriteString("\n")
		in := ind
		if st.seqIndet {
			in += st.step
		}
		st.list(b, v.([]any), in)
	default:
		b.WriteString("\n")
		st.block(b, v, ind+st.step)
	}
}

func isList(v any) bool { _, ok := v.([]any); return ok }

// list renders list items with their dashes indented by ind spaces.
func (st style) list(b *strings.Builder, items []any, ind int) {
	pad := strings.Repeat(" ", ind)
	for _, it := range items {
		b.WriteString(pad)
		b.WriteString("-")
		st.item(b, it, ind)
	}
}

// item renders one list item after its dash, the dash being indented by ind spaces.
func (st style) item(b *strings.Builder, it any, ind int) {
	keys, get, ok := entries(it)
	if !ok || len(keys) == 0 {
		if l, isl := it.([]any); isl && len(l) > 0 {
			b.WriteString("\n")
			st.list(b, l, ind+2)
			return
		}
		b.WriteString(" ")
		b.WriteString(flow(it))
		b.WriteString("\n")
		return
	}
	for i, k := range keys {
		if i == 0 {
			b.WriteString(" ")
		} else {
			b.WriteString(strings.Repeat(" ", ind+2))
		}
		b.WriteString(quoteString(k))
		b.WriteString(":")
		st.value(b, get(k), ind+2)
	}
}

// flow renders v on one line: scalars as scalar does, collections in flow style.
func flow(v any) string {
	if keys, get, ok := entries(v); ok {
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = quoteString(k) + ": " + flow(get(k))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	if l, ok := v.([]any); ok {
		parts := make([]string, len(l))
		for i, x := range l {
			parts[i] = flow(x)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return scalar(v)
}

// jsonFlow renders v as JSON, for edits inside JSON files and flow collections whose keys
// are quoted.
func jsonFlow(v any) string {
	if m, ok := v.(*omap); ok {
		parts := make([]string, len(m.keys))
		for i, k := range m.keys {
			kb, _ := json.Marshal(k)
			parts[i] = string(kb) + ": " + jsonFlow(m.vals[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
