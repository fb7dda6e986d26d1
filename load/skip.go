package load

import (
	"github.com/kubeharden/kubeharden/inventory"
)

// A repository holds YAML and JSON that is not Kubernetes: docker-compose.yml, mkdocs.yml,
// CI workflows, linter settings, Helm values files, package.json. Read, unlike Files,
// skips the documents that are not Kubernetes objects (no apiVersion and no kind, or not a
// mapping at all) and lists them, so that `scan .` works in such a repository; a document
// that looks like an object but is broken (a kind without an apiVersion, a wrong field type)
// is still an error.

// Skip is a file that held documents which are not Kubernetes objects: the first such
// document's line and why it is not one.
type Skip struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Reason string `json:"reason"`
}

// Build is a directory built as a whole rather than read file by file.
type Build struct {
	Path string `json:"path"`
	// As is "helm chart", "packaged helm chart" or "kustomization".
	As string `json:"as"`
}

// Result is everything Read loaded.
type Result struct {
	Objects []*inventory.Object
	Errors  []inventory.Error
	// Skipped are files with documents that are not Kubernetes objects; empty with Strict.
	Skipped []Skip
	// Builds are the charts and kustomizations rendered.
	Builds []Build
	// Unread counts the errors that lost input (a document, an object, a chart): all of
	// Errors except those about objects that were still loaded (unknown or duplicate fields).
	Unread int
}

func (d *decoder) skip(line int, reason string) {
	if len(d.skips) == 0 {
		d.skips = append(d.skips, Skip{File: d.name, Line: line, Reason: reason})
	}
}

func (k renderKind) String() string {
	switch k {
	case renderHelm:
		return "helm chart"
	case renderHelmArchive:
		return "packaged helm chart"
	case renderKustomize:
		return "kustomization"
	}
	return ""
}
