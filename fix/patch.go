package fix

import (
	"encoding/json"
	"fmt"
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
