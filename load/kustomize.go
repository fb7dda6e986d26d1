package load

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/kubeharden/kubeharden/inventory"
)

// This file builds kustomizations in process, as `kustomize build` does, on the real file
// system, with plugins, exec functions and Helm inflation off and nothing fetched over the
// network: a remote base or resource becomes an Error instead.
//
// Each object points at the file it came from: kustomize's origin tracking is switched on
// for the build (and its annotations removed again unless the kustomization asked for
// them), and the object's fields take their lines from its document in that file, matched
// by kind and name. A field a patch or transformer set has the line of the same field, or
// of its closest ancestor, in that document. Generated objects (configMapGenerator,
// secretGenerator) point at the generator in the kustomization that configured them.

// buildKustomization builds the kustomization in dir (real is its real path) and returns
// its objects, errors, and the real paths of every file the build read.
func buildKustomization(dir, real string) ([]*inventory.Object, []inventory.Error, []string) {
	fsys := &recordFS{FileSystem: filesys.MakeFsOnDisk(), dir: dir, top: real}
	kfile := filepath.Join(dir, kustomizationFile(dir))
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	m, err := k.Run(fsys, real)
	errs := fsys.errs
	if err != nil {
		return nil, append(errs, kustomizeError(dir, real, kfile, err)), fsys.realRead()
	}
	var objs []*inventory.Object
	sources := map[string][]*inventory.Object{} // origin file → its documents
	used := map[*inventory.Object]bool{}
	for _, res := range m.Resources() {
		origin, oerr := res.GetOrigin()
		if !fsys.userOrigin {
			if err := res.SetOrigin(nil); err != nil {
				errs = append(errs, inventory.Error{File: kfile, Message: "kustomize: " + err.Error()})
			}
		}
		data, err := res.AsYAML()
		if err != nil {
			errs = append(errs, inventory.Error{File: kfile, Message: "kustomize: " + err.Error()})
			continue
		}
		file, line := kfile, 0
		var orig *inventory.Object
		switch {
		case oerr != nil || origin == nil || origin.Repo != "":
		case origin.Path != "":
			file = filepath.Join(dir, origin.Path)
			docs, ok := sources[file]
			if !ok {
				if b, err := os.ReadFile(file); err == nil {
					docs, _ = Decode(file, b)
				}
				sources[file] = docs
			}
			orig = match(docs, res, used)
		case origin.ConfiguredIn != "":
			file = filepath.Join(dir, origin.ConfiguredIn)
			line = generatorLine(file, origin.ConfiguredBy.Kind, res.GetName())
		}
		got, derrs := Decode(file, data)
		for _, o := range got {
			o.Source, o.Lines = inventory.Source{File: file, Line: line}, nil
			if orig != nil {
				o.Source.Line, o.Lines = orig.Source.Line, orig.Lines
			}
		}
		for _, e := range derrs {
			// Lines of kustomize's output mean nothing to the reader: point at the object.
			e.Line = line
			if orig != nil {
				e.Line = orig.Source.Line
			}
			e.Message += " (in kustomize's output)"
			errs = append(errs, e)
		}
		objs = append(objs, got...)
	}
	return objs, errs, fsys.realRead()
}

// kustomizationFile is the name of dir's kustomization file.
func kustomizationFile(dir string) string {
	for _, n := range kustomizationNames {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			return n
		}
	}
	return kustomizationNames[0]
}

// match finds the document in its origin file that a built resource came from: same kind,
// and the longest name that the built name contains (namePrefix and nameSuffix only add to
// it); the first unused one when several fit. A file with one document of that kind is
// that document whatever the name.
func match(docs []*inventory.Object, res *resource.Resource, used map[*inventory.Object]bool) *inventory.Object {
	kind, name := res.GetKind(), res.GetName()
	var same []*inventory.Object
	for _, d := range docs {
		if d.Kind == kind {
			same = append(same, d)
		}
	}
	var best *inventory.Object
	for _, d := range same {
		if d.Name == "" || !strings.Contains(name, d.Name) {
			continue
		}
		if best == nil || len(d.Name) > len(best.Name) || len(d.Name) == len(best.Name) && used[best] && !used[d] {
			best = d
		}
	}
	if best == nil && len(same) == 1 {
		best = same[0]
	}
	if best != nil {
		used[best] = true
	}
	return best
}

// generatorLine is the line of the entry in a kustomization's configMapGenerator or
// secretGenerator (kind ConfigMapGenerator or SecretGenerator) that generated the object
// named name: the longest entry name that name contains (prefixes and the hash suffix only
// add to it).
func generatorLine(file, kind, name string) int {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	var doc yaml.Node
	if yaml.Unmarshal(b, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return 0
	}
	list := mapValue(doc.Content[0], strings.ToLower(kind[:1])+kind[1:])
	if kind == "" || list == nil {
		return 0
	}
	line, best := 0, ""
	for _, item := range list.Content {
		if v := mapValue(item, "name"); v != nil && strings.Contains(name, v.Value) && len(v.Value) > len(best) {
			line, best = item.Line, v.Value
		}
	}
	return line
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

var missingEntry = regexp.MustCompile(`accumulating resources from '([^']+)'`)

// kustomizeError turns a failed build into an Error on the kustomization file, at the
// entry that failed when the message names one, with absolute paths made relative again.
func kustomizeError(dir, real, kfile string, err error) inventory.Error {
	msg := oneLine(err.Error())
	e := inventory.Error{File: kfile}
	if m := missingEntry.FindStringSubmatch(msg); m != nil {
		e.Line = entryLine(kfile, m[1])
	}
	msg = strings.ReplaceAll(msg, real+string(filepath.Separator), "")
	msg = strings.ReplaceAll(msg, real, dir)
	if wd, werr := os.Getwd(); werr == nil {
		msg = strings.ReplaceAll(msg, wd+string(filepath.Separator), "")
	}
	e.Message = "kustomize build: " + msg
	return e
}

// entryLine is the line of the list entry value in a kustomization file.
func entryLine(file, value string) int {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	for i, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if v, ok := strings.CutPrefix(l, "-"); ok && strings.Trim(strings.TrimSpace(v), `"'`) == value {
			return i + 1
		}
	}
	return 0
}

// recordFS is the real file system as kustomize sees it for one build: it records the
// files read, turns on origin tracking in the top kustomization, and drops remote entries
// from every kustomization read (reporting each).
type recordFS struct {
	filesys.FileSystem
	dir, top   string // the kustomization directory as named and its real path
	read       []string
	errs       []inventory.Error
	userOrigin bool // the top kustomization asked for origin annotations itself
}

func (f *recordFS) Open(p string) (filesys.File, error) {
	r, err := f.FileSystem.Open(p)
	if err == nil {
		f.read = append(f.read, p)
	}
	return r, err
}

func (f *recordFS) ReadFile(p string) ([]byte, error) {
	data, err := f.FileSystem.ReadFile(p)
	if err != nil {
		return data, err
	}
	f.read = append(f.read, p)
	if slices.Contains(kustomizationNames, filepath.Base(p)) {
		data = f.kustomization(p, data)
	}
	return data, nil
}

// realRead is the files read, with symbolic links resolved.
func (f *recordFS) realRead() []string {
	out := make([]string, 0, len(f.read))
	for _, p := range f.read {
		if r, err := realPath(p); err == nil {
			out = append(out, r)
		}
	}
	return out
}

// name is how errors name a file read: below the kustomization directory as named.
func (f *recordFS) name(p string) string {
	if rel, err := filepath.Rel(f.top, p); err == nil {
		return filepath.Join(f.dir, rel)
	}
	return p
}

// pathLists are the kustomization fields that list files, directories or URLs to load.
var pathLists = []string{"resources", "bases", "components", "crds", "patchesStrategicMerge",
	"configurations", "generators", "transformers", "validators", "patches", "patchesJson6902",
	"replacements"}

// kustomization edits a kustomization file as read: remote entries are removed, and the top
// kustomization gets buildMetadata: [originAnnotations]. Unparsable input is left alone
// for kustomize to report.
func (f *recordFS) kustomization(p string, data []byte) []byte {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return data
	}
	top := doc.Content[0]
	changed := false
	for i := 0; i+1 < len(top.Content); i += 2 {
		key, list := top.Content[i].Value, top.Content[i+1]
		if !slices.Contains(pathLists, key) || list.Kind != yaml.SequenceNode {
			continue
		}
		kept := list.Content[:0:0]
		for _, item := range list.Content {
			v := item
			if item.Kind == yaml.MappingNode {
				v = mapValue(item, "path")
			}
			// Multi-line entries are inline patches or configs, not paths.
			if v != nil && v.Kind == yaml.ScalarNode && !strings.Contains(v.Value, "\n") && remote(v.Value, filepath.Dir(p)) {
				f.errs = append(f.errs, inventory.Error{File: f.name(p), Line: v.Line, Message: fmt.Sprintf(
					"kustomize: remote %s entry %q not fetched: kustomizations are built offline; its objects are missing", key, v.Value)})
				changed = true
				continue
			}
			kept = append(kept, item)
		}
		list.Content = kept
	}
	if dir, _ := realPath(filepath.Dir(p)); dir == f.top {
		meta := mapValue(top, "buildMetadata")
		switch {
		case meta == nil:
			top.Content = append(top.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Value: "buildMetadata"},
				&yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: types.OriginAnnotations}}})
			changed = true
		case meta.Kind == yaml.SequenceNode:
			if slices.ContainsFunc(meta.Content, func(n *yaml.Node) bool { return n.Value == types.OriginAnnotations }) {
				f.userOrigin = true
			} else {
				meta.Content = append(meta.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: types.OriginAnnotations})
				changed = true
			}
		}
	}
	if !changed {
		return data
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return data
	}
	return out
}

// remote reports whether kustomize would fetch a kustomization entry over the network: a
// URL, or a go-getter style repository ("github.com/org/repo//dir?ref=v1") that is not a
// local path.
func remote(entry, dir string) bool {
	if strings.Contains(entry, "://") || strings.HasPrefix(entry, "git@") || strings.HasPrefix(entry, "git::") {
		return true
	}
	if _, err := os.Stat(filepath.Join(dir, entry)); err == nil {
		return false
	}
	first, rest, ok := strings.Cut(entry, "/")
	return ok && rest != "" && strings.Contains(first, ".") && !strings.HasPrefix(first, ".")
}
