package load

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/dockerfile"
)

// job is one file to read, or an error found while listing the paths.
type job struct {
	name  string // as reported: the path as given, or joined below a directory given
	path  string // to open
	stdin bool
	err   string
	// For charts and kustomizations (render.go): the real path, and what the job builds.
	real   string
	render renderKind
}

// walker expands the paths given into files to read.
type walker struct {
	jobs  []job
	stdin bool
	// seen holds the real path (symbolic links resolved) of every file and directory taken,
	// so that one reached again through a link is not read twice.
	seen map[string]bool
	// exclude are the patterns of --exclude and the config; root is the path being walked.
	exclude []pattern
	root    string
}

// extensions are those kubectl reads from a directory.
var extensions = []string{".yaml", ".yml", ".json"}

func expand(paths, exclude []string) ([]job, error) {
	w := &walker{seen: map[string]bool{}}
	for _, e := range exclude {
		p, err := parsePattern(e)
		if err != nil {
			return nil, fmt.Errorf("exclude: %v", err)
		}
		w.exclude = append(w.exclude, p)
	}
	for _, p := range paths {
		w.root = p
		w.path(p)
	}
	return w.jobs, nil
}

func (w *walker) fail(name, msg string) {
	w.jobs = append(w.jobs, job{name: name, err: msg})
}

func (w *walker) path(p string) {
	if p == "-" {
		if !w.stdin {
			w.stdin = true
			w.jobs = append(w.jobs, job{name: StdinName, stdin: true})
		}
		return
	}
	fi, err := os.Stat(p)
	if err != nil {
		w.fail(p, statReason(err))
		return
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		w.fail(p, statReason(err))
		return
	}
	real, _ = filepath.Abs(real)
	if ignored(w.exclude, p, "", fi.IsDir()) {
		return
	}
	if fi.IsDir() {
		w.dir(p, real, nil, w.exclude)
		return
	}
	if isChartArchive(p) {
		// A packaged chart named explicitly is rendered (render.go). Archives found in a
		// directory are not: a chart's charts/ holds its dependencies, which its loader
		// reads, and any other archive is no manifest.
		w.file(p, real, renderHelmArchive)
		return
	}
	// A file named explicitly is read whatever its extension, as kubectl does.
	w.file(p, real, renderNone)
}

func (w *walker) file(name, real string, k renderKind) {
	if w.seen[real] {
		return
	}
	w.seen[real] = true
	w.jobs = append(w.jobs, job{name: name, path: name, real: real, render: k})
}

// dir walks a directory whose real path is real; ancestors are the directories being
// walked above it, and ignore the patterns that apply below it.
func (w *walker) dir(name, real string, ancestors []ancestor, ignore []pattern) {
	for _, a := range ancestors {
		if a.real == real {
			w.fail(name, "symlink loop: links back to "+a.name+", which contains it")
			return
		}
	}
	if w.seen[real] {
		return
	}
	w.seen[real] = true
	entries, err := os.ReadDir(name)
	if err != nil {
		w.fail(name, "cannot read directory: "+reason(err))
		// ReadDir returns what it read before the error; walk that.
	}
	if k := renderKindOf(entries); k != renderNone {
		// A chart or kustomization is built as a whole (render.go), not walked.
		w.jobs = append(w.jobs, job{name: name, path: name, real: real, render: k})
		return
	}
	if own, err := readIgnoreFile(name); err != nil {
		w.fail(filepath.Join(name, IgnoreFileName), "cannot read: "+err.Error())
	} else if len(own) > 0 {
		ignore = append(ignore[:len(ignore):len(ignore)], own...)
	}
	ancestors = append(ancestors, ancestor{name, real})
	for _, e := range entries {
		base := e.Name()
		child := filepath.Join(name, base)
		childReal := filepath.Join(real, base)
		mode := e.Type()
		if mode&fs.ModeSymlink != 0 {
			fi, err := os.Stat(child)
			if errors.Is(err, fs.ErrNotExist) {
				w.fail(child, "broken symbolic link")
				continue
			}
			if err != nil {
				w.fail(child, statReason(err))
				continue
			}
			r, err := filepath.EvalSymlinks(child)
			if err != nil {
				w.fail(child, statReason(err))
				continue
			}
			childReal, _ = filepath.Abs(r)
			mode = fi.Mode().Type()
		}
		if ignored(ignore, child, w.root, mode.IsDir()) {
			continue
		}
		switch {
		case mode.IsDir():
			if strings.HasPrefix(base, ".") {
				continue // .git and the like
			}
			w.dir(child, childReal, ancestors, ignore)
		case base == config.FileName || !(hasExtension(base) || dockerfile.IsDockerfile(base)):
		case !mode.IsRegular():
			w.fail(child, "not a regular file; not read")
		default:
			w.file(child, childReal, renderNone)
		}
	}
}

type ancestor struct{ name, real string }

func hasExtension(name string) bool {
	ext := filepath.Ext(name)
	for _, e := range extensions {
		if ext == e {
			return true
		}
	}
	return false
}

func statReason(err error) string {
	if errors.Is(err, syscall.ELOOP) {
		return "symlink loop: " + reason(err)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return "no such file or directory"
	}
	return "cannot read: " + reason(err)
}
