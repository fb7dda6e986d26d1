package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// adoptJSON is the part of scan -o json these tests read.
type adoptJSON struct {
	scanJSON
	Summary struct {
		Objects    int  `json:"objects"`
		Findings   int  `json:"findings"`
		Score      int  `json:"score"`
		Incomplete bool `json:"incomplete"`
		Unread     int  `json:"unread"`
		Skipped    int  `json:"skipped"`
	} `json:"summary"`
	Skipped []struct{ File, Reason string } `json:"skipped"`
	Builds  []struct{ Path, As string }     `json:"builds"`
}

func adoptScan(t *testing.T, dir string, args ...string) (adoptJSON, int, string) {
	t.Helper()
	cwd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(cwd)
	code, out, errs := runCLI(t, "", append([]string{"scan", "-o", "json"}, args...)...)
	var res adoptJSON
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s%s", err, out, errs)
	}
	return res, code, out + errs
}

// TestScanRepository scans a repository as people keep them: Kubernetes manifests next to
// docker-compose.yml, mkdocs.yml, .golangci.yml, CI workflows, Helm values at the root and
// package.json, with a chart, a kustomize overlay, an ignore file and a config exclude.
func TestScanRepository(t *testing.T) {
	repo := filepath.Join("testdata", "repo")
	res, code, out := adoptScan(t, repo, ".")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (findings, no input errors): %s", code, out)
	}
	if len(res.Errors) != 0 {
		t.Errorf("input errors: %+v", res.Errors)
	}
	var skipped []string
	for _, s := range res.Skipped {
		skipped = append(skipped, s.File)
	}
	want := []string{".golangci.yml", "docker-compose.yml", "mkdocs.yml", "package.json", "values.yaml"}
	if !slices.Equal(skipped, want) || res.Summary.Skipped != len(want) {
		t.Errorf("skipped %v (summary %d), want %v", skipped, res.Summary.Skipped, want)
	}
	builds := map[string]string{}
	for _, b := range res.Builds {
		builds[filepath.ToSlash(b.Path)] = b.As
	}
	if builds["charts/web"] != "helm chart" || builds["deploy/prod"] != "kustomization" || len(builds) != 2 {
		t.Errorf("builds = %v, want charts/web as a helm chart and deploy/prod as a kustomization (its base only through it)", builds)
	}
	if !res.has("podsecurity/privileged", "api") || !res.has("images/latest-tag", "web") {
		t.Errorf("want podsecurity/privileged on the overlay's api and images/latest-tag on the chart's web:\n%s", out)
	}
	for _, f := range res.Findings {
		if f.Object.Name == "legacy" || f.Object.Name == "vendored" {
			t.Errorf("%s on %s: legacy/ is in .kubeharden-ignore and vendor/** excluded in the config", f.Check, f.Object.Name)
		}
	}
	if res.Summary.Incomplete || res.Summary.Objects != 2 {
		t.Errorf("summary = %+v, want 2 objects, complete", res.Summary)
	}

	// The table says what it built and skipped; -v names the files.
	cwd, _ := os.Getwd()
	os.Chdir(repo)
	_, table, _ := runCLI(t, "", "scan", ".")
	_, verbose, _ := runCLI(t, "", "scan", "-v", ".")
	os.Chdir(cwd)
	for _, w := range []string{"charts/web as a helm chart", "deploy/prod as a kustomization", "5 files that are not Kubernetes"} {
		if !strings.Contains(table, w) {
			t.Errorf("table lacks %q:\n%s", w, table)
		}
	}
	if strings.Contains(table, "skipped mkdocs.yml") || !strings.Contains(verbose, "skipped mkdocs.yml: no apiVersion and no kind") {
		t.Errorf("-v should list skipped files, and only -v:\n%s", verbose)
	}

	// --strict keeps kubectl's view: such documents are input errors.
	res, code, _ = adoptScan(t, repo, "--strict", ".")
	if code != 2 || len(res.Errors) != 5 || len(res.Skipped) != 0 {
		t.Errorf("--strict: exit %d, %d errors, %d skipped; want 2, 5, 0", code, len(res.Errors), len(res.Skipped))
	}

	// --exclude adds to the config's excludes; a negated ignore pattern is honoured too.
	res, _, _ = adoptScan(t, repo, "--exclude", "charts", "--exclude", "*.yml", ".")
	if _, ok := builds["charts/web"]; ok && len(res.Builds) != 1 {
		t.Errorf("--exclude charts: builds %+v, want only deploy/prod", res.Builds)
	}
	for _, s := range res.Skipped {
		if strings.HasSuffix(s.File, ".yml") {
			t.Errorf("--exclude *.yml: %s still read", s.File)
		}
	}
}

// TestScanNestedLists: a List inside a List (as some tools dump them) is flattened at any
// depth, as kubectl does, in YAML and in JSON; before, a privileged Deployment inside was
// silently dropped and the scan reported 100/100.
func TestScanNestedLists(t *testing.T) {
	yamlList := `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: List
  items:
  - apiVersion: v1
    kind: List
    items:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: deep, namespace: shop}
      spec:
        selector: {matchLabels: {app: deep}}
        template:
          metadata: {labels: {app: deep}}
          spec:
            containers:
            - name: app
              image: nginx:1.27
              securityContext: {privileged: true}
`
	jsonList := `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"DeploymentList","items":[
{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"deep","namespace":"shop"},
 "spec":{"selector":{"matchLabels":{"app":"deep"}},"template":{"metadata":{"labels":{"app":"deep"}},
 "spec":{"containers":[{"name":"app","image":"nginx:1.27","securityContext":{"privileged":true}}]}}}}]}]}`
	for name, body := range map[string]string{"yaml": yamlList, "json": jsonList} {
		t.Run(name, func(t *testing.T) {
			var res adoptJSON
			code, out, errs := runCLI(t, body, "scan", "-o", "json", "--check", "podsecurity/privileged", "-")
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatal(err, errs)
			}
			if code != 1 || !res.has("podsecurity/privileged", "deep") || res.Summary.Objects != 1 {
				t.Errorf("exit %d, summary %+v; want 1 and the privileged Deployment found:\n%s%s", code, res.Summary, out, errs)
			}
		})
	}
}

// TestScanBrokenChartIncomplete: a chart that does not render leaves the scan incomplete,
// which the summary says first, and no format shows a perfect score.
func TestScanBrokenChartIncomplete(t *testing.T) {
	dir := t.TempDir()
	chart := filepath.Join(dir, "chart")
	os.MkdirAll(filepath.Join(chart, "templates"), 0o755)
	os.WriteFile(filepath.Join(chart, "Chart.yaml"), []byte("apiVersion: v2\nname: broken\nversion: 0.1.0\n"), 0o644)
	os.WriteFile(filepath.Join(chart, "templates", "cm.yaml"), []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.name | required \"name is required\" }}\n"), 0o644)

	res, code, out := adoptScan(t, dir, "chart")
	if code != 2 || !res.Summary.Incomplete || res.Summary.Unread == 0 {
		t.Errorf("exit %d, summary %+v; want 2 and incomplete with unread inputs:\n%s", code, res.Summary, out)
	}
	for _, format := range []string{"table", "md"} {
		_, text, _ := runCLI(t, "", "scan", "-o", format, chart)
		if strings.Contains(text, "100/100") {
			t.Errorf("-o %s shows a perfect score for a chart that did not render:\n%s", format, text)
		}
		first := strings.SplitN(strings.TrimSpace(text), "\n", 2)[0]
		if format == "md" {
			first = strings.SplitN(strings.TrimSpace(text), "\n\n", 3)[1]
		}
		if !strings.Contains(first, "INCOMPLETE") {
			t.Errorf("-o %s: the first line should say the scan is incomplete, got %q", format, first)
		}
	}

	// Objects dropped for a wrong field type are named, and make the result incomplete;
	// an unknown field (object still read) does not.
	bad := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: typo, namespace: shop}\nspec:\n  replicas: two\n"
	code, out, _ = runCLI(t, bad, "scan", "-o", "json", "-")
	if code != 2 || !strings.Contains(out, `Deployment \"typo\": spec.replicas`) || !strings.Contains(out, `"incomplete": true`) {
		t.Errorf("wrong field type: exit %d\n%s", code, out)
	}
	unknown := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: shop}\ndata: {a: b}\nextra: 1\n"
	code, out, _ = runCLI(t, unknown, "scan", "-o", "json", "-")
	if code != 2 || !strings.Contains(out, `"incomplete": false`) {
		t.Errorf("unknown field: exit %d, want 2 and complete:\n%s", code, out)
	}
}

// TestScanBaseline: with --baseline, a scan reports only the findings that the earlier
// report did not have, even after the old ones moved lines; exit codes follow the new ones.
func TestScanBaseline(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "app.yaml")
	old := "apiVersion: v1\nkind: Pod\nmetadata: {name: old, namespace: shop}\nspec:\n  containers:\n  - name: app\n    image: nginx:latest\n"
	os.WriteFile(file, []byte(old), 0o644)
	code, report, _ := runCLI(t, "", "scan", "-o", "json", file)
	if code != 1 {
		t.Fatalf("first scan: exit %d, want 1", code)
	}
	base := filepath.Join(dir, "previous.json")
	os.WriteFile(base, []byte(report), 0o644)

	// Nothing new, though every line moved: clean.
	os.WriteFile(file, []byte("# moved down\n\n"+old), 0o644)
	res, code, out := adoptScan(t, dir, "--baseline", base, file)
	if code != 0 || len(res.Findings) != 0 {
		t.Errorf("unchanged but moved: exit %d, %d findings, want 0 and none:\n%s", code, len(res.Findings), out)
	}

	// A new Pod and a new problem on the old one: only those are reported.
	newer := strings.Replace(old, "  - name: app\n", "  - name: app\n    securityContext: {privileged: true}\n", 1) +
		"---\napiVersion: v1\nkind: Pod\nmetadata: {name: added, namespace: shop}\nspec:\n  containers:\n  - name: app\n    image: redis:latest\n"
	os.WriteFile(file, []byte(newer), 0o644)
	res, code, out = adoptScan(t, dir, "--baseline", base, file)
	if code != 1 {
		t.Errorf("exit %d, want 1 for new findings", code)
	}
	if !res.has("podsecurity/privileged", "old") || !res.has("images/latest-tag", "added") || res.has("images/latest-tag", "old") {
		t.Errorf("want the new privileged finding on old and the findings of added, not old's latest tag:\n%s", out)
	}
	full, _, _ := adoptScan(t, dir, file)
	if len(full.Findings) <= len(res.Findings) {
		t.Errorf("baseline hid nothing: %d findings with it, %d without", len(res.Findings), len(full.Findings))
	}
	_, table, _ := runCLI(t, "", "scan", "--baseline", base, file)
	if !strings.Contains(table, "in the baseline, not shown") {
		t.Errorf("table does not say findings were left out:\n%s", table)
	}
	if code, _, errs := runCLI(t, "", "scan", "--baseline", file, file); code != 2 || !strings.Contains(errs, "not a kubeharden report") {
		t.Errorf("a manifest as baseline: exit %d, %s", code, errs)
	}
}

// TestMistakes: typos fail with exit 2 and say what was probably meant.
func TestMistakes(t *testing.T) {
	pod := "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\n  annotations:\n    kubeharden.io/ignore: \"images/lastest-tag: vendor pins by tag\"\nspec:\n  containers:\n  - name: app\n    image: nginx:latest\n"
	dir := t.TempDir()
	cfg := filepath.Join(dir, "kh.yaml")
	os.WriteFile(cfg, []byte("exceptions:\n- check: images/latest-tag\n  reason: fine\n- check: podsecurity/priviledged\n  reason: typo\n"), 0o644)
	for _, tc := range []struct {
		name  string
		args  []string
		stdin string
		want  []string
	}{
		{"annotation names no check", []string{"scan", "--config", cfg, "-"}, pod,
			[]string{`<stdin>:6: annotation kubeharden.io/ignore: no check matches "images/lastest-tag"; did you mean images/latest-tag?`}},
		{"config exception names no check", []string{"scan", "--config", cfg, "-"}, pod,
			[]string{cfg + `:4: exception: no check matches "podsecurity/priviledged"; did you mean podsecurity/privileged?`}},
		{"unknown subcommand of netpol", []string{"netpol", "gen", "-f", "-"}, "", []string{`unknown command "gen" for "kubeharden netpol"; did you mean generate?`}},
		{"unknown subcommand of rbac", []string{"rbac", "path"}, "", []string{`did you mean paths?`}},
		{"misspelt flag", []string{"scan", "--outptu", "json", "-"}, pod, []string{"unknown flag: --outptu; did you mean --output?"}},
		{"--values without a chart", []string{"scan", "--values", cfg, "-"}, pod, []string{"--values given, but no Helm chart is in the input"}},
		{"--set without a chart", []string{"scan", "--set", "a=b", "-"}, pod, []string{"--set given, but no Helm chart"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, tc.stdin, tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			for _, w := range tc.want {
				if !strings.Contains(out+errs, w) {
					t.Errorf("output lacks %q:\n%s%s", w, out, errs)
				}
			}
		})
	}
	// A group command alone still shows its help, as kubectl's do.
	if code, out, _ := runCLI(t, "", "netpol"); code != 0 || !strings.Contains(out, "generate") {
		t.Errorf("netpol alone: exit %d\n%s", code, out)
	}
	// Config errors name the file and line, not the JSON decoder.
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("resources:\n  requireCPULimit: yes-please\n"), 0o644)
	if code, _, errs := runCLI(t, pod, "scan", "--config", bad, "-"); code != 2 || !strings.Contains(errs, bad+":2: resources.requireCPULimit: expected bool, got string") || strings.Contains(errs, "JSON") {
		t.Errorf("config type error: exit %d: %s", code, errs)
	}
	os.WriteFile(bad, []byte("exeptions:\n- check: x\n"), 0o644)
	if _, _, errs := runCLI(t, pod, "scan", "--config", bad, "-"); !strings.Contains(errs, bad+`:1: unknown field "exeptions"`) {
		t.Errorf("config unknown field: %s", errs)
	}
}
