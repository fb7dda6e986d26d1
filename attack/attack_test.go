package attack_test

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kubeharden/kubeharden/attack"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
)

var now = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

// analyze loads manifests as `kubeharden attack-paths` does (with the default RBAC policy).
func analyze(t testing.TB, paths ...string) *attack.Graph {
	t.Helper()
	objs, errs := load.Files(paths, load.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	g, err := attack.Analyze(inventory.Build(objs), attack.Options{Now: now, RBACDefaults: true})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// wantPaths reads the "# path: ..." lines of a fixture.
func wantPaths(t *testing.T, file string) []string {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if p, ok := strings.CutPrefix(sc.Text(), "# path: "); ok {
			out = append(out, p)
		}
	}
	return out
}

// TestFixtures asserts every fixture's paths from the internet, path by path: the known
// paths are found, near misses (a policy that blocks a hop, a token not mounted, a binding in
// another namespace, a private load balancer) give none.
func TestFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.yaml")
	if len(files) < 6 {
		t.Fatalf("only %d fixtures", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			g := analyze(t, file)
			ps, err := g.Paths(attack.Query{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range ps {
				got = append(got, p.String())
			}
			want := wantPaths(t, file)
			sort.Strings(got)
			sort.Strings(want)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("paths:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}
