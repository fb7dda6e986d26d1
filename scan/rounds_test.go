package scan_test

import (
	"path/filepath"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/internal/gen"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
)

// TestReleaseEnginesSameResult: run in rounds that drop the engines between them, the checks
// find what they find in one round, in the same order, on both generator profiles; the
// engines are gone afterwards, and the findings hold no object of the inventory.
func TestReleaseEnginesSameResult(t *testing.T) {
	for _, profile := range []string{"default", "multitenant"} {
		t.Run(profile, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), profile)
			if _, err := (gen.Options{Profile: profile}).WriteDir(dir, 300, 1); err != nil {
				t.Fatal(err)
			}
			read := func() *inventory.Inventory {
				objs, errs := load.Files([]string{dir}, load.Options{})
				if len(errs) > 0 {
					t.Fatal(errs[0])
				}
				return inventory.Build(objs)
			}
			now := time.Unix(1_800_000_000, 0)
			whole := scan.Run(read(), scan.Options{Now: now})
			inv := read()
			rounds := scan.Run(inv, scan.Options{Now: now, ReleaseEngines: true})
			if len(whole.Findings) < 500 {
				t.Fatalf("%d findings: the cluster exercises little", len(whole.Findings))
			}
			if len(rounds.Findings) != len(whole.Findings) {
				t.Fatalf("%d findings in rounds, %d in one", len(rounds.Findings), len(whole.Findings))
			}
			for i := range whole.Findings {
				check.Detach(whole.Findings[i : i+1])
				if !reflect.DeepEqual(rounds.Findings[i], whole.Findings[i]) {
					t.Fatalf("finding %d differs:\nrounds %+v\none    %+v", i, rounds.Findings[i], whole.Findings[i])
				}
			}
			if !reflect.DeepEqual(rounds.Summary, whole.Summary) || !reflect.DeepEqual(rounds.Errors, whole.Errors) {
				t.Errorf("summary or errors differ:\nrounds %+v %v\none    %+v %v", rounds.Summary, rounds.Errors, whole.Summary, whole.Errors)
			}
			if kept := inv.Forget(func(any) bool { return true }); len(kept) > 0 {
				t.Errorf("%d values still memoized on the inventory after Run", len(kept))
			}
			// The findings keep no object alive: the collector frees the object of the
			// first finding once the inventory is dropped.
			o := inv.Get(rounds.Findings[0].Object.Kind, rounds.Findings[0].Object.Namespace, rounds.Findings[0].Object.Name)
			if o == nil {
				t.Fatalf("no object %s", rounds.Findings[0].Object)
			}
			freed := make(chan struct{})
			runtime.AddCleanup(o, func(ch chan struct{}) { close(ch) }, freed)
			o, inv = nil, nil
			if !collected(freed) {
				t.Errorf("the object of finding 0 outlives the inventory: the findings hold it")
			}
			runtime.KeepAlive(rounds)
		})
	}
}

// collected collects garbage until freed is closed, or gives up.
func collected(freed chan struct{}) bool {
	for range 20 {
		runtime.GC()
		select {
		case <-freed:
			return true
		case <-time.After(10 * time.Millisecond):
		}
	}
	return false
}

// TestRoundsOfChecks: every check runs once; checks sharing an engine that reads objects run
// in one round; attack paths come first and checks without such engines last.
func TestRoundsOfChecks(t *testing.T) {
	all := check.All()
	rounds := scan.Rounds(all)
	if len(rounds) < 3 {
		t.Fatalf("%d rounds, want the cluster engines apart", len(rounds))
	}
	seen := map[*check.Check]int{}
	engineRound := map[string]int{}
	for i, r := range rounds {
		for _, c := range r {
			if _, dup := seen[c]; dup {
				t.Errorf("%s runs twice", c.ID)
			}
			seen[c] = i
			for _, e := range c.Requires {
				if len(e.EngineReads()) == 0 || c.Scope != check.ScopeCluster {
					continue
				}
				if j, ok := engineRound[e.EngineName()]; ok && j != i {
					t.Errorf("engine %s is used in rounds %d and %d", e.EngineName(), j, i)
				}
				engineRound[e.EngineName()] = i
			}
		}
	}
	if len(seen) != len(all) {
		t.Errorf("%d checks in rounds, %d registered", len(seen), len(all))
	}
	if r := seen[check.Lookup("attack/internet-to-node")]; r != 0 {
		t.Errorf("attack paths run in round %d, want the first", r)
	}
	if r := seen[check.Lookup("images/latest-tag")]; r != len(rounds)-1 {
		t.Errorf("images/latest-tag runs in round %d of %d, want the last", r, len(rounds))
	}
}
