package checktest

import (
	"bytes"
	"testing"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
)

// Step is one change an incremental test applies: YAML documents to upsert, and objects to
// delete.
type Step struct {
	Name   string
	Upsert string
	Delete []inventory.Ref
}

// Steps applies steps, one at a time, to an incremental Evaluator of checks over base (YAML
// documents), and after each compares its findings with a full run over the same objects.
// A step that moves no finding fails too: it would prove nothing about the rules it is
// written for.
func Steps(t testing.TB, checks []*check.Check, base string, steps []Step) {
	t.Helper()
	decode := func(name, y string) []*inventory.Object {
		objs, errs := load.Decode(name, []byte(y))
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		return objs
	}
	ev := check.NewEvaluator(inventory.Build(decode("base.yaml", base)), check.EvalOptions{Checks: checks, Now: Now})
	for _, s := range steps {
		c := inventory.Change{Delete: s.Delete}
		if s.Upsert != "" {
			c.Upsert = decode(s.Name+".yaml", s.Upsert)
		}
		d := ev.Apply(c)
		want, errs := check.RunAt(inventory.Build(append([]*inventory.Object(nil), ev.Inventory().All()...)), nil, nil, checks, Now)
		if len(errs) > 0 || len(ev.Errors()) > 0 {
			t.Fatalf("%s: check errors: full %v, incremental %v", s.Name, errs, ev.Errors())
		}
		if got, w := findingsJSON(t, ev.Findings()), findingsJSON(t, want); !bytes.Equal(got, w) {
			t.Errorf("%s: incremental findings differ from a full run:\n got %s\nwant %s", s.Name, got, w)
		}
		if len(d.Added)+len(d.Removed) == 0 {
			t.Errorf("%s: the change moved no finding: the step tests nothing", s.Name)
		}
	}
}
