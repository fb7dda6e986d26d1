package check

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/inventory"
)

// TestMergeRunsEqualsSort: merging sorted runs of different checks gives what sorting them
// end to end gives, for runs with many findings on the same file, line and object.
func TestMergeRunsEqualsSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 50 {
		var all []Finding
		var ends []int
		for c := range r.IntN(6) {
			start := len(all)
			for range r.IntN(40) {
				all = append(all, Finding{
					Check:   fmt.Sprintf("p/check-%d-%d", c, r.IntN(2)),
					File:    []string{"", "a.yaml", "b.yaml"}[r.IntN(3)],
					Line:    r.IntN(4),
					Object:  inventory.Ref{Kind: []string{"Pod", "Service"}[r.IntN(2)], Namespace: []string{"", "ns"}[r.IntN(2)], Name: fmt.Sprint(r.IntN(3))},
					Path:    []string{"", "spec"}[r.IntN(2)],
					Message: fmt.Sprint(r.IntN(3)),
				})
			}
			SortFindings(all[start:])
			ends = append(ends, len(all))
		}
		want := append([]Finding(nil), all...)
		SortFindings(want)
		MergeRuns(all, ends)
		if !reflect.DeepEqual(all, want) {
			t.Fatalf("trial %d: merged\n%v\nsorted\n%v", trial, all, want)
		}
	}
}

// TestCompareRefsEqualsStrings: refs compare as their strings do, including where a
// separator meets a name that continues ("a/b" against "a-b/c").
func TestCompareRefsEqualsStrings(t *testing.T) {
	parts := []string{"", "a", "a-b", "a/b", "ab", "b", "Pod", "Pod-x", "z\xff"}
	var refs []inventory.Ref
	for _, ns := range parts {
		for _, k := range parts {
			for _, n := range parts {
				refs = append(refs, inventory.Ref{Namespace: ns, Kind: k, Name: n})
			}
		}
	}
	for _, a := range refs {
		for _, b := range refs {
			if got, want := compareRefs(a, b), strings.Compare(a.String(), b.String()); got != want {
				t.Fatalf("compareRefs(%q, %q) = %d, want %d", a.String(), b.String(), got, want)
			}
		}
	}
}
