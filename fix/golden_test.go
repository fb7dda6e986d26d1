package fix_test

import (
	"bytes"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kubeharden/kubeharden/check"
	_ "github.com/kubeharden/kubeharden/checks/all"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/fix"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// judgedAt is the time the fixtures are judged at, so that certificates and expiry stay put.
var judgedAt = time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)

// run loads dir, scans it and plans the fixes of the checks matching globs.
func run(t testing.TB, dir string, globs []string, images *inventory.ImageData) (*fix.Result, *scan.Result) {
	t.Helper()
	objs, errs := load.Files([]string{dir}, load.Options{})
	if len(errs) > 0 {
		t.Fatalf("load %s: %v", dir, errs)
	}
	cfg, err := config.Find(dir)
	if err != nil {
		t.Fatal(err)
	}
	inv := inventory.Build(objs)
	if images != nil {
		inv.SetImageData(images)
	}
	res := scan.Run(inv, scan.Options{Config: cfg, Now: judgedAt})
	if len(res.Errors) > 0 {
		t.Fatalf("scan %s: %v", dir, res.Errors)
	}
	return fix.Plan(inv, res.Findings, fix.Options{Checks: globs}), res
}

// goldenImages is what inspecting the fixtures' images would tell: their digests.
var goldenImages = &inventory.ImageData{Facts: map[string]*inventory.ImageFacts{
	"registry.example.com/proxy:latest": {Reference: "registry.example.com/proxy:latest", Digest: "sha256:1111111111111111111111111111111111111111111111111111111111111111"},
	"registry.example.com/web:1.2":      {Reference: "registry.example.com/web:1.2", Digest: "sha256:2222222222222222222222222222222222222222222222222222222222222222"},
}}

// TestGolden applies the fixes of each fixable check, alone, to the manifests in
// testdata/golden/in and compares every file changed or added, byte for byte, with
// testdata/golden/want/<check>/. Every fixable check must change something there.
func TestGolden(t *testing.T) {
	in := filepath.Join("testdata", "golden", "in")
	for _, c := range check.All() {
		if !c.Fixable {
			continue
		}
		t.Run(c.ID, func(t *testing.T) {
			res, _ := run(t, in, []string{c.ID}, goldenImages)
			for _, s := range res.Skipped {
				t.Errorf("skipped: %+v", s)
			}
			got := map[string][]byte{}
			for _, ch := range res.Changes {
				rel, err := filepath.Rel(in, ch.Path)
				if err != nil {
					t.Fatal(err)
				}
				got[filepath.ToSlash(rel)] = ch.New
			}
			if len(got) == 0 {
				t.Fatalf("fixable check %s changes nothing in %s: add a fixture", c.ID, in)
			}
			want := filepath.Join("testdata", "golden", "want", strings.ReplaceAll(c.ID, "/", "_"))
			if *update {
				os.RemoveAll(want)
				for rel, b := range got {
					p := filepath.Join(want, rel)
					os.MkdirAll(filepath.Dir(p), 0o755)
					if err := os.WriteFile(p, b, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return
			}
			wantFiles := map[string][]byte{}
			err := filepath.WalkDir(want, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := os.ReadFile(p)
				rel, _ := filepath.Rel(want, p)
				wantFiles[filepath.ToSlash(rel)] = b
				return err
			})
			if err != nil {
				t.Fatalf("%v (run go test ./fix -run TestGolden -update)", err)
			}
			for _, rel := range sortedKeys(got, wantFiles) {
				if !bytes.Equal(got[rel], wantFiles[rel]) {
					t.Errorf("%s differs from %s:\n--- got\n%s\n--- want\n%s", rel, want, got[rel], wantFiles[rel])
				}
			}
		})
	}
}

func sortedKeys(ms ...map[string][]byte) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range ms {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}
