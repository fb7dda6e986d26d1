package check

import "path"

// Matching returns the checks of cs whose IDs match one of the glob patterns ("rbac/*"), in
// their order: what `scan --check` runs, and the benchmarks measure.
func Matching(cs []*Check, patterns []string) []*Check {
	var out []*Check
	for _, c := range cs {
		for _, p := range patterns {
			if ok, _ := path.Match(p, c.ID); ok {
				out = append(out, c)
				break
			}
		}
	}
	return out
}
