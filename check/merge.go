package check

import (
	"strings"

	"github.com/kubeharden/kubeharden/inventory"
)

// MergeRuns merges, in place, consecutive runs of fs, each in SortFindings order, into one
// list in that order: what sorting them all gives, for a fraction of the comparisons,
// provided that findings of different runs never compare equal (as for runs of different
// checks: the check ID is part of the order). Run i ends at ends[i]; the last run ends at
// len(fs). scan merges its rounds' findings this way, in the list the rounds appended to
// (AppendRun), so that no second list of every finding is ever live.
func MergeRuns(fs []Finding, ends []int) {
	type run struct{ at, end int }
	var live []run
	start := 0
	for _, e := range ends {
		if e > start {
			live = append(live, run{start, e})
		}
		start = e
	}
	if len(live) < 2 {
		return
	}
	// idx[i] is the position of the finding that goes to position i.
	idx := make([]int, 0, len(fs))
	for len(live) > 0 {
		best := 0
		for i := 1; i < len(live); i++ {
			if compareFindings(&fs[live[i].at], &fs[live[best].at]) < 0 {
				best = i
			}
		}
		idx = append(idx, live[best].at)
		if live[best].at++; live[best].at == live[best].end {
			live = append(live[:best], live[best+1:]...)
		}
	}
	permute(fs, idx)
}

// permute moves fs[idx[i]] to position i for every i, one cycle at a time, and spoils idx.
func permute(fs []Finding, idx []int) {
	for i := range idx {
		if idx[i] < 0 {
			continue
		}
		tmp, j := fs[i], i
		for {
			k := idx[j]
			idx[j] = -1
			if k == i {
				fs[j] = tmp
				break
			}
			fs[j] = fs[k]
			j = k
		}
	}
}

// compareFindings is the order of SortFindings: file, line, object (as Ref.String spells
// it), check, path, message.
func compareFindings(a, b *Finding) int {
	switch {
	case a.File != b.File:
		return strings.Compare(a.File, b.File)
	case a.Line != b.Line:
		if a.Line < b.Line {
			return -1
		}
		return 1
	case a.Object != b.Object:
		if c := compareRefs(a.Object, b.Object); c != 0 {
			return c
		}
	}
	switch {
	case a.Check != b.Check:
		return strings.Compare(a.Check, b.Check)
	case a.Path != b.Path:
		return strings.Compare(a.Path, b.Path)
	}
	return strings.Compare(a.Message, b.Message)
}

// compareRefs compares a.String() and b.String() without building them: sorting a large
// scan's findings by formatted refs allocated a string for each.
func compareRefs(a, b inventory.Ref) int {
	pa, na := refParts(&a)
	pb, nb := refParts(&b)
	var i, j, x, y int // part and byte of a, of b
	for {
		for i < na && x == len(pa[i]) {
			i, x = i+1, 0
		}
		for j < nb && y == len(pb[j]) {
			j, y = j+1, 0
		}
		switch {
		case i == na && j == nb:
			return 0
		case i == na:
			return -1
		case j == nb:
			return 1
		}
		if ca, cb := pa[i][x], pb[j][y]; ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
		x, y = x+1, y+1
	}
}

// refParts are the n pieces Ref.String joins.
func refParts(r *inventory.Ref) (p [5]string, n int) {
	if r.Namespace == "" {
		return [5]string{r.Kind, "/", r.Name}, 3
	}
	return [5]string{r.Namespace, "/", r.Kind, "/", r.Name}, 5
}
