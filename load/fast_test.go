package load

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kubeharden/kubeharden/internal/gen"
	"github.com/kubeharden/kubeharden/inventory"
)

// sameAsGeneral checks that when the fast reader takes a document, it produces exactly what
// yaml.v3 and conv produce. It reports whether the fast reader took it.
func sameAsGeneral(t testing.TB, doc []byte) bool {
	t.Helper()
	var f fast
	if !f.object(doc, 0) {
		return false
	}
	var n yaml.Node
	if err := yaml.Unmarshal(doc, &n); err != nil {
		t.Fatalf("fast reader took what yaml.v3 rejects (%v):\n%s", err, doc)
	}
	if len(n.Content) != 1 || n.Content[0].Kind != yaml.MappingNode {
		t.Fatalf("fast reader took a document that is not a mapping:\n%s", doc)
	}
	var c conv
	c.reset(0, 4*len(doc)+jsonSlack)
	c.source(doc)
	if err := c.object(n.Content[0]); err != nil {
		t.Fatalf("fast reader took what conv rejects (%v):\n%s", err, doc)
	}
	if len(c.dups) > 0 {
		t.Fatalf("fast reader took duplicate keys:\n%s", doc)
	}
	if !bytes.Equal(f.buf, c.buf) {
		t.Fatalf("JSON differs for\n%s\nfast    %s\ngeneral %s", doc, f.buf, c.buf)
	}
	if !reflect.DeepEqual(f.ents, c.ents) {
		t.Fatalf("entries differ for\n%s\nfast    %v\ngeneral %v", doc, f.ents, c.ents)
	}
	if f.top != c.top || f.rootLine != n.Content[0].Line {
		t.Fatalf("top differs for\n%s\nfast    %+v line %d\ngeneral %+v line %d", doc, f.top, f.rootLine, c.top, n.Content[0].Line)
	}
	// Entries carry each field's path hash and line: equal entries mean equal line tables.
	for i := range f.ents {
		if p := entryPath(f.buf, f.ents, int32(i)); inventory.HashPath(p) != f.ents[i].hash {
			t.Fatalf("entry %d: hash is not that of %s", i, p)
		}
	}
	return true
}

func docsOf(data []byte) [][]byte {
	var out [][]byte
	split(data, func(chunk []byte, line int) {
		if len(bytes.TrimSpace(chunk)) > 0 && !multiDoc(chunk) {
			out = append(out, chunk)
		}
	})
	return out
}

func TestFastSameAsGeneral(t *testing.T) {
	var docs [][]byte
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, f := range files {
		data, _ := os.ReadFile(f)
		docs = append(docs, docsOf(data)...)
	}
	var b bytes.Buffer
	if err := gen.WriteYAML(&b, 300, 5); err != nil {
		t.Fatal(err)
	}
	generated := docsOf(b.Bytes())
	docs = append(docs, generated...)
	for _, s := range fastCases {
		docs = append(docs, []byte(s))
	}
	taken := 0
	for _, d := range docs {
		if sameAsGeneral(t, d) {
			taken++
		}
	}
	t.Logf("fast reader took %d of %d documents", taken, len(docs))
	// The generated cluster is written the way kubectl writes: all of it must go fast.
	for _, d := range generated {
		var f fast
		if !f.object(d, 0) {
			t.Fatalf("fast reader gave up on a generated document:\n%s", d)
		}
	}
}

// fastCases are documents at the edges of what the fast reader takes.
var fastCases = []string{
	"a: 1\nb: two\nc: 'three'\nd: \"four\"\ne:\nf: ~\ng: {}\nh: []\n",
	"a:\n- 1\n- x\n- 'y'\nb:\n  - 1\n  - 2\nc: 3\n",
	"a:\n- name: x\n  image: y\n- name: z\n  env:\n  - name: A\n    value: b\n",
	"a:   spaced   \nb: value # comment\nc: value#not\nd: 'it''s'\ne: \"tab\\there \\\"q\\\" \\\\ \\u00e9 \\x41 \\U0001F600\"\n",
	"# comment\na: 1 # c\n  # indented comment\nb:\n  # comment\n  c: 2\n# end\n",
	"script: |\n  #!/bin/sh\n  echo hi\n\n  echo  there  \nnext: 1\n",
	"script: |-\n  line1\n  line2\n\n\nnext: 1\n",
	"script: |\n\n  after blank\nnext: |\n    deeper\n      more\n",
	"items:\n- |\n  in a list\n- |-\n  stripped\nx: 1\n",
	"  indented: root\n  second: 2\n",
	"a: yes\nb: no\nc: on\nd: 0777\ne: 1e3\nf: 1.0\ng: 2001-01-01\nh: 0x1f\ni: -1\nj: +1\nk: .5\n",
	"a: http://x/y?z=1\nb: a:b\nc: '#not comment'\nd: [not, flow]\ne: x, y\n",
	"a:\n  b:\n    c:\n      d: deep\n  e: back\n",
	"a: 1\na: 2\n",
	"a: b: c\n",
	"a: |+\n  keep\n\n",
	"a: >\n  folded\n",
	"a: &x 1\nb: *x\n",
	"a: !!str 1\n",
	"a: 'multi\n  line'\n",
	"a: multi\n  line plain\n",
	"a:\n  - x\n -y\n",
	"- a\n- b\n",
	"on: x\n",
	"\"quoted key\": 1\n'single': 2\n",
	"a:\n-\n  b: 1\n",
	"a: - b\n",
	"a: .inf\n",
	"a:\n    b: 1\n  c: 2\n",
	"a: |\n  x\n b: 1\n",
	"a: |\n   \n  x\n",
	"a: \"\\q\"\n",
	"a: 'x' y\n",
	"key: [1, 2]\n",
	"key: {a: 1}\n",
	"? complex\n: value\n",
	"a: 1\n---\nb: 2\n",
	"a: é\nb: \"ü\"\n",
}

// FuzzFast compares the fast reader with yaml.v3 and conv on arbitrary documents.
func FuzzFast(f *testing.F) {
	for _, s := range fastCases {
		f.Add([]byte(s))
	}
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, file := range files {
		data, _ := os.ReadFile(file)
		for _, d := range docsOf(data) {
			f.Add(d)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !bytes.Contains(data, []byte("\n---")) && !strings.HasPrefix(string(data), "---") {
			sameAsGeneral(t, data)
		}
	})
}
