package load

import (
	"fmt"
	"io/fs"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"

	"sigs.k8s.io/kustomize/api/konfig"

	"github.com/kubeharden/kubeharden/internal/parallel"
	"github.com/kubeharden/kubeharden/inventory"
)

// This file builds the charts and kustomizations that the walk found (walk.go stops at a
// directory holding a Chart.yaml or a kustomization file) before plain files are read, so
// that the files they read are not read again as manifests of their own.

// renderKind is what a directory job builds.
type renderKind uint8

const (
	renderNone renderKind = iota
	renderHelm
	renderHelmArchive // a packaged chart named as a path
	renderKustomize
)

func (k renderKind) helm() bool { return k == renderHelm || k == renderHelmArchive }

// kustomizationNames are the file names that make a directory a kustomization, as kustomize
// looks for them.
var kustomizationNames = konfig.RecognizedKustomizationFileNames()

// renderKindOf says what a directory with these entries is: a Helm chart (Chart.yaml wins
// when both are present, as helm would read such a directory), a kustomization, or neither.
func renderKindOf(entries []fs.DirEntry) renderKind {
	k := renderNone
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		switch name := e.Name(); {
		case name == "Chart.yaml":
			return renderHelm
		case slices.Contains(kustomizationNames, name):
			k = renderKustomize
		}
	}
	return k
}

// rendered is the outcome of one chart or kustomization: its objects and errors, and the
// real paths of the files it read.
type rendered struct {
	result
	read []string
}

// kustomizeMu serialises kustomize builds: kustomize keeps its OpenAPI schema in a
// package-level variable that each build may set.
var kustomizeMu sync.Mutex

// render builds every chart and kustomization job into results and returns which jobs are
// done: those, and the plain files and nested kustomizations (an overlay's base) that a
// build read, unless they were named in paths. Helm's --values and --set-file files are
// never read as manifests either.
func render(paths []string, jobs []job, results []result, opts Options) []bool {
	done := make([]bool, len(jobs))
	var idx []int
	for i := range jobs {
		if jobs[i].render != renderNone {
			idx = append(idx, i)
		}
	}
	valueFiles := append(slices.Clone(opts.HelmValues), setFiles(opts)...)
	if len(idx) == 0 && len(valueFiles) == 0 {
		return done
	}
	var vals map[string]any
	var valErrs []inventory.Error
	if slices.ContainsFunc(idx, func(i int) bool { return jobs[i].render.helm() }) {
		vals, valErrs = helmValues(opts)
	}

	out := make([]rendered, len(jobs))
	parallel.Each(len(idx), runtime.GOMAXPROCS(0), func(k int) { out[idx[k]] = renderOne(jobs[idx[k]], vals, opts) }, nil)

	// readBy maps each file a build read to the jobs that read it.
	readBy := map[string][]int{}
	for _, i := range idx {
		for _, f := range out[i].read {
			readBy[f] = append(readBy[f], i)
		}
	}
	for _, v := range valueFiles {
		if r, err := realPath(v); err == nil {
			readBy[r] = append(readBy[r], -1)
		}
	}
	given := map[string]bool{}
	for _, p := range paths {
		given[p] = true
	}
	for i := range jobs {
		j := &jobs[i]
		switch {
		case j.render != renderNone:
			done[i] = true
			if !given[j.name] && readByOther(readBy, j, i) {
				// A base of an overlay in the same scan: its objects come with the overlay.
				continue
			}
			results[i] = out[i].result
		case j.real != "" && len(readBy[j.real]) > 0 && !given[j.name]:
			done[i] = true // a kustomization's resource or patch, or a values file
		}
	}
	if len(valErrs) > 0 {
		// Values errors once, with the first chart.
		for _, i := range idx {
			if jobs[i].render.helm() {
				results[i].errs = append(valErrs, results[i].errs...)
				break
			}
		}
	}
	return done
}

// readByOther reports whether another build read the kustomization file of job j.
func readByOther(readBy map[string][]int, j *job, i int) bool {
	if j.render != renderKustomize {
		return false
	}
	for _, name := range kustomizationNames {
		for _, k := range readBy[filepath.Join(j.real, name)] {
			if k != i {
				return true
			}
		}
	}
	return false
}

// renderOne builds one chart or kustomization; a panic in either library becomes an Error.
func renderOne(j job, vals map[string]any, opts Options) (r rendered) {
	defer func() {
		if p := recover(); p != nil {
			r = rendered{result: result{errs: []inventory.Error{{File: j.name,
				Message: fmt.Sprintf("%s while rendering (please report it): %v\n%s", internalError, p, debug.Stack())}}}}
		}
	}()
	switch j.render {
	case renderHelm, renderHelmArchive:
		src := chartSource{path: j.name, archive: j.render == renderHelmArchive}
		objs, errs := renderChart(src, copyValues(vals), opts)
		return rendered{result: result{objs: objs, errs: errs}}
	case renderKustomize:
		kustomizeMu.Lock()
		defer kustomizeMu.Unlock()
		objs, errs, read := buildKustomization(j.name, j.real)
		return rendered{result: result{objs: objs, errs: errs}, read: read}
	}
	return rendered{}
}

// realPath is path made absolute with symbolic links resolved, as the walk records files.
func realPath(path string) (string, error) {
	r, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", err
	}
	return filepath.Abs(r)
}
