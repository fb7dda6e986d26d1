package chartvalues_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kubeharden/kubeharden/check"
	_ "github.com/kubeharden/kubeharden/checks/all"
	"github.com/kubeharden/kubeharden/fix"
	"github.com/kubeharden/kubeharden/fix/chartvalues"
	"github.com/kubeharden/kubeharden/fix/fixtest"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
)

var judgedAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func scanDir(t *testing.T, dir string, lo load.Options) (*inventory.Inventory, *scan.Result) {
	t.Helper()
	objs, errs := load.Files([]string{dir}, lo)
	if len(errs) > 0 {
		t.Fatalf("load %s: %v", dir, errs)
	}
	inv := inventory.Build(objs)
	return inv, scan.Run(inv, scan.Options{Now: judgedAt})
}

type key struct{ check, object string }

// fixable are the findings of fixable checks, by check and object (namespace/kind/name).
func fixable(res *scan.Result) map[key]bool {
	out := map[key]bool{}
	for _, f := range res.Findings {
		if c := check.Lookup(f.Check); c != nil && c.Fixable && !f.Suppressed {
			out[key{f.Check, f.Object.Kind + "/" + f.Object.Name}] = true
		}
	}
	return out
}

// fixChart does what fix --write does for a chart: the overlay in the chart's directory and
// the post-renderer kustomization; it returns the overlay's result.
func fixChart(t *testing.T, dir string, lo load.Options) *chartvalues.Result {
	t.Helper()
	inv, before := scanDir(t, dir, lo)
	plan := fix.Plan(inv, before.Findings, fix.Options{})
	if len(plan.Changes) > 0 {
		t.Fatalf("fix edits the chart's files: %s", plan.Changes[0].Path)
	}
	res, err := chartvalues.Overlay(dir, plan.Patches, chartvalues.Options{Scan: scan.Options{Now: judgedAt}, Load: lo})
	if err != nil {
		t.Fatal(err)
	}
	if res.Values != nil {
		b, err := yaml.Marshal(res.Values)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(chartvalues.Path(dir), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range fix.PatchFiles(res.Rest, os.ReadFile) {
		if err := os.MkdirAll(filepath.Dir(c.Path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(c.Path, c.New, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return res
}

// postRender renders the chart with the overlay, as helm does with -f, and builds the
// post-renderer's kustomization over the output: what helm would install.
func postRender(t *testing.T, dir string, lo load.Options) (*inventory.Inventory, *scan.Result) {
	t.Helper()
	if _, err := os.Stat(chartvalues.Path(dir)); err == nil {
		lo.HelmValues = []string{chartvalues.Path(dir)}
	}
	texts, errs := load.ChartText(dir, lo)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	names := make([]string, 0, len(texts))
	for n := range texts {
		names = append(names, n)
	}
	sort.Strings(names)
	var all strings.Builder
	for _, n := range names {
		all.WriteString("---\n" + texts[n] + "\n")
	}
	pr := filepath.Join(dir, "kubeharden-postrender")
	if _, err := os.Stat(filepath.Join(pr, "kustomization.yaml")); err != nil {
		t.Fatalf("no post-renderer kustomization: %v", err)
	}
	if err := os.WriteFile(filepath.Join(pr, "rendered.yaml"), []byte(all.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return scanDir(t, pr, load.Options{})
}

func TestOverlay(t *testing.T) {
	for _, tc := range []struct {
		chart string
		// want are values the overlay must set, dotted.
		want []string
		// release is the release name (helm install NAME), on which the rendered names depend.
		release string
	}{
		{"testdata/web", []string{"image.pullPolicy", "securityContext.allowPrivilegeEscalation", "podSecurityContext.seccompProfile.type",
			"resources.requests.cpu", "resources.requests.memory", "resources.limits.memory"}, ""},
		{"../../examples/chart", nil, ""},
		{"../../examples/chart", nil, "shop"},
	} {
		t.Run(filepath.Base(tc.chart)+"/"+tc.release, func(t *testing.T) {
			dir := fixtest.Copy(t, tc.chart)
			lo := load.Options{HelmRelease: tc.release}
			_, before := scanDir(t, dir, lo)
			res := fixChart(t, dir, lo)
			set := map[string]bool{}
			for _, s := range res.Settings {
				set[s.Value] = true
				t.Logf("%s sets %s %s", s.Value, s.Object, s.Field)
			}
			for _, w := range tc.want {
				if !set[w] {
					t.Errorf("the overlay does not set %s", w)
				}
			}
			for _, p := range res.Rest {
				t.Logf("rest %s:\n%s", p.Object, p.YAML())
				if p.Created {
					continue
				}
				for _, e := range p.Errors {
					t.Errorf("post-renderer patch of %s: %s", p.Object, e)
				}
			}

			_, after := postRender(t, dir, lo)
			for _, f := range after.Findings {
				if len(f.Fixes) > 0 && !f.Suppressed {
					t.Errorf("after the overlay and the post-renderer, %s on %s still offers a fix: %s", f.Check, f.Object, f.Message)
				}
			}
			was := fixable(before)
			for k := range fixable(after) {
				if !was[k] {
					t.Errorf("after fix, %s on %s is new", k.check, k.object)
				}
			}
		})
	}
}
