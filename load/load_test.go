package load

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/inventory"
)

// Fixtures state what they expect on the line it concerns:
//
//	apiVersion: v1   # object: ConfigMap/name   (an object starts here)
//	bad: line        # error: message prefix    (an Error on this line)
var wantRE = regexp.MustCompile(`#\s*(object|error):\s*(.*?)\s*$`)

type want struct {
	line       int
	kind, text string
}

func readWants(t *testing.T, path string) []want {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var ws []want
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if m := wantRE.FindStringSubmatch(sc.Text()); m != nil {
			ws = append(ws, want{line, m[1], m[2]})
		}
	}
	return ws
}

// TestFixtures loads every testdata/*.yaml and compares the objects and errors with what
// the fixture's comments expect: nothing missing, nothing extra.
func TestFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.yaml")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			objs, errs := Decode(file, data)
			checkWants(t, file, readWants(t, file), objs, errs)
		})
	}
}

func checkWants(t *testing.T, file string, wants []want, objs []*inventory.Object, errs []inventory.Error) {
	t.Helper()
	var got []string
	for _, o := range objs {
		if o.Source.File != file {
			t.Errorf("object %s has file %q, want %q", o.Ref, o.Source.File, file)
		}
		got = append(got, fmt.Sprintf("%d object %s/%s", o.Source.Line, o.Kind, o.Name))
	}
	for _, e := range errs {
		if e.File != file {
			t.Errorf("error %v has file %q, want %q", e, e.File, file)
		}
		got = append(got, fmt.Sprintf("%d error %s", e.Line, e.Message))
	}
	matched := make([]bool, len(got))
	for _, w := range wants {
		prefix := fmt.Sprintf("%d %s %s", w.line, w.kind, w.text)
		found := false
		for i, g := range got {
			if !matched[i] && strings.HasPrefix(g, prefix) {
				matched[i], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("%s:%d: missing %s %q", file, w.line, w.kind, w.text)
		}
	}
	for i, g := range got {
		if !matched[i] {
			t.Errorf("%s: unexpected %s", file, g)
		}
	}
}

func decodeFile(t *testing.T, path string) ([]*inventory.Object, []inventory.Error) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return Decode(path, data)
}

func find(objs []*inventory.Object, kind, name string) *inventory.Object {
	for _, o := range objs {
		if o.Kind == kind && o.Name == name {
			return o
		}
	}
	return nil
}

// lineOf is the 1-based line of the first line of file containing s.
func lineOf(t *testing.T, path, s string, nth int) int {
	t.Helper()
	data, _ := os.ReadFile(path)
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, s) {
			if nth == 0 {
				return i + 1
			}
			nth--
		}
	}
	t.Fatalf("%s: no line with %q", path, s)
	return 0
}
