package load

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// FuzzDecode feeds the loader arbitrary bytes: it must never panic, every error and object
// must point at a line of the input, and a single YAML document must convert to the same
// JSON as kubectl's converter whenever both accept it.
func FuzzDecode(f *testing.F) {
	filepath.WalkDir("testdata", func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if data, err := os.ReadFile(path); err == nil {
				f.Add(data)
			}
		}
		return nil
	})
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		objs, errs := Decode("fuzz.yaml", data)
		if d := time.Since(start); d > time.Second {
			t.Fatalf("Decode took %v for %d bytes", d, len(data))
		}
		lines := 1 + bytes.Count(data, []byte("\n")) + bytes.Count(data, []byte("\r"))
		for _, e := range errs {
			if strings.Contains(e.Message, internalError) {
				t.Fatalf("%s", e.Message)
			}
			if e.Line < 0 || e.Line > lines {
				t.Fatalf("error %q at line %d of %d", e.Message, e.Line, lines)
			}
		}
		for _, o := range objs {
			if o.Obj == nil || o.Meta == nil || o.Lines == nil || o.Kind == "" {
				t.Fatalf("incomplete object %+v", o)
			}
			if o.Source.Line < 1 || o.Source.Line > lines {
				t.Fatalf("object %s at line %d of %d", o.Ref, o.Source.Line, lines)
			}
		}
		if len(data) < 4096 && !bytes.Contains(data, []byte("---")) && !bytes.Contains(data, []byte("...")) && !bytes.HasPrefix(bytes.TrimSpace(data), []byte("{")) {
			sameAsKubectl(t, data)
			sameAsGeneral(t, data)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("Decode and comparison took %v for %d bytes", d, len(data))
		}
	})
}
