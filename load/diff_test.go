package load

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	yaml "go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"
)

// toJSON converts one YAML document the way the loader does.
func toJSON(doc []byte) ([]byte, error) {
	var n yaml.Node
	if err := yaml.Unmarshal(doc, &n); err != nil {
		return nil, err
	}
	var c conv
	c.reset(0, 4*len(doc)+jsonSlack)
	c.src = doc
	if err := c.value(&n, 0, -1); err != nil {
		return nil, err
	}
	if len(c.dups) > 0 {
		// Reported as errors; and sigs.k8s.io/yaml keeps one of keys like 0 and 0.0 (both
		// "0" in JSON) at random.
		return nil, &c.dups[0]
	}
	return c.buf, nil
}

// sameAsKubectl reports whether the loader's JSON for doc means the same as
// sigs.k8s.io/yaml's (what kubectl sends), when both can convert it.
func sameAsKubectl(t testing.TB, doc []byte) {
	t.Helper()
	want, err := sigsyaml.YAMLToJSON(doc)
	if err != nil {
		return
	}
	got, err := toJSON(doc)
	if err != nil {
		return
	}
	var w, g any
	dw := json.NewDecoder(bytes.NewReader(want))
	dw.UseNumber()
	dg := json.NewDecoder(bytes.NewReader(got))
	dg.UseNumber()
	if dw.Decode(&w) != nil || dg.Decode(&g) != nil {
		t.Fatalf("%q: invalid JSON: kubectl %s, loader %s", doc, want, got)
	}
	if !reflect.DeepEqual(w, g) {
		t.Errorf("%q:\n kubectl %s\n loader  %s", doc, want, got)
	}
}

func TestYAMLToJSONMatchesKubectl(t *testing.T) {
	for _, doc := range []string{
		"a: yes\nb: no\nc: on\nd: off\ne: y\nf: N\ng: True\nh: ~\ni: null\nj:\n",
		"a: 0777\nb: 0x1F\nc: 0o17\nd: 1_000\ne: -0b101\nf: 0b11\ng: +12\nh: 08\ni: 9223372036854775808\nj: -9223372036854775809\n",
		"a: 1.0\nb: 1e3\nc: .5\nd: -1.5e-7\ne: 1e21\nf: 123456789012345678901234\ng: 1.\nh: 6.02e+23\n",
		"a: 2001-12-14\nb: 2001-12-14t21:59:43.10-05:00\nc: !!timestamp 2001-12-14\nd: 2001-12-14 21:59:43.10\n",
		"a: '1'\nb: \"true\"\nc: |\n  x\n  y\nd: >\n  folded\n  text\ne: !!str 12\nf: !!int \"12\"\ng: !!float 1\n",
		"1: a\n1.5: b\ntrue: c\nyes: d\non: e\n2001-01-01: f\n0x10: g\n",
		"base: &b\n  x: 1\n  y: 2\nderived:\n  <<: *b\n  y: 3\nmulti:\n  <<: [*b, {z: 1, x: 9}]\n",
		"first:\n  x: 0\n  <<: {x: 1}\n",
		"a: &x [1, 2]\nb: *x\nc: {k: *x}\n",
		"a: \"tab\\there\\u0001\"\nb: 'quote '' and \" slash \\'\nc: \"\\xff\\u2028\"\n",
		"a: !!binary aGVsbG8=\nb: !custom value\nc: !!map {x: 1}\n",
		"a:\n- 1\n- - 2\n  - 3\n- {b: [4, {c: 5}]}\n",
		"{\"a\": 1, \"b\": [true, null, \"x\"]}",
		"a: .inf\n",
		"a: 1\na: 2\n",
		"<<: {a: 1}\n\"<<\": 2\n",
		"a: -\nb: .\nc: +\nd: 1e\ne: 0x\nf: 1__0\ng: _1\n",
		"a: 1:20\nb: 12:30:45\nc: 0.1.2\nd: 1e400\n",
	} {
		sameAsKubectl(t, []byte(doc))
	}
}
