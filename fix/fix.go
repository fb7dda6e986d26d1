// Package fix applies the suggested fixes that checks attach to their findings: it edits
// manifests in place, keeping comments, key order, quoting, indentation and document
// separators, and writes the objects a fix adds as new files next to the manifests of their
// namespace.
//
// Fix decides nothing itself. Which change resolves a finding, and with which value (a
// LimitRange's defaults, the Pod Security level `psa plan` finds safe, the policies `netpol
// generate` writes), is the check's business; the same fixes appear in `scan -o json`.
// Fix maps each edit to the YAML node tree of the object's source file and splices the
// smallest change into the original bytes; objects are never re-encoded.
package fix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/internal/parallel"
	"github.com/kubeharden/kubeharden/inventory"
)

// Options tune Plan.
type Options struct {
	// Checks are globs of check IDs ("podsecurity/*"); only their fixes are applied. Empty:
	// every check.
	Checks []string
	// Read returns a file's bytes; nil reads the file system. The CLI passes standard
	// input's bytes for load.StdinName.
	Read func(name string) ([]byte, error)
}

// Change is a file fix changes or creates.
type Change struct {
	Path string
	// Old is nil for a new file.
	Old, New []byte
}

// Skip is a fix that was not applied, and why.
type Skip struct {
	Check  string        `json:"check"`
	Object inventory.Ref `json:"object"`
	File   string        `json:"file,omitempty"`
	Reason string        `json:"reason"`
}

// Result is what Plan would change.
type Result struct {
	// Changes are the files to write, sorted by path.
	Changes []Change
	// Fixed counts the findings whose fixes are all applied.
	Fixed int
	// Skipped are fixes that could not be applied to files.
	Skipped []Skip
	// Patches are the fixes of objects that do not come from plain files (live objects,
	// chart and kustomize output), as sparse objects to apply; see patch.go.
	Patches []*Patch
}

// Selected returns the findings whose fixes fix applies: unsuppressed, with fixes, and
// from a check matching one of globs (every check when globs is empty).
func Selected(findings []check.Finding, globs []string) []check.Finding {
	var out []check.Finding
	for _, f := range findings {
		if f.Suppressed || len(f.Fixes) == 0 || !Matches(globs, f.Check) {
			continue
		}
		out = append(out, f)
	}
	return out
}

// Matches reports whether id matches one of globs (path.Match syntax); no globs match all.
func Matches(globs []string, id string) bool {
	if len(globs) == 0 {
		return true
	}
	for _, g := range globs {
		if ok, _ := path.Match(g, id); ok || g == id {
			return true
		}
	}
	return false
}

// where an object's edits go.
type target int

const (
	inFile target = iota
	asPatch
)

type objEdits struct {
	obj    *inventory.Object
	edits  []check.Edit
	checks []string
}

type created struct {
	edit  check.Edit
	dir   string
	fix   string
	check string
}

// Plan works out the changes that apply the fixes of findings (see Selected) to the files
// the objects of inv were read from. Objects read from a chart or a kustomization, or from a
// live cluster, get Patches instead.
func Plan(inv *inventory.Inventory, findings []check.Finding, opts Options) *Result {
	read := opts.Read
	if read == nil {
		read = os.ReadFile
	}
	res := &Result{}
	byObj := map[inventory.Ref]*objEdits{}
	var objOrder []inventory.Ref
	seen := map[string]bool{}
	var creates []created
	createdRefs := map[inventory.Ref]bool{}
	for _, f := range Selected(findings, opts.Checks) {
		fx := f.Fixes[0]
		for _, e := range fx.Edits {
			if e.Op == check.CreateObject {
				if e.New == nil || createdRefs[e.Object] || lookup(inv, e.Object) != nil {
					continue
				}
				createdRefs[e.Object] = true
				if f.File == "" {
					res.Patches = append(res.Patches, &Patch{Object: e.Object, Fields: e.New, Checks: []string{f.Check}, Created: true})
					continue
				}
				// An object added for a kustomization's or chart's objects belongs to the
				// kustomization as a resource, not next to a base's files.
				if o := lookup(inv, f.Object); o != nil && whereTo(o) == asPatch {
					res.Patches = append(res.Patches, &Patch{Object: e.Object, Source: o.Source, Fields: e.New, Checks: []string{f.Check}, Created: true})
					continue
				}
				creates = append(creates, created{edit: e, dir: dirFor(inv, f, e.Object), fix: fx.Message, check: f.Check})
				continue
			}
			key := dedupeKey(e)
			if seen[key] {
				continue
			}
			seen[key] = true
			o := lookup(inv, e.Object)
			if o == nil {
				res.Skipped = append(res.Skipped, Skip{Check: f.Check, Object: e.Object, Reason: "object not in the input"})
				continue
			}
			oe := byObj[e.Object]
			if oe == nil {
				oe = &objEdits{obj: o}
				byObj[e.Object] = oe
				objOrder = append(objOrder, e.Object)
			}
			oe.edits = append(oe.edits, e)
			oe.checks = append(oe.checks, f.Check)
		}
		res.Fixed++
	}

	// Edits of objects in plain files, by file; the others become patches.
	byFile := map[string][]*objEdits{}
	var files []string
	for _, ref := range objOrder {
		oe := byObj[ref]
		if whereTo(oe.obj) == asPatch {
			res.Patches = append(res.Patches, newPatch(oe))
			continue
		}
		name := oe.obj.Source.File
		if _, ok := byFile[name]; !ok {
			files = append(files, name)
		}
		byFile[name] = append(byFile[name], oe)
	}
	// Files are independent: edit them on every core, then collect in order.
	edited := make([]*Result, len(files))
	parallel.Each(len(files), runtime.GOMAXPROCS(0), func(i int) {
		edited[i] = editFile(files[i], byFile[files[i]], read)
	}, nil)
	for _, r := range edited {
		res.Changes = append(res.Changes, r.Changes...)
		res.Skipped = append(res.Skipped, r.Skipped...)
	}
	res.Changes = append(res.Changes, newFiles(creates, read)...)
	sort.SliceStable(res.Changes, func(i, j int) bool { return res.Changes[i].Path < res.Changes[j].Path })
	return res
}

// editFile applies the edits of the objects of one file.
func editFile(name string, oes []*objEdits, read func(string) ([]byte, error)) *Result {
	res := &Result{}
	old, err := read(name)
	if err != nil {
		res.skipAll(oes, err.Error())
		return res
	}
	f, err := parseFile(name, old)
	if err != nil {
		res.skipAll(oes, "cannot edit: "+err.Error())
		return res
	}
	for _, oe := range oes {
		root := f.locate(oe.obj)
		if root == nil {
			res.skipAll([]*objEdits{oe}, "cannot find the object in its file")
			continue
		}
		for i, e := range oe.edits {
			if err := f.edit(root, e); err != nil {
				res.Skipped = append(res.Skipped, Skip{Check: oe.checks[i], Object: oe.obj.Ref, File: name, Reason: err.Error()})
			}
		}
	}
	if err := f.flush(); err != nil {
		res.Skipped = append(res.Skipped, Skip{File: name, Reason: err.Error()})
	}
	out, err := f.apply()
	if err != nil {
		res.Skipped = append(res.Skipped, Skip{File: name, Reason: err.Error()})
	}
	if !bytes.Equal(out, old) {
		res.Changes = append(res.Changes, Change{Path: name, Old: old, New: out})
	}
	return res
}

func (r *Result) skipAll(oes []*objEdits, reason string) {
	for _, oe := range oes {
		for _, c := range oe.checks {
			r.Skipped = append(r.Skipped, Skip{Check: c, Object: oe.obj.Ref, File: oe.obj.Source.File, Reason: reason})
		}
	}
}

func dedupeKey(e check.Edit) string {
	v, _ := json.Marshal(e.Value)
	return string(e.Op) + "\x00" + e.Object.String() + "\x00" + e.Object.APIVersion + "\x00" + e.Path + "\x00" + string(v)
}

// lookup finds the object ref names.
func lookup(inv *inventory.Inventory, ref inventory.Ref) *inventory.Object {
	ns := ref.Namespace
	if ns == "" && !inventory.ClusterScoped(ref.APIVersion, ref.Kind) {
		ns = inventory.DefaultNamespace
	}
	return inv.Get(ref.Kind, ns, ref.Name)
}

// whereTo says whether an object's edits go into its file or into a patch: objects without
// a file (live), rendered by Helm, or built by kustomize (no line table of their own) cannot
// be edited where they were written.
func whereTo(o *inventory.Object) target {
	if o.Source.File == "" || o.Source.Rendered || o.Source.Build != "" || o.Lines == nil {
		return asPatch
	}
	if kustomizationName(filepath.Dir(o.Source.File)) != "" {
		return asPatch
	}
	return inFile
}

// stdinName is load.StdinName, which fix cannot import without a cycle through checks.
const stdinName = "<stdin>"

// locate finds the mapping node of o in the file: the one starting on o's line, of o's kind
// and name.
func (f *file) locate(o *inventory.Object) *yaml.Node {
	cands := f.byLine[o.Source.Line]
	for _, n := range cands {
		if k := get(n, "kind"); k != nil && k.Value != o.Kind {
			continue
		}
		if m := get(n, "metadata"); m != nil {
			if name := get(m, "name"); name != nil && name.Value != o.Name {
				continue
			}
		}
		return n
	}
	return nil
}

// dirFor is where a new object for a namespace goes: next to the Namespace's manifest, else
// next to the object the finding is on.
func dirFor(inv *inventory.Inventory, f check.Finding, ref inventory.Ref) string {
	if ref.Namespace != "" {
		if ns := inv.Namespace(ref.Namespace); ns != nil && ns.Source.File != "" && ns.Source.File != stdinName {
			return filepath.Dir(ns.Source.File)
		}
	}
	if f.File != "" && f.File != stdinName {
		return filepath.Dir(f.File)
	}
	return "."
}

// newFiles writes the objects fixes add, one file per directory and namespace
// ("kubeharden-shop.yaml"), appending to one a previous run wrote.
func newFiles(cs []created, read func(string) ([]byte, error)) []Change {
	byFile := map[string][]created{}
	var names []string
	for _, c := range cs {
		ns := c.edit.Object.Namespace
		if ns == "" {
			ns = "cluster"
		}
		name := filepath.Join(c.dir, "kubeharden-"+ns+".yaml")
		if _, ok := byFile[name]; !ok {
			names = append(names, name)
		}
		byFile[name] = append(byFile[name], c)
	}
	var out []Change
	for _, name := range names {
		objs := byFile[name]
		sort.SliceStable(objs, func(i, j int) bool {
			a, b := objs[i].edit.Object, objs[j].edit.Object
			if a.Kind != b.Kind {
				return a.Kind < b.Kind
			}
			return a.Name < b.Name
		})
		var b strings.Builder
		old, err := read(name)
		if err == nil {
			b.Write(old)
			if len(old) > 0 && !bytes.HasSuffix(old, []byte("\n")) {
				b.WriteString("\n")
			}
		} else {
			old = nil
		}
		st := style{step: 2, seqIndet: true}
		for i, c := range objs {
			if i > 0 || len(old) > 0 {
				b.WriteString("---\n")
			}
			fmt.Fprintf(&b, "# Added by kubeharden fix (%s): %s\n", c.check, oneLine(c.fix))
			if c.edit.Origin != "" {
				fmt.Fprintf(&b, "# Values from %s.\n", strings.TrimSuffix(oneLine(c.edit.Origin), "."))
			}
			v, err := normalize(c.edit.New)
			if err != nil {
				continue
			}
			st.block(&b, v, 0)
		}
		out = append(out, Change{Path: name, Old: old, New: []byte(b.String())})
	}
	return out
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
