package inventory

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestOrderedChanges: with SetOrder, any sequence of upserts and deletions leaves the
// inventory equal to Build of its objects sorted, wherever new objects came in.
func TestOrderedChanges(t *testing.T) {
	byKey := func(a, b *Object) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	}
	r := rand.New(rand.NewPCG(3, 4))
	inv := Build(nil)
	inv.SetOrder(byKey)
	for step := range 500 {
		if r.IntN(3) == 0 && inv.Len() > 0 {
			inv.Delete(inv.All()[r.IntN(inv.Len())].Ref)
		} else {
			inv.Upsert(object(r))
		}
		sorted := slices.Clone(inv.All())
		slices.SortStableFunc(sorted, byKey)
		same(t, step, inv, Build(sorted))
	}
	if inv.Len() < 10 {
		t.Fatalf("only %d objects at the end: the test exercised little", inv.Len())
	}
}
