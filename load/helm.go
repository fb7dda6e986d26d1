package load

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"helm.sh/helm/v4/pkg/chart/common"
	cutil "helm.sh/helm/v4/pkg/chart/common/util"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	chartutil "helm.sh/helm/v4/pkg/chart/v2/util"
	"helm.sh/helm/v4/pkg/engine"
	"helm.sh/helm/v4/pkg/strvals"

	"github.com/kubeharden/kubeharden/inventory"
)

// This file renders Helm charts in process, as `helm template` does: client only, with
// Helm's default capabilities, no lookups against a cluster and no DNS. Objects point at
// the template they came from; their lines count lines of that template's rendered
// output (Source.Rendered), since a template's own lines do not map to the objects'.

// ReleaseName is the release name charts are rendered with unless Options.HelmRelease says otherwise.
const ReleaseName = "release"

// helmValues reads Helm's --values files and applies the --set flags in helm's order (helm's
// values.Options.MergeValues): files merged in order, then --set-json, --set, --set-string
// and --set-file, each flag in the order given. Errors name the key, never the value: it may
// be a secret.
func helmValues(opts Options) (map[string]any, []inventory.Error) {
	vals := map[string]any{}
	var errs []inventory.Error
	limit := opts.MaxFileSize
	if limit <= 0 {
		limit = DefaultMaxFileSize
	}
	for _, f := range opts.HelmValues {
		data, msg := readFile(f, limit)
		if msg != "" {
			errs = append(errs, inventory.Error{File: f, Message: "values file " + msg})
			continue
		}
		m, err := loader.LoadValues(bytes.NewReader(data))
		if err != nil {
			errs = append(errs, inventory.Error{File: f, Message: "invalid values file: " + err.Error()})
			continue
		}
		vals = loader.MergeMaps(vals, m)
	}
	setErr := func(flag, s string, err error) {
		key, _, _ := strings.Cut(s, "=")
		errs = append(errs, inventory.Error{Message: fmt.Sprintf("%s %s: %v", flag, key, err)})
	}
	for _, s := range opts.HelmSetJSON {
		if t := strings.TrimSpace(s); strings.HasPrefix(t, "{") {
			// A whole JSON object is merged, as helm does.
			var m map[string]any
			if err := json.Unmarshal([]byte(t), &m); err != nil {
				errs = append(errs, inventory.Error{Message: "--set-json: invalid JSON object: " + err.Error()})
				continue
			}
			vals = loader.MergeMaps(vals, m)
			continue
		}
		if err := strvals.ParseJSON(s, vals); err != nil {
			setErr("--set-json", s, err)
		}
	}
	for _, s := range opts.HelmSet {
		if err := strvals.ParseInto(s, vals); err != nil {
			setErr("--set", s, err)
		}
	}
	for _, s := range opts.HelmSetString {
		if err := strvals.ParseIntoString(s, vals); err != nil {
			setErr("--set-string", s, err)
		}
	}
	for _, s := range opts.HelmSetFile {
		var bad inventory.Error
		read := func(rs []rune) (any, error) {
			f := string(rs)
			data, msg := readFile(f, limit)
			if msg != "" {
				bad = inventory.Error{File: f, Message: msg}
				return nil, errors.New(msg)
			}
			return string(data), nil
		}
		if err := strvals.ParseIntoFile(s, vals, read); err != nil {
			if bad.File != "" {
				key, _, _ := strings.Cut(s, "=")
				bad.Message = fmt.Sprintf("--set-file %s: %s", key, bad.Message)
				errs = append(errs, bad)
				continue
			}
			setErr("--set-file", s, err)
		}
	}
	return vals, errs
}

// setFiles lists the files that --set-file names, without reading them, so that a walk does
// not read them as manifests.
func setFiles(opts Options) []string {
	var out []string
	for _, s := range opts.HelmSetFile {
		strvals.ParseIntoFile(s, map[string]any{}, func(rs []rune) (any, error) {
			out = append(out, string(rs))
			return "", nil
		})
	}
	return out
}

// copyValues copies nested maps and lists, so that each chart may change its values.
func copyValues(v map[string]any) map[string]any {
	if v == nil {
		return map[string]any{}
	}
	out := make(map[string]any, len(v))
	for k, x := range v {
		out[k] = copyValue(x)
	}
	return out
}

func copyValue(x any) any {
	switch x := x.(type) {
	case map[string]any:
		return copyValues(x)
	case []any:
		l := make([]any, len(x))
		for i := range x {
			l[i] = copyValue(x[i])
		}
		return l
	}
	return x
}

// chartSource is where a chart is read from: a directory, or a packaged chart (.tgz) named
// as a path. Names inside the chart map to files under the directory, or to paths below the
// archive ("web-1.0.0.tgz/web/templates/x.yaml") that say where in the archive to look.
type chartSource struct {
	path    string
	archive bool
	// For an archive: the directory its files are in (the chart's name as helm packages
	// it), and the names of its files below that directory.
	root string
	raw  []string
}

// isChartArchive reports whether a path named explicitly is read as a packaged chart. The
// name decides; a file so named that is no chart is an error.
func isChartArchive(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".tgz") || strings.HasSuffix(n, ".tar.gz")
}

// load loads the chart; for an archive the compressed file is held to opts.MaxFileSize and
// what it holds to helm's own limit on a chart's decompressed size.
func (s *chartSource) load(limit int64) (*chart.Chart, *inventory.Error) {
	if !s.archive {
		ch, err := loader.LoadDir(s.path)
		if err != nil {
			return nil, &inventory.Error{File: s.chartFile(), Message: "cannot load Helm chart: " + err.Error()}
		}
		return ch, nil
	}
	data, msg := readFile(s.path, limit)
	if msg != "" {
		return nil, &inventory.Error{File: s.path, Message: "Helm chart archive: " + msg}
	}
	notGzip := &inventory.Error{File: s.path, Message: "cannot load Helm chart archive: not a gzip-compressed tar archive"}
	if !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		return nil, notGzip
	}
	ch, err := loader.LoadArchive(bytes.NewReader(data))
	if errors.Is(err, gzip.ErrHeader) {
		return nil, notGzip
	}
	if err != nil {
		return nil, &inventory.Error{File: s.path, Message: "cannot load Helm chart archive: " + oneLine(err.Error())}
	}
	s.root = archiveRoot(data)
	if s.root == "" {
		s.root = ch.Name()
	}
	for _, f := range ch.Raw {
		s.raw = append(s.raw, f.Name)
	}
	return ch, nil
}

// archiveRoot is the directory that the first file of a chart archive is in; helm's loader
// drops it from the names it gives. Empty when it cannot be read.
func archiveRoot(data []byte) string {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return ""
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	for {
		hd, err := tr.Next()
		if err != nil {
			return ""
		}
		if hd.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		root, _, _ := strings.Cut(strings.ReplaceAll(hd.Name, "\\", "/"), "/")
		if root == "" || root == "." || root == ".." {
			return ""
		}
		return root
	}
}

// chartFile is the chart's Chart.yaml, where errors about the chart as a whole point.
func (s *chartSource) chartFile() string {
	if s.archive {
		return filepath.Join(s.path, s.root, "Chart.yaml")
	}
	return filepath.Join(s.path, "Chart.yaml")
}

// ChartText renders the chart in dir as `helm template` does, with opts' values, and returns
// what each template renders, by the file name its objects' Source names, undecoded: fix
// reads it to learn which value renders into which field, including fields a typed decoding
// would drop.
func ChartText(dir string, opts Options) (map[string]string, []inventory.Error) {
	vals, errs := helmValues(opts)
	if len(errs) > 0 {
		return nil, errs
	}
	src := chartSource{path: dir}
	ch, lerr := src.load(opts.MaxFileSize)
	if lerr != nil {
		return nil, []inventory.Error{*lerr}
	}
	out := map[string]string{}
	files, _, errs := renderChartText(&src, ch, vals, opts)
	for name, text := range files {
		out[src.file(ch.Name(), name)] = text
	}
	return out, errs
}

// renderChartText renders the templates of ch with vals (the user's values).
func renderChartText(src *chartSource, ch *chart.Chart, vals map[string]any, opts Options) (map[string]string, string, []inventory.Error) {
	chartFile := src.chartFile()
	errs := missingDependencies(chartFile, ch)
	fail := func(file, format string, args ...any) (map[string]string, string, []inventory.Error) {
		return nil, "", append(errs, inventory.Error{File: file, Message: fmt.Sprintf(format, args...)})
	}
	if err := chartutil.ProcessDependencies(ch, vals); err != nil {
		return fail(chartFile, "helm: processing dependencies: %v", err)
	}
	caps := common.DefaultCapabilities.Copy()
	if kv := ch.Metadata.KubeVersion; kv != "" && !chartutil.IsCompatibleRange(kv, caps.KubeVersion.String()) {
		return fail(chartFile, "helm: chart requires kubeVersion %s, which is incompatible with Kubernetes %s", kv, caps.KubeVersion.Version)
	}
	ns := opts.HelmNamespace
	if ns == "" {
		ns = inventory.DefaultNamespace
	}
	name := opts.HelmRelease
	if name == "" {
		name = ReleaseName
	}
	rel := common.ReleaseOptions{Name: name, Namespace: ns, Revision: 1, IsInstall: true}
	rv, err := cutil.ToRenderValuesWithSchemaValidation(ch, vals, rel, caps, false)
	if err != nil {
		file := chartFile
		if ch.Schema != nil {
			file = src.file(ch.Name(), ch.Name()+"/values.schema.json")
		}
		return fail(file, "helm: %v", oneLine(err.Error()))
	}
	files, terrs := renderTemplates(src, ch, rv)
	return files, ns, append(errs, terrs...)
}

// renderChart renders the chart at src with vals (the user's values) and decodes what it
// renders. The chart's crds/ files are read as they are, with their own lines.
func renderChart(src chartSource, vals map[string]any, opts Options) ([]*inventory.Object, []inventory.Error) {
	ch, lerr := src.load(opts.MaxFileSize)
	if lerr != nil {
		return nil, []inventory.Error{*lerr}
	}
	files, ns, errs := renderChartText(&src, ch, vals, opts)
	if files == nil && len(errs) > 0 && ns == "" {
		return nil, errs
	}

	var objs []*inventory.Object
	add := func(got []*inventory.Object, es []inventory.Error, rendered bool) {
		for _, o := range got {
			o.Source.Rendered = rendered
			if opts.HelmNamespace != "" && o.Namespace == "" && !inventory.ClusterScoped(o.APIVersion, o.Kind) {
				// helm install -n NS puts objects without a namespace there.
				o.Meta.SetNamespace(ns)
				o.Namespace = ns
			}
		}
		if rendered {
			for i := range es {
				if es[i].Line > 0 {
					es[i].Message += " (line of the rendered template)"
				}
			}
		}
		objs, errs = append(objs, got...), append(errs, es...)
	}
	for _, crd := range ch.CRDObjects() {
		file := src.file(ch.Name(), filepath.ToSlash(crd.Filename))
		o, e := Decode(file, crd.File.Data)
		add(o, e, false)
	}
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if path.Base(name) == "NOTES.txt" || strings.TrimSpace(files[name]) == "" {
			continue
		}
		o, e := Decode(src.file(ch.Name(), name), []byte(files[name]))
		add(o, e, true)
	}
	return objs, errs
}

// missingDependencies reports dependencies that Chart.yaml lists but charts/ lacks, as
// `helm template` does; the chart is still rendered without them.
func missingDependencies(chartFile string, ch *chart.Chart) []inventory.Error {
	var errs []inventory.Error
	for _, d := range ch.Metadata.Dependencies {
		if !slices.ContainsFunc(ch.Dependencies(), func(c *chart.Chart) bool { return c.Name() == d.Name }) {
			errs = append(errs, inventory.Error{File: chartFile, Message: fmt.Sprintf(
				"helm: dependency %q is listed in Chart.yaml but missing from charts/ (run helm dependency build); rendered without it", d.Name)})
		}
	}
	return errs
}

// renderTemplates renders the chart's templates. Helm stops at the first broken template;
// here a broken template becomes an Error and the chart is rendered again without it, so
// that the other templates are still checked. A broken partial (_helpers.tpl) stops the
// chart: every template may use it.
func renderTemplates(src *chartSource, ch *chart.Chart, vals common.Values) (map[string]string, []inventory.Error) {
	var errs []inventory.Error
	seen := map[inventory.Error]bool{}
	for range len(allTemplates(ch)) + 1 {
		files, err := engine.Engine{}.RenderWithContext(context.Background(), ch, vals)
		if err == nil {
			return files, errs
		}
		failed, e := templateError(src, ch.Name(), err)
		// One mistake in a helper that many templates include is one Error.
		if k := (inventory.Error{File: e.File, Line: e.Line}); !seen[k] || e.Line == 0 {
			seen[k] = true
			errs = append(errs, e)
		}
		if failed == "" || strings.HasPrefix(path.Base(failed), "_") || !removeTemplate(ch, failed) {
			return nil, errs
		}
	}
	return nil, errs
}

// allTemplates lists the full names (chart/templates/x.yaml) of the templates of a chart
// and its subcharts, as the engine names them.
func allTemplates(ch *chart.Chart) []string {
	var out []string
	for _, t := range ch.Templates {
		out = append(out, path.Join(ch.ChartFullPath(), t.Name))
	}
	for _, d := range ch.Dependencies() {
		out = append(out, allTemplates(d)...)
	}
	return out
}

// removeTemplate drops the template with this full name from the chart or a subchart.
func removeTemplate(ch *chart.Chart, name string) bool {
	for i, t := range ch.Templates {
		if path.Join(ch.ChartFullPath(), t.Name) == name {
			ch.Templates = slices.Delete(slices.Clone(ch.Templates), i, i+1)
			return true
		}
	}
	for _, d := range ch.Dependencies() {
		if removeTemplate(d, name) {
			return true
		}
	}
	return false
}

// templateError turns a Helm render error into an Error at the innermost template position
// it names (the helper that failed rather than the template that included it), and returns
// the template that was being rendered (the outermost position).
func templateError(src *chartSource, chartName string, err error) (string, inventory.Error) {
	msg := oneLine(err.Error())
	e := inventory.Error{File: src.chartFile(), Message: "helm template: " + msg}
	re := regexp.MustCompile(`(` + regexp.QuoteMeta(chartName) + `/[^\s:()<>"]+)(?::(\d+))?`)
	locs := re.FindAllStringSubmatch(msg, -1)
	if len(locs) == 0 {
		return "", e
	}
	inner := locs[len(locs)-1]
	for i := len(locs) - 1; i >= 0; i-- {
		if locs[i][2] != "" {
			inner = locs[i] // the innermost position that has a line
			break
		}
	}
	e.File = src.file(chartName, inner[1])
	fmt.Sscan(inner[2], &e.Line)
	return locs[0][1], e
}

// file maps a name inside a rendered chart ("app/templates/x.yaml",
// "app/charts/db/templates/y.yaml") to the file under the chart directory, or to its path
// below the archive. A subchart packaged as an archive (charts/db-1.0.0.tgz) maps to that
// archive.
func (s *chartSource) file(chartName, name string) string {
	rest := strings.TrimPrefix(name, chartName+"/")
	if s.archive {
		base := filepath.Join(s.path, s.root)
		sub, ok := strings.CutPrefix(rest, "charts/")
		if !ok || slices.Contains(s.raw, rest) {
			return filepath.Join(base, filepath.FromSlash(rest))
		}
		sub, _, _ = strings.Cut(sub, "/")
		var tgz []string
		for _, f := range s.raw {
			if ok, _ := path.Match("charts/"+sub+"-*.tgz", f); ok {
				tgz = append(tgz, f)
			}
		}
		if len(tgz) == 1 {
			return filepath.Join(base, filepath.FromSlash(tgz[0]))
		}
		return filepath.Join(base, filepath.FromSlash(rest))
	}
	file := filepath.Join(s.path, filepath.FromSlash(rest))
	sub, ok := strings.CutPrefix(rest, "charts/")
	if !ok {
		return file
	}
	if _, err := os.Stat(file); err == nil {
		return file
	}
	sub, _, _ = strings.Cut(sub, "/")
	if m, _ := filepath.Glob(filepath.Join(s.path, "charts", sub+"-*.tgz")); len(m) == 1 {
		return m[0]
	}
	return file
}

// oneLine folds a multi-line error message (Helm's, kustomize's) into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
