package fix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

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
// post-renderer builds over the rendered manifests. Patches of live objects are left out.
func PatchFiles(ps []*Patch, read func(string) ([]byte, error)) []Change {
	type kdir struct {
		dir     string
		patches []string
		files   map[string]*strings.Builder
		helm    bool
	}
	dirs := map[string]*kdir{}
	var order []string
	for _, p := range ps {
		if p.Source.File == "" || p.Created || len(p.Fields) == 0 {
			continue
		}
		dir, helm := patchDir(p.Source)
		if dir == "" {
			continue
		}
		k := dirs[dir]
		if k == nil {
			k = &kdir{dir: dir, files: map[string]*strings.Builder{}, helm: helm}
			dirs[dir] = k
			order = append(order, dir)
		}
		name := strings.ToLower(p.Object.Kind) + "-" + p.Object.Name + ".yaml"
		if p.Object.Namespace != "" {
			name = p.Object.Namespace + "-" + name
		}
		b := k.files[name]
		if b == nil {
			b = &strings.Builder{}
			k.files[name] = b
			k.patches = append(k.patches, name)
		}
		fmt.Fprintf(b, "# kubeharden fix: %s\n%s", strings.Join(p.Checks, ", "), p.YAML())
	}
	var out []Change
	for _, dir := range order {
		k := dirs[dir]
		sub := "kubeharden-patches"
		if k.helm {
			sub = "kubeharden-postrender"
		}
		for _, name := range k.patches {
			path := dir + "/" + sub + "/" + name
			if k.helm {
				path = dir + "/" + sub + "/patches/" + name
			}
			old, err := read(path)
			if err != nil {
				old = nil
			}
			out = append(out, Change{Path: path, Old: old, New: []byte(k.files[name].String())})
		}
		if k.helm {
			var b strings.Builder
			b.WriteString("# Written by kubeharden fix: a post-renderer builds this kustomization over the\n" +
				"# chart's rendered manifests (saved as rendered.yaml) to apply the fixes the chart's values cannot.\n" +
				"apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - rendered.yaml\npatches:\n")
			for _, name := range k.patches {
				b.WriteString("  - path: patches/" + name + "\n")
			}
			path := dir + "/" + sub + "/kustomization.yaml"
			old, err := read(path)
			if err != nil {
				old = nil
			}
			out = append(out, Change{Path: path, Old: old, New: []byte(b.String())})
			continue
		}
		if c, ok := addPatches(dir, sub, k.patches, read); ok {
			out = append(out, c)
		}
	}
	return out
}

// patchDir is the kustomization or chart directory an object was built from.
func patchDir(src inventory.Source) (string, bool) {
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

// addPatches lists patch files in the kustomization's patches, editing it as fix edits
// manifests.
func addPatches(dir, sub string, names []string, read func(string) ([]byte, error)) (Change, bool) {
	kfile := kustomizationName(dir)
	old, err := read(kfile)
	if err != nil {
		return Change{}, false
	}
	f, err := parseFile(kfile, old)
	if err != nil || len(f.docs) == 0 || len(f.docs[0].Content) == 0 {
		return Change{}, false
	}
	root := f.docs[0].Content[0]
	for _, n := range names {
		if err := f.appendItem(root, []seg{{key: "patches", index: -1}}, map[string]any{"path": sub + "/" + n}); err != nil {
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
