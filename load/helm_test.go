package load_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/images"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
)

const webChart = "testdata/helm/web"

// refs lists objects as "namespace/Kind/name@file".
func refs(objs []*inventory.Object) []string {
	var out []string
	for _, o := range objs {
		out = append(out, o.Ref.String()+"@"+o.Source.File)
	}
	return out
}

// latestTag runs images/latest-tag over objs.
func latestTag(objs []*inventory.Object) []check.Finding {
	return scan.Run(inventory.Build(objs), scan.Options{Checks: []*check.Check{images.LatestTag}}).Findings
}

func TestHelmChartDefaults(t *testing.T) {
	objs, errs := load.Files([]string{webChart}, load.Options{})
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	// The ingress and the cache subchart are off by default; NOTES.txt and the helpers
	// render no object. CRDs (crds/, which helm installs first) are read as written.
	want := []string{
		"CustomResourceDefinition/widgets.example.com@" + webChart + "/crds/widgets.yaml",
		"Deployment/release-web@" + webChart + "/templates/deployment.yaml",
		"Service/release-web@" + webChart + "/templates/service.yaml",
	}
	if got := refs(objs); !slices.Equal(got, want) {
		t.Fatalf("objects %v, want %v", got, want)
	}
	if crd := objs[0]; crd.Source.Rendered || crd.Line("spec.scope") != 10 {
		t.Errorf("CRD rendered %v, spec.scope at line %d: want line 10 of the file", crd.Source.Rendered, crd.Line("spec.scope"))
	}
	objs = objs[1:]
	d := objs[0].Obj.(*appsv1.Deployment)
	if img := d.Spec.Template.Spec.Containers[0].Image; img != "nginx:1.27.0" {
		t.Errorf("image %q, want the chart's appVersion from the default", img)
	}
	if got := d.Labels["app.kubernetes.io/instance"]; got != load.ReleaseName {
		t.Errorf("instance label %q, want the release name", got)
	}
	for _, o := range objs {
		if !o.Source.Rendered {
			t.Errorf("%s: Source.Rendered not set", o.Ref)
		}
	}
	if f := latestTag(objs); len(f) > 0 {
		t.Errorf("findings with default values: %v", f)
	}
}

func TestHelmSetChangesOutcome(t *testing.T) {
	objs, errs := load.Files([]string{webChart}, load.Options{HelmSet: []string{"image.tag=latest"}})
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	fs := latestTag(objs)
	if len(fs) != 1 {
		t.Fatalf("findings %v, want one images/latest-tag", fs)
	}
	f := fs[0]
	if f.File != webChart+"/templates/deployment.yaml" || !f.Rendered {
		t.Errorf("finding at %s (rendered %v), want the deployment template, rendered", f.File, f.Rendered)
	}
	// The line counts the rendered output: the labels the helper expands push the image
	// line from 19 in the template to 22.
	if f.Line != 22 {
		t.Errorf("finding at line %d, want 22 of the rendered template", f.Line)
	}
}

func TestHelmValuesAndNamespace(t *testing.T) {
	// prod-values.yaml lies in the directory walked: it is read as values, not as a manifest.
	objs, errs := load.Files([]string{"testdata/helm"}, load.Options{
		HelmValues:    []string{"testdata/helm/prod-values.yaml"},
		HelmNamespace: "shop",
		HelmSet:       []string{"replicaCount=5"},
	})
	var web []*inventory.Object
	for _, o := range objs {
		if strings.HasPrefix(o.Source.File, webChart+"/") {
			web = append(web, o)
		}
	}
	// A CRD is cluster-scoped: -n leaves it alone. The values file turns on the ingress
	// and the cache subchart (a dependency with a condition).
	want := []string{
		"CustomResourceDefinition/widgets.example.com@" + webChart + "/crds/widgets.yaml",
		"shop/Deployment/release-cache@" + webChart + "/charts/cache/templates/deployment.yaml",
		"shop/Deployment/release-web@" + webChart + "/templates/deployment.yaml",
		"shop/Ingress/release-web@" + webChart + "/templates/ingress.yaml",
		"shop/Service/release-web@" + webChart + "/templates/service.yaml",
	}
	if got := refs(web); !slices.Equal(got, want) {
		t.Fatalf("objects %v, want %v", got, want)
	}
	// --set wins over --values, which win over the chart's values.
	if r := *web[2].Obj.(*appsv1.Deployment).Spec.Replicas; r != 5 {
		t.Errorf("replicas %d, want 5 from --set", r)
	}
	for _, e := range errs {
		if strings.Contains(e.File, "prod-values") || strings.Contains(e.File, "/web/") {
			t.Errorf("unexpected error %v", e)
		}
	}
}

func TestHelmBrokenTemplate(t *testing.T) {
	objs, errs := load.Files([]string{"testdata/helm/broken", "testdata/tree/a.yaml"}, load.Options{})
	// The template that fails names its file and line; the chart's other templates and the
	// other paths still load.
	want := []string{
		"ConfigMap/release-settings@testdata/helm/broken/templates/configmap.yaml",
		"Namespace/shop@testdata/tree/a.yaml",
	}
	if got := refs(objs); !sameSet(got, want) {
		t.Errorf("objects %v, want %v", got, want)
	}
	var exec, yaml *inventory.Error
	for i, e := range errs {
		switch e.File {
		case "testdata/helm/broken/templates/deployment.yaml":
			exec = &errs[i]
		case "testdata/helm/broken/templates/service.yaml":
			yaml = &errs[i]
		default:
			t.Errorf("unexpected error %v", e)
		}
	}
	if exec == nil || exec.Line != 6 || !strings.Contains(exec.Message, "nil pointer evaluating") {
		t.Errorf("template error %v, want deployment.yaml:6 with Helm's message", exec)
	}
	// A template that renders invalid YAML: the line is the rendered output's, and says so.
	if yaml == nil || yaml.Line != 8 || !strings.Contains(yaml.Message, "rendered template") {
		t.Errorf("YAML error %v, want service.yaml:8 of the rendered template", yaml)
	}
}

func TestHelmBadInput(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(dir+"/Chart.yaml", []byte("name: [\n"), 0o644)
	objs, errs := load.Files([]string{dir, webChart}, load.Options{
		HelmValues: []string{dir + "/nope.yaml"},
		HelmSet:    []string{"image.tag"},
	})
	if len(objs) != 3 {
		t.Errorf("objects %v, want the web chart's", refs(objs))
	}
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	for _, w := range []string{dir + "/Chart.yaml: cannot load Helm chart", dir + "/nope.yaml: values file", "--set image.tag:"} {
		if !slices.ContainsFunc(msgs, func(m string) bool { return strings.HasPrefix(m, w) }) {
			t.Errorf("errors %q, want one starting %q", msgs, w)
		}
	}
}

func TestHelmMissingDependency(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(dir+"/templates", 0o755)
	os.WriteFile(dir+"/Chart.yaml", []byte("apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: db\n    version: 1.0.0\n"), 0o644)
	os.WriteFile(dir+"/templates/cm.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"), 0o644)
	objs, errs := load.Files([]string{dir}, load.Options{})
	// helm template refuses such a chart; here it is an Error and the rest is rendered.
	if len(objs) != 1 || len(errs) != 1 || errs[0].File != dir+"/Chart.yaml" || !strings.Contains(errs[0].Message, `dependency "db"`) {
		t.Errorf("objects %v, errors %v", refs(objs), errs)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
