package attack_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/kubeharden/kubeharden/attack"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
)

func TestDebug(t *testing.T) {
	dir := os.Getenv("ATTACK_DIR")
	if dir == "" {
		t.Skip()
	}
	objs, errs := load.Files([]string{dir}, load.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	g, err := attack.Analyze(inventory.Build(objs), attack.Options{RBACDefaults: true})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := g.Paths(attack.Query{From: os.Getenv("ATTACK_FROM")})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		t.Log(p.String())
		b, _ := json.MarshalIndent(p, "", " ")
		t.Log(string(b))
	}
	cs, _ := g.ChokePoints(ps)
	for _, c := range cs {
		t.Logf("%+v", c)
	}
}
