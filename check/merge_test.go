package check

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/kubeharden/kubeharden/inventory"
)

// TestMergeFindingsEqualsSort: merging sorted runs of different checks gives what sorting
// them end to end gives, for runs with many findings on the same file, line and object.
func TestMergeFindingsEqualsSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 50 {
		var runs [][]Finding
		var all []Finding
		for c := range r.IntN(6) {
			var run []Finding
			for range r.IntN(40) {
				run = append(run, Finding{
					Check:   fmt.Sprintf("p/check-%d-%d", c, r.IntN(2)),
					File:    []string{"", "a.yaml", "b.yaml"}[r.IntN(3)],
					Line:    r.IntN(4),
					Object:  inventory.Ref{Kind: []string{"Pod", "Service"}[r.IntN(2)], Namespace: []string{"", "ns"}[r.IntN(2)], Name: fmt.Sprint(r.IntN(3))},
					Path:    []string{"", "spec"}[r.IntN(2)],
					Message: fmt.Sprint(r.IntN(3)),
				})
			}
			SortFindings(run)
			runs = append(runs, run)
			all = append(all, run...)
		}
		SortFindings(all)
		if got := MergeFindings(runs); !reflect.DeepEqual(got, all) && len(all) > 0 {
			t.Fatalf("trial %d: merged\n%v\nsorted\n%v", trial, got, all)
		}
	}
}
