// Package load reads Kubernetes objects from files, directories and standard input into
// inventory objects that remember their file and line.
package load

import (
	"io"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// Options tune Files.
type Options struct {
	// Stdin is read for the path "-".
	Stdin io.Reader
	// MaxFileSize is the largest file read; larger files are an error. Zero means 64 MiB.
	MaxFileSize int64
}

// Files loads every manifest under paths (files, directories walked recursively for .yaml,
// .yml and .json, or "-" for stdin). Input that cannot be read becomes an Error with file and
// line; everything else is still loaded.
func Files(paths []string, opts Options) ([]*inventory.Object, []check.Error) {
	panic("TODO")
}
