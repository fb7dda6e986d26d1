package check

import "github.com/kubeharden/kubeharden/inventory"

// ObjectOf is the object f was reported on, for tests outside the package.
func ObjectOf(f *Finding) *inventory.Object { return f.object }
