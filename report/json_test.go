package report

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/scan"
)

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return m
}

// TestJSONContract checks the shape DESIGN.md fixes for `scan -o json`, key by key.
func TestJSONContract(t *testing.T) {
	out := render(t, fixture(), Options{Format: "json"})
	if !strings.HasPrefix(out, "{\n  \"findings\": [\n    {\n      \"check\": ") || !strings.HasSuffix(out, "}\n") {
		t.Errorf("not indented by two spaces, findings first:\n%.200s", out)
	}
	m := decode(t, out)
	if got := keys(m); !reflect.DeepEqual(got, []string{"errors", "findings", "summary"}) {
		t.Fatalf("top-level keys = %v", got)
	}
	fs := m["findings"].([]any)
	if len(fs) != 8 {
		t.Fatalf("%d findings, want all 8 (suppressed included)", len(fs))
	}
	byMsg := map[string]map[string]any{}
	for _, f := range fs {
		f := f.(map[string]any)
		byMsg[f["message"].(string)] = f
	}
	file := byMsg[`container "api" runs privileged`]
	want := map[string]any{
		"check": "podsecurity/privileged", "severity": "critical", "practice": "podsecurity",
		"object": map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "namespace": "shop", "name": "api"},
		"file":   "deploy/api.yaml", "line": 23.0, "path": "spec.template.spec.containers[0].securityContext.privileged",
		"message": `container "api" runs privileged`, "remediation": "Set securityContext.privileged to false.",
		"suppressed": false,
	}
	if !reflect.DeepEqual(file, want) {
		t.Errorf("file finding =\n%v\nwant\n%v", file, want)
	}
	// A live object has no file or line; the object identifies it (namespace "" when cluster-scoped).
	live := byMsg["namespace shop has no default-deny NetworkPolicy"]
	if got := keys(live); !reflect.DeepEqual(got, []string{"check", "message", "object", "practice", "severity", "suppressed"}) {
		t.Errorf("live finding keys = %v", got)
	}
	if obj := live["object"].(map[string]any); obj["namespace"] != "" || obj["kind"] != "Namespace" || obj["name"] != "shop" {
		t.Errorf("live object = %v", obj)
	}
	if byMsg["rule 0 grants every verb"]["suppressed"] != true || byMsg["image nginx:latest has no digest"]["suppressed"] != true {
		t.Error("suppressed findings not marked")
	}
	s := m["summary"].(map[string]any)
	for k, v := range map[string]any{"objects": 12.0, "findings": 6.0, "score": 29.0, "suppressed": 2.0, "expiredExceptions": 1.0} {
		if s[k] != v {
			t.Errorf("summary.%s = %v, want %v", k, s[k], v)
		}
	}
	if !reflect.DeepEqual(s["bySeverity"], map[string]any{"critical": 2.0, "high": 1.0, "medium": 2.0, "low": 1.0}) {
		t.Errorf("bySeverity = %v", s["bySeverity"])
	}
	errs := m["errors"].([]any)
	if !reflect.DeepEqual(errs[0], map[string]any{"file": "deploy/bad.yaml", "line": 3.0, "message": "yaml: mapping values are not allowed in this context"}) ||
		!reflect.DeepEqual(errs[1], map[string]any{"resource": "shop/Secret/db", "message": "secrets is forbidden: cannot list"}) {
		t.Errorf("errors = %v", errs)
	}
	if strings.Contains(out, `\u003c`) || strings.Contains(out, "Suppression") {
		t.Error("HTML-escaped or internal fields in the JSON")
	}

	// It reads back into the same result.
	var back scan.Result
	if err := json.Unmarshal([]byte(out), &back); err != nil {
		t.Fatal(err)
	}
	orig := fixture()
	for i := range orig.Findings {
		orig.Findings[i].Suppression = nil
	}
	if !reflect.DeepEqual(back.Findings, orig.Findings) || !reflect.DeepEqual(back.Errors, orig.Errors) ||
		!reflect.DeepEqual(back.Summary, orig.Summary) {
		t.Errorf("round trip differs:\n%+v\nwant\n%+v", back, orig)
	}
}

// TestJSONEmpty: no findings and no errors are [] (and no counts {}), never null.
func TestJSONEmpty(t *testing.T) {
	out := render(t, &scan.Result{}, Options{Format: "json"})
	for _, want := range []string{`"findings": []`, `"errors": []`, `"bySeverity": {}`} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s in\n%s", want, out)
		}
	}
	if strings.Contains(out, "null") {
		t.Errorf("null in\n%s", out)
	}
}

func TestYAMLMatchesJSON(t *testing.T) {
	for _, r := range []*scan.Result{fixture(), {}} {
		y := render(t, r, Options{Format: "yaml"})
		j := render(t, r, Options{Format: "json"})
		fromYAML, err := yaml.YAMLToJSON([]byte(y))
		if err != nil {
			t.Fatalf("not YAML: %v\n%s", err, y)
		}
		var a, b any
		if err := json.Unmarshal(fromYAML, &a); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(j), &b); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("YAML and JSON differ:\n%s\n---\n%s", y, j)
		}
	}
	y := render(t, fixture(), Options{Format: "yaml"})
	for _, want := range []string{"findings:\n- check: ", "  severity: critical\n", "errors:\n- file: deploy/bad.yaml\n", "summary:\n"} {
		if !strings.Contains(y, want) {
			t.Errorf("YAML lacks %q:\n%s", want, y)
		}
	}
	if e := render(t, &scan.Result{}, Options{Format: "yaml"}); !strings.Contains(e, "findings: []") {
		t.Errorf("empty YAML has no empty findings list:\n%s", e)
	}
}

// TestStreamedEqualsWhole: JSON and YAML, written finding by finding, are byte for byte the
// documents that encoding the whole result at once gives, for empty, small and awkward
// results (multi-line, long, quoted and non-ASCII messages, HTML characters, no errors).
func TestStreamedEqualsWhole(t *testing.T) {
	awkward := fixture()
	awkward.Errors = nil
	awkward.Findings = append(awkward.Findings,
		check.Finding{Check: "x/multi", Severity: check.Info, Practice: "x", Object: api,
			Message: "line one\nline two: with colon\n  indented\n- dash\n", Remediation: "a <b> & c"},
		check.Finding{Check: "x/long", Severity: check.Low, Practice: "x", Object: web,
			Message: strings.Repeat("a long message with many words ", 20) + `"quoted" 'single' {braces} [brackets] #hash: ü ✓ \backslash`},
		check.Finding{Check: "x/odd", Severity: check.Low, Practice: "x", Object: debug, Message: "- looks like a list", Path: "null"},
		check.Finding{Check: "x/empty-message", Severity: check.Low, Practice: "x", Object: inventory.Ref{}},
	)
	one := fixture()
	one.Findings = one.Findings[:1]
	for name, r := range map[string]*scan.Result{"fixture": fixture(), "awkward": awkward, "one": one, "empty": {}} {
		whole, err := marshalJSON(r)
		if err != nil {
			t.Fatal(err)
		}
		if got := render(t, r, Options{Format: "json"}); got != string(whole) {
			t.Errorf("%s: streamed JSON differs from the whole document:\n%s\n---\n%s", name, got, whole)
		}
		wholeYAML, err := yaml.JSONToYAML(whole)
		if err != nil {
			t.Fatal(err)
		}
		if got := render(t, r, Options{Format: "yaml"}); got != string(wholeYAML) {
			t.Errorf("%s: streamed YAML differs from the whole document:\n%s\n---\n%s", name, got, wholeYAML)
		}
	}
}
