// Package fixtest gives fix's tests a copy of a fixture directory to change: fix --write
// edits files in place, and the fixtures (and the repository's examples) must stay as they
// are.
package fixtest

import (
	"os"
	"testing"
)

// Copy copies the directory src into a new temporary directory, removed when the test ends,
// and returns the copy's path.
func Copy(t testing.TB, src string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
	return dir
}
