package load_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
)

// tgz packs files (name: content) into a gzip-compressed tar archive, as helm package does.
func tgz(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, name := range slices.Sorted(maps.Keys(files)) {
		data := files[name]
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// chartFiles reads the chart directory dir into archive entries below root.
func chartFiles(t *testing.T, dir, root string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[root+"/"+filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// write writes data to name in dir and returns its path.
func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHelmArchiveLikeDirectory: the web chart packaged renders the objects its directory
// renders, with the same values, lines and findings; files point into the archive.
func TestHelmArchiveLikeDirectory(t *testing.T) {
	archive := write(t, t.TempDir(), "web-0.1.0.tgz", tgz(t, chartFiles(t, webChart, "web")))
	opts := load.Options{
		HelmValues: []string{"testdata/helm/prod-values.yaml"}, // turns on the ingress and the cache subchart
		HelmSet:    []string{"image.tag=latest"},
	}
	want, errs := load.Files([]string{webChart}, opts)
	if len(errs) > 0 {
		t.Fatalf("directory: %v", errs)
	}
	got, errs := load.Files([]string{archive}, opts)
	if len(errs) > 0 {
		t.Fatalf("archive: %v", errs)
	}
	if len(got) != len(want) || len(got) != 5 {
		t.Fatalf("archive objects %v, want the directory's %v", refs(got), refs(want))
	}
	for i, w := range want {
		g := got[i]
		file := archive + "/web" + strings.TrimPrefix(w.Source.File, webChart)
		if g.Ref != w.Ref || g.Source.File != file || g.Source.Line != w.Source.Line || g.Source.Rendered != w.Source.Rendered {
			t.Errorf("object %s at %+v, want %s at %s line %d rendered %v", g.Ref, g.Source, w.Ref, file, w.Source.Line, w.Source.Rendered)
		}
		if !reflect.DeepEqual(g.Obj, w.Obj) {
			t.Errorf("%s: archive renders %+v, directory %+v", g.Ref, g.Obj, w.Obj)
		}
	}
	// The CRD is read as written; the rest is rendered.
	if got[0].Kind != "CustomResourceDefinition" || got[0].Source.Rendered || got[0].Source.File != archive+"/web/crds/widgets.yaml" {
		t.Errorf("CRD %s at %+v, want crds/widgets.yaml in the archive, not rendered", got[0].Ref, got[0].Source)
	}
	fs := latestTag(got)
	// image.tag=latest: the web deployment (line 22 of its rendered template, as for the
	// directory) and the cache subchart's image "redis" without a tag.
	var at []string
	for _, f := range fs {
		at = append(at, f.File+":"+strconv.Itoa(f.Line))
		if !f.Rendered {
			t.Errorf("finding %v not marked rendered", f)
		}
	}
	if wantAt := []string{archive + "/web/charts/cache/templates/deployment.yaml:16", archive + "/web/templates/deployment.yaml:22"}; !sameSet(at, wantAt) {
		t.Errorf("findings at %v, want %v", at, wantAt)
	}
}

// TestHelmArchivePaths: positions name the archive's own directory, a subchart packaged in
// charts/ as an archive, and a broken template's file and line inside the archive.
func TestHelmArchivePaths(t *testing.T) {
	dir := t.TempDir()
	files := chartFiles(t, webChart, "src") // a top directory that is not the chart's name
	cache := map[string]string{}
	for name, data := range files {
		if rest, ok := strings.CutPrefix(name, "src/charts/cache/"); ok {
			cache["cache/"+rest] = data
			delete(files, name)
		}
	}
	files["src/charts/cache-0.1.0.tgz"] = string(tgz(t, cache))
	web := write(t, dir, "web.tar.gz", tgz(t, files))
	broken := write(t, dir, "broken-0.1.0.tgz", tgz(t, chartFiles(t, "testdata/helm/broken", "broken")))

	objs, errs := load.Files([]string{web, broken}, load.Options{HelmValues: []string{"testdata/helm/prod-values.yaml"}})
	want := []string{
		"CustomResourceDefinition/widgets.example.com@" + web + "/src/crds/widgets.yaml",
		"Deployment/release-cache@" + web + "/src/charts/cache-0.1.0.tgz",
		"Deployment/release-web@" + web + "/src/templates/deployment.yaml",
		"Ingress/release-web@" + web + "/src/templates/ingress.yaml",
		"Service/release-web@" + web + "/src/templates/service.yaml",
		"ConfigMap/release-settings@" + broken + "/broken/templates/configmap.yaml",
	}
	if got := refs(objs); !slices.Equal(got, want) {
		t.Errorf("objects %v, want %v", got, want)
	}
	// As for the directory (TestHelmBrokenTemplate): deployment.yaml fails at line 6,
	// service.yaml renders invalid YAML at line 8 of its output.
	var at []string
	for _, e := range errs {
		at = append(at, e.File+":"+strconv.Itoa(e.Line))
	}
	wantAt := []string{broken + "/broken/templates/deployment.yaml:6", broken + "/broken/templates/service.yaml:8"}
	if !sameSet(at, wantAt) {
		t.Errorf("errors %v, want at %v", errs, wantAt)
	}
}

// TestHelmArchiveBadInput: each archive that is not a chart is one error naming it; the other
// paths of the call still load.
func TestHelmArchiveBadInput(t *testing.T) {
	dir := t.TempDir()
	good := map[string]string{
		"app/Chart.yaml":        "apiVersion: v2\nname: app\nversion: 1.0.0\n",
		"app/templates/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n",
	}
	noise := make([]byte, 8<<10) // incompressible: the archive is larger than the limit below
	for i := range noise {
		noise[i] = byte(rand.N(256))
	}
	big := maps.Clone(good)
	big["app/files/blob"] = string(noise)
	traversal := maps.Clone(good)
	traversal["app/../../evil.yaml"] = "kind: Namespace\n"
	bad := map[string]string{ // file: what the error says
		write(t, dir, "short.tgz", []byte("junk")):                                                  "not a gzip-compressed tar archive",
		write(t, dir, "corrupt.tgz", []byte("this is not gzip")):                                    "not a gzip-compressed tar archive",
		write(t, dir, "truncated.tgz", tgz(t, good)[:40]):                                           "cannot load Helm chart archive",
		write(t, dir, "nochart.tar.gz", tgz(t, map[string]string{"app/templates/cm.yaml": "{}\n"})): "Chart.yaml file is missing",
		write(t, dir, "traversal.tgz", tgz(t, traversal)):                                           "parent directory",
		write(t, dir, "big.tgz", tgz(t, big)):                                                       "larger than the 4096 bytes limit",
	}
	paths := append(slices.Sorted(maps.Keys(bad)), "testdata/tree/a.yaml", write(t, dir, "good.tgz", tgz(t, good)))
	objs, errs := load.Files(paths, load.Options{MaxFileSize: 4096})
	want := []string{"Namespace/shop@testdata/tree/a.yaml", "ConfigMap/cm@" + dir + "/good.tgz/app/templates/cm.yaml"}
	if got := refs(objs); !slices.Equal(got, want) {
		t.Errorf("objects %v, want %v", got, want)
	}
	seen := map[string]int{}
	for _, e := range errs {
		seen[e.File]++
		if w, ok := bad[e.File]; !ok || !strings.Contains(e.Message, w) || strings.Contains(e.Message, "internal error") {
			t.Errorf("error %v, want %q", e, w)
		}
	}
	for f := range bad {
		if seen[f] != 1 {
			t.Errorf("%d errors for %s, want 1", seen[f], f)
		}
	}
}

// TestHelmArchiveInDirectory: archives found while walking a directory are not read, not even
// a chart's; only those named as paths are.
func TestHelmArchiveInDirectory(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "web-0.1.0.tgz", tgz(t, chartFiles(t, webChart, "web")))
	write(t, dir, "junk.tgz", []byte("not an archive"))
	data, err := os.ReadFile("testdata/tree/a.yaml")
	if err != nil {
		t.Fatal(err)
	}
	write(t, dir, "ns.yaml", data)
	objs, errs := load.Files([]string{dir}, load.Options{})
	if got, want := refs(objs), []string{"Namespace/shop@" + dir + "/ns.yaml"}; len(errs) > 0 || !slices.Equal(got, want) {
		t.Errorf("objects %v, errors %v; want %v only", got, errs, want)
	}
}

const typesChart = "testdata/helmtypes"

// renderedValues renders testdata/helmtypes with opts: the ConfigMap's data is, per key of
// .Values.v, "<Go type> <value as JSON>".
func renderedValues(t *testing.T, paths []string, opts load.Options) (map[string]string, []inventory.Error) {
	t.Helper()
	objs, errs := load.Files(append([]string{typesChart}, paths...), opts)
	for _, o := range objs {
		if cm, ok := o.Obj.(*corev1.ConfigMap); ok && cm.Name == "release-values" {
			return cm.Data, errs
		}
	}
	t.Fatalf("no ConfigMap release-values in %v (errors %v)", refs(objs), errs)
	return nil, nil
}

func TestHelmSetString(t *testing.T) {
	got, errs := renderedValues(t, nil, load.Options{
		HelmSet:       []string{"v.b=true,v.num=123"},
		HelmSetString: []string{"v.sb=true,v.sn=123", "v.list={a,1}"},
	})
	// --set types true and 123; --set-string keeps them (and list items) strings.
	want := map[string]string{
		"chart": `string "from values.yaml"`,
		"b":     "bool true",
		"num":   "int64 123",
		"sb":    `string "true"`,
		"sn":    `string "123"`,
		"list":  `[]interface {} ["a","1"]`,
	}
	if len(errs) > 0 || !maps.Equal(got, want) {
		t.Errorf("data %v (errors %v), want %v", got, errs, want)
	}
}

func TestHelmSetJSON(t *testing.T) {
	got, errs := renderedValues(t, nil, load.Options{HelmSetJSON: []string{
		`v.obj={"a":[1,"x"],"b":{"c":null}}`,
		`v.num=123,v.s="123"`,
		`{"v":{"whole":true}}`, // a whole object is merged
	}})
	want := map[string]string{
		"chart": `string "from values.yaml"`,
		"obj":   `map[string]interface {} {"a":[1,"x"],"b":{"c":null}}`,
		"num":   "float64 123",
		"s":     `string "123"`,
		"whole": "bool true",
	}
	if len(errs) > 0 || !maps.Equal(got, want) {
		t.Errorf("data %v (errors %v), want %v", got, errs, want)
	}
}

func TestHelmSetFile(t *testing.T) {
	dir := t.TempDir()
	// conf.yaml lies in a directory scanned: it is read as a value, not as a manifest
	// (it is not one).
	conf := write(t, dir, "conf.yaml", []byte("level: [debug\nsize: 123\n"))
	got, errs := renderedValues(t, []string{dir}, load.Options{HelmSetFile: []string{"v.conf=" + conf}})
	want := map[string]string{
		"chart": `string "from values.yaml"`,
		"conf":  `string "level: [debug\nsize: 123\n"`,
	}
	if len(errs) > 0 || !maps.Equal(got, want) {
		t.Errorf("data %v (errors %v), want %v", got, errs, want)
	}

	// A file that is missing is an input error naming the flag, key and file; the chart is
	// still rendered.
	missing := filepath.Join(dir, "nope.txt")
	_, errs = renderedValues(t, nil, load.Options{HelmSetFile: []string{"v.x=" + missing}})
	if len(errs) != 1 || errs[0].File != missing || !strings.HasPrefix(errs[0].Message, "--set-file v.x: cannot read") {
		t.Errorf("errors %v, want one for %s from --set-file v.x", errs, missing)
	}
}

// TestHelmValuesPrecedence: helm merges --values, then --set-json, --set, --set-string and
// --set-file (helm's values.Options.MergeValues), later ones winning.
func TestHelmValuesPrecedence(t *testing.T) {
	dir := t.TempDir()
	vals := write(t, dir, "vals.yaml", []byte("v: {a: values, b: values, c: values, d: values, e: values}\n"))
	file := write(t, dir, "e.txt", []byte("file"))
	got, errs := renderedValues(t, nil, load.Options{
		HelmValues:    []string{vals},
		HelmSetFile:   []string{"v.e=" + file},
		HelmSetString: []string{"v.d=string,v.e=string"},
		HelmSet:       []string{"v.c=set,v.d=set,v.e=set"},
		HelmSetJSON:   []string{`v.b="json",v.c="json",v.d="json",v.e="json"`},
	})
	want := map[string]string{
		"chart": `string "from values.yaml"`,
		"a":     `string "values"`,
		"b":     `string "json"`,
		"c":     `string "set"`,
		"d":     `string "string"`,
		"e":     `string "file"`,
	}
	if len(errs) > 0 || !maps.Equal(got, want) {
		t.Errorf("data %v (errors %v), want %v", got, errs, want)
	}
}

// TestHelmSetErrors: a malformed flag is an error naming the flag and key, never the value.
func TestHelmSetErrors(t *testing.T) {
	_, errs := renderedValues(t, nil, load.Options{
		HelmSetString: []string{"v.token"},
		HelmSetJSON:   []string{`v.j={"secret-value"`, `{"secret-value`},
	})
	var msgs []string
	for _, e := range errs {
		msgs = append(msgs, e.Error())
		if strings.Contains(e.Message, "secret-value") {
			t.Errorf("error %q shows the value", e.Message)
		}
	}
	for _, w := range []string{"--set-string v.token:", "--set-json v.j:", "--set-json: invalid JSON object"} {
		if !slices.ContainsFunc(msgs, func(m string) bool { return strings.HasPrefix(m, w) }) {
			t.Errorf("errors %q, want one starting %q", msgs, w)
		}
	}
}
