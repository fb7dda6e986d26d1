package load

import (
	"bytes"
	"context"
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

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// This file renders Helm charts in process, as `helm template` does: client only, with
// Helm's default capabilities, no lookups against a cluster and no DNS. Objects point at
// the template they came from; their lines count lines of that template's rendered
// output (Source.Rendered), since a template's own lines do not map to the objects'.

// ReleaseName is the release name charts are rendered with.
const ReleaseName = "release"

// helmValues reads Helm's --values files and applies --set, as helm does: files merged in
// order, then each --set.
func helmValues(opts Options) (map[string]any, []check.Error) {
	vals := map[string]any{}
	var errs []check.Error
	limit := opts.MaxFileSize
	if limit <= 0 {
		limit = DefaultMaxFileSize
	}
	for _, f := range opts.HelmValues {
		data, msg := readFile(f, limit)
		if msg != "" {
			errs = append(errs, check.Error{File: f, Message: "values file " + msg})
			continue
		}
		m, err := loader.LoadValues(bytes.NewReader(data))
		if err != nil {
			errs = append(errs, check.Error{File: f, Message: "invalid values file: " + err.Error()})
			continue
		}
		vals = loader.MergeMaps(vals, m)
	}
	for _, s := range opts.HelmSet {
		if err := strvals.ParseInto(s, vals); err != nil {
			// Name the key only: the value may be a secret.
			key, _, _ := strings.Cut(s, "=")
			errs = append(errs, check.Error{Message: fmt.Sprintf("--set %s: %v", key, err)})
		}
	}
	return vals, errs
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

// renderChart renders the chart in dir with vals (the user's values) and decodes what it
// renders. The chart's crds/ files are read as they are, with their own lines.
func renderChart(dir string, vals map[string]any, opts Options) ([]*inventory.Object, []check.Error) {
	chartFile := filepath.Join(dir, "Chart.yaml")
	ch, err := loader.LoadDir(dir)
	if err != nil {
		return nil, []check.Error{{File: chartFile, Message: "cannot load Helm chart: " + err.Error()}}
	}
	errs := missingDependencies(chartFile, ch)
	fail := func(file, format string, args ...any) ([]*inventory.Object, []check.Error) {
		return nil, append(errs, check.Error{File: file, Message: fmt.Sprintf(format, args...)})
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
	rel := common.ReleaseOptions{Name: ReleaseName, Namespace: ns, Revision: 1, IsInstall: true}
	rv, err := cutil.ToRenderValuesWithSchemaValidation(ch, vals, rel, caps, false)
	if err != nil {
		file := filepath.Join(dir, "values.schema.json")
		if _, serr := os.Stat(file); serr != nil {
			file = chartFile
		}
		return fail(file, "helm: %v", oneLine(err.Error()))
	}

	var objs []*inventory.Object
	add := func(got []*inventory.Object, es []check.Error, rendered bool) {
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
		file := chartPath(dir, ch.Name(), filepath.ToSlash(crd.Filename))
		o, e := Decode(file, crd.File.Data)
		add(o, e, false)
	}
	files, terrs := renderTemplates(dir, ch, rv)
	errs = append(errs, terrs...)
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if path.Base(name) == "NOTES.txt" || strings.TrimSpace(files[name]) == "" {
			continue
		}
		o, e := Decode(chartPath(dir, ch.Name(), name), []byte(files[name]))
		add(o, e, true)
	}
	return objs, errs
}

// missingDependencies reports dependencies that Chart.yaml lists but charts/ lacks, as
// `helm template` does; the chart is still rendered without them.
func missingDependencies(chartFile string, ch *chart.Chart) []check.Error {
	var errs []check.Error
	for _, d := range ch.Metadata.Dependencies {
		if !slices.ContainsFunc(ch.Dependencies(), func(c *chart.Chart) bool { return c.Name() == d.Name }) {
			errs = append(errs, check.Error{File: chartFile, Message: fmt.Sprintf(
				"helm: dependency %q is listed in Chart.yaml but missing from charts/ (run helm dependency build); rendered without it", d.Name)})
		}
	}
	return errs
}

// renderTemplates renders the chart's templates. Helm stops at the first broken template;
// here a broken template becomes an Error and the chart is rendered again without it, so
// that the other templates are still checked. A broken partial (_helpers.tpl) stops the
// chart: every template may use it.
func renderTemplates(dir string, ch *chart.Chart, vals common.Values) (map[string]string, []check.Error) {
	var errs []check.Error
	seen := map[check.Error]bool{}
	for range len(allTemplates(ch)) + 1 {
		files, err := engine.Engine{}.RenderWithContext(context.Background(), ch, vals)
		if err == nil {
			return files, errs
		}
		failed, e := templateError(dir, ch.Name(), err)
		// One mistake in a helper that many templates include is one Error.
		if k := (check.Error{File: e.File, Line: e.Line}); !seen[k] || e.Line == 0 {
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
func templateError(dir, chartName string, err error) (string, check.Error) {
	msg := oneLine(err.Error())
	e := check.Error{File: filepath.Join(dir, "Chart.yaml"), Message: "helm template: " + msg}
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
	e.File = chartPath(dir, chartName, inner[1])
	fmt.Sscan(inner[2], &e.Line)
	return locs[0][1], e
}

// chartPath maps a name inside a rendered chart ("app/templates/x.yaml",
// "app/charts/db/templates/y.yaml") to the file under the chart directory dir. A subchart
// packaged as an archive (charts/db-1.0.0.tgz) maps to the archive.
func chartPath(dir, chartName, name string) string {
	rest := strings.TrimPrefix(name, chartName+"/")
	file := filepath.Join(dir, filepath.FromSlash(rest))
	sub, ok := strings.CutPrefix(rest, "charts/")
	if !ok {
		return file
	}
	if _, err := os.Stat(file); err == nil {
		return file
	}
	sub, _, _ = strings.Cut(sub, "/")
	if m, _ := filepath.Glob(filepath.Join(dir, "charts", sub+"-*.tgz")); len(m) == 1 {
		return m[0]
	}
	return file
}
