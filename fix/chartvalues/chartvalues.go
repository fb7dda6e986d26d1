// Package chartvalues turns the fixes of objects rendered from a Helm chart into a values
// overlay (kubeharden-values.yaml, for helm's -f) wherever the chart exposes the field as a
// value, and leaves the rest to post-renderer patches.
//
// Which value renders into which field is learnt from the chart itself, not from a list of
// conventional names: the chart is rendered once with every string value replaced by a
// probe and a probe key added to every map value, and wherever a probe shows up in the
// rendered objects, that value feeds that field (a string directly, a map through toYaml
// or similar). A fix's field is then set through the value whose field is the field itself
// or its closest ancestor. Each choice is proven by rendering the chart with the overlay,
// scanning the result and planning the fixes again: what still needs fixing becomes the
// patches the post-renderer applies, and a value that did not take the fix's place is
// dropped from the overlay.
package chartvalues

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"helm.sh/helm/v4/pkg/chart/v2/loader"

	"github.com/kubeharden/kubeharden/fix"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
)

// FileName is the overlay's name, in the chart's directory.
const FileName = "kubeharden-values.yaml"

// Options are how the chart is read and judged: the user's Helm flags and scan options.
type Options struct {
	Load load.Options
	Scan scan.Options
	// Checks are globs of the checks whose fixes are applied (fix --check).
	Checks []string
}

// Setting is one value of the overlay and the field it fixes.
type Setting struct {
	Value  string // dotted values path, e.g. "securityContext.allowPrivilegeEscalation"
	Object inventory.Ref
	Field  string // the object's field, list items named by their merge key
}

// Result is the overlay for one chart.
type Result struct {
	// Values is the overlay, nil when the chart exposes none of the fixes.
	Values map[string]any
	// Settings say which value fixes which field, sorted.
	Settings []Setting
	// Rest are the fixes the overlay leaves, named as the chart renders the objects, for
	// the post-renderer (fix.PatchFiles).
	Rest []*fix.Patch
}

// binding is a value that renders into a field.
type binding struct {
	value []string // values path
	field []string // object field, list items as "[name=x]" or "[i]"
	isMap bool     // the whole map renders at field
}

// Overlay works out the overlay of the chart in dir for patches, the fixes fix.Plan made for
// objects rendered from it.
func Overlay(dir string, patches []*fix.Patch, opts Options) (*Result, error) {
	ch, err := loader.LoadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot load Helm chart %s: %w", dir, err)
	}
	vals := ch.Values
	for _, f := range opts.Load.HelmValues {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		m, err := loader.LoadValues(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		vals = loader.MergeMaps(vals, m)
	}
	bindings, err := discover(dir, vals, opts.Load)
	if err != nil {
		return nil, err
	}

	type cand struct {
		set  Setting
		path []string
		v    any
	}
	var cands []cand
	for _, p := range patches {
		if p.Created || !p.Source.Rendered {
			continue
		}
		byObj := bindings[objKey(p.Object.Kind, p.Object.Name)]
		leaves(p.Fields, nil, func(field []string, v any) {
			if len(field) > 0 && (field[0] == "apiVersion" || field[0] == "kind" || field[0] == "metadata") {
				return
			}
			if b, rest := closest(byObj, field); b != nil {
				path := append(append([]string{}, b.value...), rest...)
				cands = append(cands, cand{set: Setting{Value: strings.Join(path, "."), Object: p.Object, Field: strings.Join(field, ".")}, path: path, v: v})
			}
		})
	}
	overlay := func(keep func(int) bool) map[string]any {
		var out map[string]any
		for i, c := range cands {
			if keep(i) {
				if out == nil {
					out = map[string]any{}
				}
				setIn(out, c.path, c.v)
			}
		}
		return out
	}
	all := overlay(func(int) bool { return true })
	rest, err := replan(dir, all, opts)
	if err != nil {
		// The chart does not render with the values (a schema that forbids them, a template
		// that chokes): everything is left to the post-renderer.
		texts, _ := load.ChartText(dir, opts.Load)
		asRendered(patches, texts)
		return &Result{Rest: patches}, nil
	}
	// A value whose field still needs the same fix did not take: drop it.
	left := map[string]bool{}
	for _, p := range rest {
		leaves(p.Fields, nil, func(field []string, v any) {
			left[objKey(p.Object.Kind, p.Object.Name)+"\x00"+strings.Join(field, ".")] = true
		})
	}
	kept := map[int]bool{}
	for i, c := range cands {
		if !left[objKey(c.set.Object.Kind, c.set.Object.Name)+"\x00"+c.set.Field] {
			kept[i] = true
		}
	}
	res := &Result{Values: overlay(func(i int) bool { return kept[i] }), Rest: rest}
	if len(kept) < len(cands) {
		if res.Rest, err = replan(dir, res.Values, opts); err != nil {
			return nil, err
		}
	}
	for i, c := range cands {
		if kept[i] {
			res.Settings = append(res.Settings, c.set)
		}
	}
	sort.Slice(res.Settings, func(i, j int) bool { return res.Settings[i].Value < res.Settings[j].Value })
	return res, nil
}

// replan renders the chart with overlay, scans it and plans its fixes: the patches left.
func replan(dir string, overlay map[string]any, opts Options) ([]*fix.Patch, error) {
	lo := opts.Load
	if overlay != nil {
		f, err := writeTemp(overlay)
		if err != nil {
			return nil, err
		}
		defer os.Remove(f)
		lo.HelmValues = append(append([]string{}, lo.HelmValues...), f)
	}
	objs, errs := load.Files([]string{dir}, lo)
	if len(errs) > 0 {
		return nil, fmt.Errorf("rendering %s with the overlay: %s", dir, errs[0].Error())
	}
	inv := inventory.Build(objs)
	r := scan.Run(inv, opts.Scan)
	plan := fix.Plan(inv, r.Findings, fix.Options{Checks: opts.Checks})
	texts, _ := load.ChartText(dir, lo)
	asRendered(plan.Patches, texts)
	return plan.Patches, nil
}

// asRendered names the patched objects as the chart renders them: without the namespace
// the loader gives objects that have none, since the post-renderer sees them without.
func asRendered(ps []*fix.Patch, texts map[string]string) {
	hasNS := map[string]bool{}
	for _, text := range texts {
		eachDoc(text, func(doc map[string]any) {
			m, _ := doc["metadata"].(map[string]any)
			if ns, _ := m["namespace"].(string); ns != "" {
				kind, _ := doc["kind"].(string)
				name, _ := m["name"].(string)
				hasNS[objKey(kind, name)] = true
			}
		})
	}
	for _, p := range ps {
		if p.Created || hasNS[objKey(p.Object.Kind, p.Object.Name)] {
			continue
		}
		if m, ok := p.Fields["metadata"].(map[string]any); ok {
			delete(m, "namespace")
		}
	}
}

func writeTemp(v map[string]any) (string, error) {
	b, err := yaml.Marshal(v)
	if err != nil {
		return "", err
	}
	f, err := os.CreateTemp("", "kubeharden-values-*.yaml")
	if err != nil {
		return "", err
	}
	defer f.Close()
	if _, err := f.Write(b); err != nil {
		return "", err
	}
	return f.Name(), nil
}

func objKey(kind, name string) string { return kind + "/" + name }

// closest is the binding that sets field: a string value rendered at field itself, or a
// map value rendered at field's closest ancestor, with the rest of field below it (no list
// items: a map value cannot name them).
func closest(bs []binding, field []string) (*binding, []string) {
	var best *binding
	for i := range bs {
		b := &bs[i]
		if len(b.field) > len(field) || !prefix(b.field, field) {
			continue
		}
		if !b.isMap && len(b.field) != len(field) {
			continue
		}
		if b.isMap && hasItem(field[len(b.field):]) {
			continue
		}
		if best == nil || len(b.field) > len(best.field) {
			best = b
		}
	}
	if best == nil {
		return nil, nil
	}
	return best, field[len(best.field):]
}

func prefix(p, s []string) bool {
	for i := range p {
		if p[i] != s[i] {
			return false
		}
	}
	return true
}

func hasItem(segs []string) bool {
	for _, s := range segs {
		if strings.HasPrefix(s, "[") {
			return true
		}
	}
	return false
}

// leaves calls f with every field a sparse object sets: list items with a name are walked
// into as "[name=x]", other lists are values.
func leaves(v any, path []string, f func([]string, any)) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			leaves(x[k], append(append([]string{}, path...), k), f)
		}
		return
	case []any:
		named := len(x) > 0
		for _, it := range x {
			m, ok := it.(map[string]any)
			if _, has := m["name"].(string); !ok || !has {
				named = false
			}
		}
		if named {
			for _, it := range x {
				m := it.(map[string]any)
				item := append(append([]string{}, path...), "[name="+m["name"].(string)+"]")
				for k, e := range m {
					if k != "name" {
						leaves(e, append(append([]string{}, item...), k), f)
					}
				}
			}
			return
		}
	}
	f(path, v)
}

// setIn sets path in m to v, making maps on the way.
func setIn(m map[string]any, path []string, v any) {
	for _, k := range path[:len(path)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

// probe is the marker of value n.
func probe(n int) string { return "kubeharden-probe-" + strconv.Itoa(n) }

// discover renders the chart with probes in place of its values and reports, by object,
// which value renders into which field. Probing strings can break a template that compares
// or converts them; then only maps are probed, and if that fails too, nothing is learnt.
func discover(dir string, vals map[string]any, lo load.Options) (map[string][]binding, error) {
	for _, strs := range []bool{true, false} {
		var paths [][]string
		probed := probeValues(vals, nil, strs, &paths)
		f, err := writeTemp(probed)
		if err != nil {
			return nil, err
		}
		o := lo
		o.HelmValues = append(append([]string{}, lo.HelmValues...), f)
		texts, errs := load.ChartText(dir, o)
		os.Remove(f)
		if len(errs) > 0 {
			continue
		}
		out := map[string][]binding{}
		names := make([]string, 0, len(texts))
		for n := range texts {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			eachDoc(texts[n], func(doc map[string]any) {
				kind, _ := doc["kind"].(string)
				m, _ := doc["metadata"].(map[string]any)
				name, _ := m["name"].(string)
				k := objKey(kind, name)
				find(doc, nil, func(field []string, n int, isMap bool) {
					if n < len(paths) {
						out[k] = append(out[k], binding{value: paths[n], field: field, isMap: isMap})
					}
				})
			})
		}
		return out, nil
	}
	return nil, nil
}

// probeValues copies vals with probes: string values replaced (when strs), and a probe key
// added to every map, empty or null ones included. paths gets each probe's values path.
func probeValues(v map[string]any, path []string, strs bool, paths *[][]string) map[string]any {
	out := map[string]any{}
	for k, x := range v {
		p := append(append([]string{}, path...), k)
		switch y := x.(type) {
		case map[string]any:
			out[k] = probeValues(y, p, strs, paths)
		case nil:
			out[k] = probeValues(map[string]any{}, p, strs, paths)
		case string:
			if strs {
				*paths = append(*paths, p)
				out[k] = probe(len(*paths) - 1)
			} else {
				out[k] = y
			}
		default:
			out[k] = y
		}
	}
	*paths = append(*paths, path)
	out[probeKey(len(*paths)-1)] = "x"
	return out
}

func probeKey(n int) string { return "kubehardenProbe" + strconv.Itoa(n) }

// find reports the probes in a rendered object: a probe string as a field's value, a probe
// key in a map (the map is the value's).
func find(v any, path []string, f func([]string, int, bool)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if n, ok := strings.CutPrefix(k, "kubehardenProbe"); ok {
				if i, err := strconv.Atoi(n); err == nil && len(path) > 0 {
					f(path, i, true)
				}
				continue
			}
			find(e, append(append([]string{}, path...), k), f)
		}
	case []any:
		for i, e := range x {
			seg := "[" + strconv.Itoa(i) + "]"
			if m, ok := e.(map[string]any); ok {
				if n, ok := m["name"].(string); ok {
					seg = "[name=" + n + "]"
				}
			}
			find(e, append(append([]string{}, path...), seg), f)
		}
	case string:
		if n, ok := strings.CutPrefix(x, "kubeharden-probe-"); ok {
			if i, err := strconv.Atoi(n); err == nil {
				f(path, i, false)
			}
		}
	}
}

// eachDoc decodes the YAML documents of text that are objects.
func eachDoc(text string, f func(map[string]any)) {
	dec := yaml.NewDecoder(strings.NewReader(text))
	for {
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			return
		}
		if doc != nil {
			f(doc)
		}
	}
}

// Path is where the overlay of the chart in dir is written.
func Path(dir string) string { return filepath.Join(dir, FileName) }

// header starts the overlay file.
const header = `# Written by kubeharden fix: values that make this chart render the fixes it exposes.
# The rest are patches in kubeharden-postrender/, worked out for the release name given to
# kubeharden fix --release-name (default "release"):
#   helm template RELEASE CHART -f CHART/kubeharden-values.yaml > CHART/kubeharden-postrender/rendered.yaml
#   kubectl kustomize CHART/kubeharden-postrender | kubectl apply -f -
`

// File is the overlay file of the chart in dir with values added: old (a previous run's
// file, or nil) merged with values, which win.
func File(old []byte, values map[string]any) ([]byte, error) {
	merged := map[string]any{}
	if len(old) > 0 {
		m, err := loader.LoadValues(bytes.NewReader(old))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", FileName, err)
		}
		merged = m
	}
	merged = loader.MergeMaps(merged, values)
	var b bytes.Buffer
	b.WriteString(header)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(merged); err != nil {
		return nil, err
	}
	return b.Bytes(), enc.Close()
}
