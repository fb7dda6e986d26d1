package load_test

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/kubeharden/kubeharden/load"
)

const kust = "testdata/kustomize"

func TestKustomizeOverlay(t *testing.T) {
	objs, errs := load.Files([]string{kust + "/overlay"}, load.Options{})
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	// Each object points at the file and line it came from; the generated ConfigMap at its
	// generator in the overlay's kustomization.
	var got []string
	for _, o := range objs {
		got = append(got, fmt.Sprintf("%s@%s:%d", o.Ref, o.Source.File, o.Source.Line))
	}
	want := []string{
		"prod/Deployment/prod-web@" + kust + "/base/deployment.yaml:1",
		"prod/Service/prod-web@" + kust + "/base/service.yaml:1",
		"prod/ServiceAccount/prod-web@" + kust + "/base/service.yaml:12",
		"prod/Deployment/prod-worker@" + kust + "/overlay/worker.yaml:1",
		"prod/ConfigMap/prod-settings-9f9c6b5h98@" + kust + "/overlay/kustomization.yaml:14",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("objects\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	d := objs[0].Obj.(*appsv1.Deployment)
	if *d.Spec.Replicas != 3 || d.Labels["app.kubernetes.io/name"] != "shop" {
		t.Errorf("deployment replicas %d, labels %v: want the overlay's patch and the base's labels", *d.Spec.Replicas, d.Labels)
	}
	for _, o := range objs {
		if len(o.Annotations()) > 0 || o.Source.Rendered {
			t.Errorf("%s: annotations %v, rendered %v: want no origin annotation left, lines of the source", o.Ref, o.Annotations(), o.Source.Rendered)
		}
	}
	// images/latest-tag fires on the base's image line, as its # want comment says.
	var findings []string
	for _, f := range latestTag(objs) {
		findings = append(findings, fmt.Sprintf("%s:%d: %s", f.File, f.Line, f.Check))
	}
	if w := wants(t, kust+"/base/deployment.yaml"); !slices.Equal(findings, w) {
		t.Errorf("findings %v, want %v", findings, w)
	}
}

func TestKustomizeWalk(t *testing.T) {
	objs, errs := load.Files([]string{kust}, load.Options{})
	// The base is built only as part of the overlay that uses it, and no resource file is
	// also read as a manifest of its own.
	var got []string
	for _, o := range objs {
		got = append(got, o.Ref.String())
	}
	want := []string{
		"prod/Deployment/prod-web", "prod/Service/prod-web", "prod/ServiceAccount/prod-web",
		"prod/Deployment/prod-worker", "prod/ConfigMap/prod-settings-9f9c6b5h98",
		"ConfigMap/local",
	}
	if !slices.Equal(got, want) {
		t.Errorf("objects %v, want %v", got, want)
	}
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error())
	}
	wantErrs := []string{
		kust + "/missing/kustomization.yaml:3: kustomize build: accumulating resources",
		kust + `/remote/kustomization.yaml:2: kustomize: remote resources entry "https://example.com/manifests/app.yaml" not fetched`,
		kust + `/remote/kustomization.yaml:3: kustomize: remote resources entry "github.com/example/platform//base?ref=v1.0.0" not fetched`,
	}
	if len(msgs) != len(wantErrs) {
		t.Fatalf("errors %q, want %d", msgs, len(wantErrs))
	}
	for i, w := range wantErrs {
		if !strings.HasPrefix(msgs[i], w) {
			t.Errorf("error %q, want it to start %q", msgs[i], w)
		}
	}
	wd, _ := os.Getwd()
	if strings.Contains(msgs[0], wd) || !strings.Contains(msgs[0], "nothere.yaml") {
		t.Errorf("error %q: want the missing entry named, without absolute paths", msgs[0])
	}
}

func TestKustomizeNamed(t *testing.T) {
	// Paths named explicitly are always read, even when a kustomization also uses them.
	objs, errs := load.Files([]string{kust + "/base", kust + "/overlay", kust + "/base/service.yaml"}, load.Options{})
	if len(errs) > 0 {
		t.Fatalf("errors: %v", errs)
	}
	var got []string
	for _, o := range objs {
		got = append(got, o.Ref.String())
	}
	want := []string{
		"Deployment/web", "Service/web", "ServiceAccount/web",
		"prod/Deployment/prod-web", "prod/Service/prod-web", "prod/ServiceAccount/prod-web",
		"prod/Deployment/prod-worker", "prod/ConfigMap/prod-settings-9f9c6b5h98",
		"Service/web", "ServiceAccount/web",
	}
	if !slices.Equal(got, want) {
		t.Errorf("objects %v, want %v", got, want)
	}
}

func TestKustomizeOriginAnnotationsKept(t *testing.T) {
	// A kustomization that asks for origin annotations itself keeps them.
	dir := t.TempDir()
	os.WriteFile(dir+"/kustomization.yaml", []byte("resources: [cm.yaml]\nbuildMetadata: [originAnnotations]\n"), 0o644)
	os.WriteFile(dir+"/cm.yaml", []byte("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n"), 0o644)
	objs, errs := load.Files([]string{dir}, load.Options{})
	if len(errs) > 0 || len(objs) != 1 {
		t.Fatalf("objects %v, errors %v", refs(objs), errs)
	}
	if a := objs[0].Annotations()["config.kubernetes.io/origin"]; !strings.Contains(a, "path: cm.yaml") {
		t.Errorf("origin annotation %q, want it kept", a)
	}
	if objs[0].Source.File != dir+"/cm.yaml" || objs[0].Source.Line != 1 {
		t.Errorf("source %+v", objs[0].Source)
	}
}

// wants lists the "# want: id[, id]" comments of a fixture as "file:line: id".
func wants(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	for n := 1; s.Scan(); n++ {
		if _, ids, ok := strings.Cut(s.Text(), "# want: "); ok {
			for id := range strings.SplitSeq(ids, ",") {
				out = append(out, fmt.Sprintf("%s:%d: %s", file, n, strings.TrimSpace(id)))
			}
		}
	}
	return out
}
