package rbac_test

import (
	"sync"
	"testing"

	"github.com/kubeharden/kubeharden/internal/gen"
	"github.com/kubeharden/kubeharden/rbac"
)

// TestSearchersShareGraph checks that Searchers of one engine, used at once from several
// goroutines (as checks and attack paths use them), find what another engine finds from one
// goroutine, for the subjects of the engine and for subjects it does not know (run it with
// -race).
func TestSearchersShareGraph(t *testing.T) {
	inv := (gen.Options{Profile: "multitenant"}).Inventory(300, 1)
	subjects := rbac.FromInventory(inv, rbac.Options{Defaults: true}).Subjects()
	subjects = append(subjects,
		rbac.Subject{Kind: rbac.UserKind, Name: "nobody-binds-me"},
		rbac.Subject{Kind: rbac.ServiceAccountKind, Namespace: "nowhere", Name: "ghost"},
		rbac.Subject{Kind: rbac.GroupKind, Name: rbac.AllServiceAccounts})
	for _, to := range []rbac.Target{rbac.ToClusterAdmin, rbac.ToSecrets} {
		want := map[rbac.Subject]string{}
		found := 0
		alone := rbac.FromInventory(inv, rbac.Options{Defaults: true}) // one goroutine
		for _, s := range subjects {
			if p := alone.Paths(s, to); p != nil {
				want[s] = p.String()
				found++
			}
		}
		if found == 0 {
			t.Fatalf("%s: no subject has a path; the test exercises nothing", to)
		}
		e := rbac.FromInventory(inv, rbac.Options{Defaults: true})
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := e.Searcher(to)
				for i := range subjects {
					sub := subjects[(i*7+w)%len(subjects)]
					got := ""
					if p := s.Find(sub); p != nil {
						got = p.String()
					}
					if got != want[sub] {
						t.Errorf("%s from %s: got %q, want %q", to, sub, got, want[sub])
					}
				}
			}()
		}
		wg.Wait()
	}
}
