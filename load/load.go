// Package load reads Kubernetes objects from files, directories and standard input into
// inventory objects that remember their file and line.
//
// Objects decode as the API server decodes them: YAML is converted to JSON with kubectl's
// YAML 1.1 rules, known kinds become typed k8s.io/api objects without defaulting, everything
// else stays unstructured. Input that cannot be read (malformed YAML, a document that is not
// an object, a wrong field type, binary, huge or unreadable files, symlink loops) becomes a
// inventory.Error with file and line, and the rest of the input is still loaded. Unknown and
// duplicate fields, which the API server's strict field validation rejects, are reported too,
// but their objects are kept.
package load

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"sync"

	"github.com/kubeharden/kubeharden/dockerfile"
	"github.com/kubeharden/kubeharden/inventory"
)

// Options tune Files.
type Options struct {
	// Stdin is read for the path "-".
	Stdin io.Reader
	// MaxFileSize is the largest file read; larger files are an error. Zero means 64 MiB.
	MaxFileSize int64

	// HelmValues (files), HelmSet, HelmSetString, HelmSetJSON (key=value) and HelmSetFile
	// (key=path) are Helm's --values, --set, --set-string, --set-json and --set-file for
	// every chart rendered, applied in helm's order; HelmNamespace is the release namespace,
	// "default" when empty; HelmRelease the release name, ReleaseName when empty (charts name
	// their objects after it, so fixes of rendered objects depend on it).
	HelmValues    []string
	HelmSet       []string
	HelmSetString []string
	HelmSetJSON   []string
	HelmSetFile   []string
	HelmNamespace string
	HelmRelease   string

	// Strict reports documents that are not Kubernetes objects as errors, as kubectl does;
	// otherwise Read skips them (skip.go). Files is always strict.
	Strict bool
	// Exclude are globs of paths not to read (see ignore.go); files and directories named
	// in ignore files (IgnoreFileName) below a directory walked are not read either.
	Exclude []string
}

// DefaultMaxFileSize is the limit when Options.MaxFileSize is zero.
const DefaultMaxFileSize = 64 << 20

// StdinName is the file name of objects and errors read from standard input.
const StdinName = "<stdin>"

// Files loads every manifest under paths (files, directories walked recursively for .yaml,
// .yml and .json, or "-" for stdin). Input that cannot be read becomes an Error with file and
// line; everything else is still loaded. Dockerfiles (Dockerfile, Containerfile, *.Dockerfile,
// named or found in a directory) are read with package dockerfile into objects of kind
// Dockerfile.
//
// Directories are walked in name order; hidden directories (.git) and .kubeharden.yaml files
// are skipped; symbolic links are followed, a link back to a directory being walked is an
// error, and a file reached twice is read once. Files are decoded in parallel, but objects
// and errors come back in a fixed order: paths in the order given, then documents in file
// order.
//
// A directory holding a Chart.yaml is rendered as a Helm chart, one holding a kustomization
// is built with kustomize (render.go); neither is walked, and files a kustomization,
// --values or --set-file read are not read again on their own unless named. A packaged chart
// (.tgz, .tar.gz) named as a path is rendered too; archives in a directory walked are not.
func Files(paths []string, opts Options) ([]*inventory.Object, []inventory.Error) {
	opts.Strict = true
	r := Read(paths, opts)
	return r.Objects, r.Errors
}

// Read loads what Files does and says more about it: which files it skipped as not
// Kubernetes (unless opts.Strict), which directories it built as charts or kustomizations,
// and how much input the errors lost.
func Read(paths []string, opts Options) Result {
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = DefaultMaxFileSize
	}
	jobs, werr := expand(paths, opts.Exclude)
	if werr != nil {
		return Result{Errors: []inventory.Error{{Message: werr.Error()}}, Unread: 1}
	}
	results := make([]result, len(jobs))
	// Charts and kustomizations first (render.go): done marks their jobs and the files they
	// read, which are not read again as plain manifests.
	done := render(paths, jobs, results, opts)
	work := make(chan int)
	var wg sync.WaitGroup
	var s *sharer
	if sharing {
		s = newSharer()
	}
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(jobs)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := &decoder{lenient: !opts.Strict, share: s}
			for i := range work {
				results[i] = d.run(jobs[i], opts)
			}
		}()
	}
	for i := range jobs {
		if !done[i] {
			work <- i
		}
	}
	close(work)
	wg.Wait()

	var out Result
	n := 0
	for _, r := range results {
		n += len(r.objs)
	}
	out.Objects = make([]*inventory.Object, 0, n)
	for i, r := range results {
		if s != nil && !r.shared {
			s.objects(r.objs)
		}
		out.Objects = append(out.Objects, r.objs...)
		out.Errors = append(out.Errors, r.errs...)
		out.Skipped = append(out.Skipped, r.skips...)
		out.Unread += len(r.errs) - r.warned
		if k := jobs[i].render; k != renderNone && (len(r.objs) > 0 || len(r.errs) > 0) {
			out.Builds = append(out.Builds, Build{Path: jobs[i].name, As: k.String()})
		}
	}
	return out
}

// sharing turns sharing (share.go) on; tests turn it off to compare.
var sharing = true

type result struct {
	objs   []*inventory.Object
	errs   []inventory.Error
	skips  []Skip
	warned int
	// shared says the decoder shared the objects' parts as it made them.
	shared bool
}

// run reads and decodes one file. The file's bytes are dropped when it returns.
func (d *decoder) run(j job, opts Options) result {
	if j.err != "" {
		return result{errs: []inventory.Error{{File: j.name, Message: j.err}}}
	}
	var data []byte
	var msg string
	switch {
	case j.stdin && opts.Stdin == nil:
		msg = "no standard input to read"
	case j.stdin:
		data, msg = readAll(opts.Stdin, -1, opts.MaxFileSize)
	default:
		data, msg = readFile(j.path, opts.MaxFileSize)
	}
	if msg != "" {
		return result{errs: []inventory.Error{{File: j.name, Message: msg}}}
	}
	if !j.stdin && dockerfile.IsDockerfile(j.path) {
		// Dockerfiles (by name) become objects of kind Dockerfile for the images checks.
		objs, errs := dockerfile.Load(j.name, data)
		return result{objs: objs, errs: errs}
	}
	d.name, d.objs, d.errs, d.skips, d.warned = j.name, nil, nil, nil, 0
	d.decode(data)
	return result{d.objs, d.errs, d.skips, d.warned, d.share != nil}
}

func readFile(path string, limit int64) ([]byte, string) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "cannot read: " + reason(err)
	}
	defer f.Close()
	size := int64(-1)
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
		size = fi.Size()
	}
	return readAll(f, size, limit)
}

// readAll reads r up to limit bytes; size, when known, sizes the buffer once.
func readAll(r io.Reader, size, limit int64) ([]byte, string) {
	tooLarge := fmt.Sprintf("file is larger than the %s limit; not read", mib(limit))
	if size > limit {
		return nil, tooLarge
	}
	var data []byte
	var err error
	if size >= 0 {
		// One allocation; read one byte more to notice a file that grew.
		data = make([]byte, size+1)
		var n int
		n, err = io.ReadFull(r, data)
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			err = nil
		}
		data = data[:n]
		if int64(n) > size {
			rest, rerr := io.ReadAll(io.LimitReader(r, limit+1-int64(n)))
			data, err = append(data, rest...), rerr
		}
	} else {
		data, err = io.ReadAll(io.LimitReader(r, limit+1))
	}
	if err != nil {
		return nil, "cannot read: " + reason(err)
	}
	if int64(len(data)) > limit {
		return nil, tooLarge
	}
	return data, ""
}

func mib(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// reason is the operating system's words for err, without the path that the Error already
// names.
func reason(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return err.Error()
}
