package fix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// Patch is the fixes of one object that is not edited in a file, as a sparse object: its
// identity and the fields the fixes set, with list items named by their merge key ("name").
// It is at once a strategic merge patch (kubectl patch, kustomize patches) and a
// server-side apply configuration.
type Patch struct {
	Object inventory.Ref
	Source inventory.Source
	// Fields is the sparse object.
	Fields map[string]any
	Checks []string
	// Created says the patch is a whole new object.
	Created bool
	// Errors are edits that could not be expressed.
	Errors []string
}

func newPatch(oe *objEdits) *Patch {
	p := &Patch{Object: oe.obj.Ref, Source: oe.obj.Source, Checks: oe.checks}
	full, err := runtime.DefaultUnstructuredConverter.ToUnstructured(oe.obj.Obj)
	if err != nil {
		p.Errors = append(p.Errors, err.Error())
		return p
	}
	full, _ = normalizeMap(full)
	meta := map[string]any{"name": oe.obj.Name}
	if oe.obj.Namespace != "" {
		meta["namespace"] = oe.obj.Namespace
	}
	p.Fields = map[string]any{"apiVersion": oe.obj.APIVersion, "kind": oe.obj.Kind, "metadata": meta}
	for _, e := range oe.edits {
		if err := p.apply(full, e); err != nil {
			p.Errors = append(p.Errors, e.Path+": "+err.Error())
		}
	}
	return p
}

func normalizeMap(m map[string]any) (map[string]any, error) {
	v, err := normalize(m)
	if err != nil {
		return m, err
	}
	out, _ := v.(map[string]any)
	return out, nil
}

// apply sets e in the sparse object, reading list items and current lists from full.
func (p *Patch) apply(full map[string]any, e check.Edit) error {
	segs, err := parsePath(e.Path)
	if err != nil {
		return err
	}
	v, err := normalize(e.Value)
	if err != nil {
		return err
	}
	var cur any = full
	sparse := p.Fields
	n := len(segs) - 1
	for i := 0; i < n; i++ {
		s := segs[i]
		if s.isIndex() {
			return fmt.Errorf("unexpected index")
		}
		cm, _ := cur.(map[string]any)
		child := cm[s.key]
		if segs[i+1].isIndex() {
			if i+1 == n {
				return fmt.Errorf("cannot set a list item")
			}
			idx := segs[i+1].index
			i++
			list, _ := child.([]any)
			if idx >= len(list) {
				return fmt.Errorf("%s has no item %d", s.key, idx)
			}
			item, _ := list[idx].(map[string]any)
			name, ok := item["name"].(string)
			if !ok {
				return fmt.Errorf("items of %s have no name to merge by", s.key)
			}
			sl, _ := sparse[s.key].([]any)
			var si map[string]any
			for _, x := range sl {
				if xm, _ := x.(map[string]any); xm["name"] == name {
					si = xm
				}
			}
			if si == nil {
				si = map[string]any{"name": name}
				sparse[s.key] = append(sl, si)
			}
			sparse, cur = si, item
			continue
		}
		sm, _ := sparse[s.key].(map[string]any)
		if sm == nil {
			sm = map[string]any{}
			sparse[s.key] = sm
		}
		sparse, cur = sm, child
	}
	last := segs[n]
	if last.isIndex() {
		return fmt.Errorf("cannot set a list item")
	}
	cm, _ := cur.(map[string]any)
	switch e.Op {
	case check.SetField:
		sparse[last.key] = v
	case check.AppendItem:
		// Lists without a merge key are replaced whole, by strategic merge and by apply.
		l, _ := cm[last.key].([]any)
		for _, x := range l {
			if equal(x, v) {
				return nil
			}
		}
		sparse[last.key] = append(append([]any{}, l...), v)
	case check.RemoveField:
		sparse[last.key] = nil
	default:
		return fmt.Errorf("edit %q", e.Op)
	}
	return nil
}

// JSON is the patch as JSON, for kubectl patch --type=strategic.
func (p *Patch) JSON() string {
	b, _ := json.Marshal(p.Fields)
	return string(b)
}

// YAML is the patch as a YAML document.
func (p *Patch) YAML() string {
	var b strings.Builder
	st := style{step: 2, seqIndet: true}
	st.block(&b, p.Fields, 0)
	return b.String()
}

// PatchFiles writes the patches of objects built by kustomize or rendered by Helm as
// strategic-merge patch files: for a kustomization, under its kubeharden-patches/ and listed
// in its patches; for a chart, in a kustomization under its kubeharden-postrender/, which a
// post-renderer builds over the rendered manifests. Objects fixes add become resources of
// the same kustomization. Patches of live objects are left out. A file a previous run wrote
// is kept: new patches get new names, and the kustomization is edited, not rewritten.
func PatchFiles(ps []*Patch, read func(string) ([]byte, error)) []Change {
	type kdir struct {
		dir                string
		sub                string
		patches, resources []string
		files              map[string]*strings.Builder
		helm               bool
	}
	dirs := map[string]*kdir{}
	var order []string
	for _, p := range ps {
		if p.Source.File == "" || len(p.Fields) == 0 {
			continue
		}
		dir, helm := patchDir(p.Source)
		if dir == "" {
			continue
		}
		k := dirs[dir]
		if k == nil {
			k = &kdir{dir: dir, sub: "kubeharden-patches", files: map[string]*strings.Builder{}, helm: helm}
			if helm {
				k.sub = "kubeharden-postrender"
			}
			dirs[dir] = k
			order = append(order, dir)
		}
		name := strings.ToLower(p.Object.Kind) + "-" + p.Object.Name
		if p.Object.Namespace != "" {
			name = p.Object.Namespace + "-" + name
		}
		if p.Created {
			name = "new-" + name
		}
		if k.helm {
			name = "patches/" + name
		}
		b := k.files[name]
		if b == nil {
			b = &strings.Builder{}
			k.files[name] = b
			// Never overwrite what an earlier run wrote: its patches are listed already.
			file := name + ".yaml"
			for i := 2; ; i++ {
				if _, err := read(filepath.Join(dir, k.sub, file)); err != nil {
					break
				}
				file = fmt.Sprintf("%s-%d.yaml", name, i)
			}
			k.files[file] = b
			delete(k.files, name)
			if p.Created {
				k.resources = append(k.resources, file)
			} else {
				k.patches = append(k.patches, file)
			}
		}
		if b.Len() > 0 {
			b.WriteString("---\n")
		}
		if p.Source.Build != "" && !p.Created {
			p = asWritten(p, read)
		}
		fmt.Fprintf(b, "# kubeharden fix: %s\n%s", strings.Join(p.Checks, ", "), p.YAML())
	}
	var out []Change
	for _, dir := range order {
		k := dirs[dir]
		for _, name := range append(append([]string{}, k.patches...), k.resources...) {
			path := filepath.Join(dir, k.sub, name)
			out = append(out, Change{Path: path, New: []byte(k.files[name].String())})
		}
		kfile, prefix := kustomizationName(dir), k.sub+"/"
		var empty []byte
		if k.helm {
			kfile, prefix = filepath.Join(dir, k.sub, "kustomization.yaml"), ""
			empty = []byte("# Written by kubeharden fix: a post-renderer builds this kustomization over the\n" +
				"# chart's rendered manifests (saved as rendered.yaml) to apply the fixes the chart's values cannot.\n" +
				"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - rendered.yaml\n")
		}
		if c, ok := listIn(kfile, empty, prefix, k.patches, k.resources, read); ok {
			out = append(out, c)
		}
	}
	return out
}

// asWritten is p naming its object as the document it came from does: a kustomization
// applies its patches before its own namespace and name prefix, and matches them by any
// name the object had on the way.
func asWritten(p *Patch, read func(string) ([]byte, error)) *Patch {
	src, err := read(p.Source.File)
	if err != nil {
		return p
	}
	f, err := parseFile(p.Source.File, src)
	if err != nil {
		return p
	}
	for _, n := range f.byLine[p.Source.Line] {
		if k := get(n, "kind"); k == nil || k.Value != p.Object.Kind {
			continue
		}
		m := get(n, "metadata")
		if m == nil {
			return p
		}
		meta := map[string]any{}
		for _, key := range []string{"name", "namespace"} {
			if v := get(m, key); v != nil && v.Kind == yaml.ScalarNode {
				meta[key] = v.Value
			}
		}
		q := *p
		q.Fields = map[string]any{}
		for k, v := range p.Fields {
			q.Fields[k] = v
		}
		q.Fields["metadata"] = meta
		return &q
	}
	return p
}

// ChartDir is the directory of the chart an object was rendered from, or "".
func ChartDir(src inventory.Source) string {
	if !src.Rendered {
		return ""
	}
	dir, helm := patchDir(src)
	if !helm {
		return ""
	}
	return dir
}

// patchDir is the kustomization or chart directory an object was built from.
func patchDir(src inventory.Source) (string, bool) {
	if src.Build != "" {
		return src.Build, false
	}
	dir := filepath.Dir(src.File)
	for d := dir; ; {
		if src.Rendered {
			if _, err := os.Stat(filepath.Join(d, "Chart.yaml")); err == nil {
				return d, true
			}
		} else if kustomizationName(d) != "" {
			return d, false
		}
		up := filepath.Dir(d)
		if up == d {
			return "", false
		}
		d = up
	}
}

func kustomizationName(dir string) string {
	for _, n := range []string{"kustomization.yaml", "kustomization.yml", "Kustomization"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			return filepath.Join(dir, n)
		}
	}
	return ""
}

// listIn adds patch files to the patches of the kustomization kfile and new objects' files
// to its resources, editing it as fix edits manifests. A missing kfile starts as empty
// (nil: nothing is written).
func listIn(kfile string, empty []byte, prefix string, patches, resources []string, read func(string) ([]byte, error)) (Change, bool) {
	old, err := read(kfile)
	src := old
	if err != nil {
		if empty == nil {
			return Change{}, false
		}
		old, src = nil, empty
	}
	f, err := parseFile(kfile, src)
	if err != nil || len(f.docs) == 0 || len(f.docs[0].Content) == 0 {
		return Change{}, false
	}
	root := f.docs[0].Content[0]
	for _, n := range resources {
		if err := f.appendItem(root, []seg{{key: "resources", index: -1}}, prefix+n); err != nil {
			return Change{}, false
		}
	}
	for _, n := range patches {
		if err := f.appendItem(root, []seg{{key: "patches", index: -1}}, map[string]any{"path": prefix + n}); err != nil {
			return Change{}, false
		}
	}
	if f.flush() != nil {
		return Change{}, false
	}
	out, err := f.apply()
	if err != nil || bytes.Equal(out, old) {
		return Change{}, false
	}
	return Change{Path: kfile, Old: old, New: out}, true
}
