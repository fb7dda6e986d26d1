package fix

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kubeharden/kubeharden/check"
	_ "github.com/kubeharden/kubeharden/checks/all"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
)

// seeds are the loader's fuzz seeds (its fixtures and its fuzz corpus) and fix's own fixtures.
func seeds(f *testing.F) {
	for _, root := range []string{filepath.Join("..", "load", "testdata"), filepath.Join("testdata", "golden", "in"), filepath.Join("..", "examples", "insecure")} {
		filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return nil
			}
			if bytes.HasPrefix(data, []byte("go test fuzz v1\n")) {
				data = corpusValue(data)
			}
			if data != nil {
				f.Add(data)
			}
			return nil
		})
	}
}

// corpusValue reads the []byte value of a Go fuzz corpus file.
func corpusValue(b []byte) []byte {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		l := sc.Text()
		if v, ok := strings.CutPrefix(l, "[]byte("); ok {
			if s, err := strconv.Unquote(strings.TrimSuffix(v, ")")); err == nil {
				return []byte(s)
			}
		}
	}
	return nil
}

// FuzzFix edits whatever the loader reads: the fixes the checks suggest, and edits of every
// kind on every object. It must never panic, its output must parse, keep every object, and
// carry each edit it did not refuse.
func FuzzFix(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, _ := load.Decode("in.yaml", data)
		if len(objs) == 0 {
			return
		}
		start := time.Now()
		inv := inventory.Build(objs)
		res := scan.Run(inv, scan.Options{Now: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)})
		read := func(name string) ([]byte, error) {
			if name == "in.yaml" {
				return data, nil
			}
			return nil, os.ErrNotExist
		}
		plan := Plan(inv, res.Findings, Options{Read: read})
		for _, c := range plan.Changes {
			if c.Path == "in.yaml" {
				mustParse(t, "fixes", c.New, len(objs))
			} else {
				mustParse(t, "new file", c.New, -1)
			}
		}

		// Edits of every kind, on every object.
		fl, err := parseFile("in.yaml", data)
		if err != nil {
			return
		}
		var applied []*inventory.Object
		for _, o := range objs {
			root := fl.locate(o)
			if root == nil {
				continue
			}
			ok := true
			for _, e := range []check.Edit{
				{Op: check.SetField, Path: "metadata.labels.fuzz.kubeharden.io/mark", Value: "x y"},
				{Op: check.SetField, Path: "spec.template.spec.securityContext.runAsNonRoot", Value: true},
				{Op: check.AppendItem, Path: "spec.template.spec.containers[0].securityContext.capabilities.drop", Value: "ALL"},
				{Op: check.SetField, Path: "spec.template.spec.containers[0].resources.limits.memory", Value: "1Gi"},
				{Op: check.RemoveField, Path: "spec.replicas"},
				{Op: check.SetField, Path: "apiVersion", Value: o.APIVersion},
			} {
				if err := fl.edit(root, e); err != nil && e.Path == "metadata.labels.fuzz.kubeharden.io/mark" {
					ok = false
				}
			}
			if ok {
				applied = append(applied, o)
			}
		}
		if err := fl.flush(); err != nil {
			return
		}
		out, err := fl.apply()
		if err != nil {
			return
		}
		got := mustParse(t, "edits", out, len(objs))
		byRef := map[inventory.Ref]*inventory.Object{}
		for _, o := range got {
			byRef[o.Ref] = o
		}
		for _, o := range applied {
			if g := byRef[o.Ref]; g != nil && g.Labels()["fuzz.kubeharden.io/mark"] != "x y" {
				t.Errorf("%s: label not set after an accepted edit:\n%s", o.Ref, out)
			}
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("fix took %v for %d bytes", d, len(data))
		}
	})
}

// mustParse fails unless b parses as YAML documents and, when objects ≥ 0, the loader reads
// that many objects from it.
func mustParse(t *testing.T, what string, b []byte, objects int) []*inventory.Object {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for {
		var n yaml.Node
		err := parseDoc(dec, &n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: output does not parse: %v\n%s", what, err, b)
		}
	}
	objs, errs := load.Decode("out.yaml", b)
	if objects >= 0 && len(objs) != objects {
		t.Fatalf("%s: %d objects read back, want %d\n%s\nerrors: %v", what, len(objs), objects, b, errs)
	}
	return objs
}
