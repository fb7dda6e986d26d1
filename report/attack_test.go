package report

import (
	"path/filepath"
	"testing"

	"github.com/kubeharden/kubeharden/attack"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
)

// insecureAttackPaths computes the attack paths of examples/insecure for the report to draw.
func insecureAttackPaths(t *testing.T) []AttackPath {
	t.Helper()
	objs, errs := load.Files([]string{filepath.Join("..", "examples", "insecure")}, load.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	g, err := attack.Analyze(inventory.Build(objs), attack.Options{RBACDefaults: true})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := g.Paths(attack.Query{})
	if err != nil {
		t.Fatal(err)
	}
	var out []AttackPath
	for _, p := range ps {
		out = append(out, AttackPathOf(p))
	}
	return out
}

func TestBoxLines(t *testing.T) {
	for _, c := range []struct {
		label, detail string
		want          []string
	}{
		{"internet", "", []string{"internet"}},
		{"Deployment shop-api/api", "Pod Security privileged", []string{"Deployment shop-api/api", "Pod Security privileged"}},
		{"Ingress shop-frontend/shop http://shop.example.com", "", []string{"Ingress shop-frontend/shop", "http://shop.example.com"}},
		{"NodePort shop-frontend/frontend node:30080/TCP extra words", "", []string{"NodePort", "shop-frontend/frontend no…"}},
		{"ServiceAccount averyveryverylongnamespace/averyverylongname", "", []string{"ServiceAccount", "averyveryverylongnamespac…"}},
	} {
		got := boxLines(c.label, c.detail)
		if len(got) != len(c.want) {
			t.Errorf("%q: %q, want %q", c.label, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%q: %q, want %q", c.label, got, c.want)
			}
		}
	}
}
