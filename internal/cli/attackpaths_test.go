package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func runAttack(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(append([]string{"attack-paths"}, args...), strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// TestAttackPathsExamples: the insecure example has paths to all three targets (exit 1), the
// hardened one none (exit 0); JSON has the documented shape; the README shows a real path.
func TestAttackPathsExamples(t *testing.T) {
	code, out, errs := runAttack(t, "../../examples/insecure", "-o", "json")
	if code != 1 {
		t.Fatalf("insecure: exit %d, want 1: %s", code, errs)
	}
	var paths []struct {
		From, Entry, To string
		Steps           []struct{ Node, Edge, Evidence, Engine string }
	}
	if err := json.Unmarshal([]byte(out), &paths); err != nil {
		t.Fatal(err)
	}
	to := map[string]int{}
	for _, p := range paths {
		to[p.To]++
		if p.From != "internet" || p.Entry == "" || len(p.Steps) < 3 || p.Steps[0].Node != "internet" || p.Steps[len(p.Steps)-1].Node != p.To {
			t.Errorf("path %+v", p)
		}
		for _, s := range p.Steps[1:] {
			if s.Edge == "" || s.Evidence == "" || s.Engine == "" {
				t.Errorf("step without edge, engine or evidence: %+v", s)
			}
		}
	}
	if to["cluster-admin"] == 0 || to["secrets"] == 0 || to["nodes"] == 0 {
		t.Errorf("insecure: paths by target %v", to)
	}

	code, out, errs = runAttack(t, "../../examples/hardened", "-o", "json")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("hardened: exit %d, %s %s", code, out, errs)
	}

	// The README's example is the command's real output.
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, _ := runAttack(t, "../../examples/insecure", "--to", "cluster-admin")
	shown := 0
	for _, line := range strings.Split(string(readme), "\n") {
		if strings.HasPrefix(line, "2. internet → ") || strings.HasPrefix(line, "   escalates ") || strings.HasPrefix(line, "   mounts-token ") {
			shown++
			if !strings.Contains(table, line+"\n") {
				t.Errorf("README shows %q, which attack-paths no longer prints", line)
			}
		}
	}
	if shown < 3 {
		t.Errorf("README shows %d lines of the example path", shown)
	}
}

// TestAttackPathsFormats: dot and md draw the same paths; --from and --to narrow the search;
// bad flags are usage errors.
func TestAttackPathsFormats(t *testing.T) {
	code, dot, _ := runAttack(t, "../../examples/insecure", "-o", "dot", "--to", "cluster-admin")
	if code != 1 || !strings.HasPrefix(dot, "digraph attack_paths {") || !strings.Contains(dot, `"internet" -> "entry:Ingress shop-frontend/shop http://shop.example.com"`) ||
		!strings.Contains(dot, `"ServiceAccount shop-api/api" -> "cluster-admin"`) {
		t.Errorf("dot: exit %d\n%s", code, dot)
	}
	code, md, _ := runAttack(t, "../../examples/insecure", "-o", "md")
	if code != 1 || !strings.Contains(md, "## To cluster-admin") || !strings.Contains(md, "## Choke points") {
		t.Errorf("md: exit %d\n%s", code, md)
	}
	// An insider: the database's pods reach the api, whose token is cluster-admin.
	code, out, errs := runAttack(t, "../../examples/insecure", "--from", "shop-db/db", "--to", "cluster-admin")
	if code != 1 || !strings.Contains(out, "1. StatefulSet shop-db/db → Deployment shop-api/api → ServiceAccount shop-api/api → cluster-admin (3 steps)") {
		t.Errorf("--from shop-db/db: exit %d\n%s%s", code, out, errs)
	}
	// One Secret: the api mounts it.
	code, out, _ = runAttack(t, "../../examples/insecure", "--to", "shop-api/api-keys")
	if code != 1 || !strings.Contains(out, "→ Deployment shop-api/api → Secret shop-api/api-keys (3 steps)") || !strings.Contains(out, "mounts-secret") {
		t.Errorf("--to shop-api/api-keys: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{{"-o", "xml"}, {"--to", "everything"}, {"--to", "shop-api/nothing"}, {"--from", "nowhere/none"}} {
		if code, _, _ := runAttack(t, append([]string{"../../examples/insecure"}, args...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}
