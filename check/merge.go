package check

import "strings"

// MergeFindings merges runs of findings, each in SortFindings order, into one list in that
// order: what sorting the runs put end to end gives, for a fraction of the comparisons,
// provided that findings of different runs never compare equal (as for runs of different
// checks: the check ID is part of the order). scan merges its rounds' findings this way.
func MergeFindings(runs [][]Finding) []Finding {
	n := 0
	var live [][]Finding
	for _, r := range runs {
		n += len(r)
		if len(r) > 0 {
			live = append(live, r)
		}
	}
	if len(live) == 1 {
		return live[0]
	}
	// The object key of each run's first finding, formatted once per finding.
	heads := make([]string, len(live))
	for i, r := range live {
		heads[i] = r[0].Object.String()
	}
	out := make([]Finding, 0, n)
	for len(live) > 0 {
		best := 0
		for i := 1; i < len(live); i++ {
			if compareFindings(&live[i][0], heads[i], &live[best][0], heads[best]) < 0 {
				best = i
			}
		}
		out = append(out, live[best][0])
		if live[best] = live[best][1:]; len(live[best]) == 0 {
			live = append(live[:best], live[best+1:]...)
			heads = append(heads[:best], heads[best+1:]...)
			continue
		}
		heads[best] = live[best][0].Object.String()
	}
	return out
}

// compareFindings orders two findings as SortFindings does; ka and kb are their objects'
// keys (Ref.String).
func compareFindings(a *Finding, ka string, b *Finding, kb string) int {
	switch {
	case a.File != b.File:
		return strings.Compare(a.File, b.File)
	case a.Line != b.Line:
		if a.Line < b.Line {
			return -1
		}
		return 1
	case ka != kb:
		return strings.Compare(ka, kb)
	case a.Check != b.Check:
		return strings.Compare(a.Check, b.Check)
	case a.Path != b.Path:
		return strings.Compare(a.Path, b.Path)
	}
	return strings.Compare(a.Message, b.Message)
}
