package netpol

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// expectation is one "# reach: FROM -> TO [PORT]: VERDICT" line of a semantics fixture.
type expectation struct {
	line           int
	from, to, port string
	want           string // allow, deny, partial, or "ports <set>"
}

var reachRE = regexp.MustCompile(`^#\s*reach:\s*(\S+)\s*->\s*(\S+)(?:\s+(\S+))?\s*:\s*(.+?)\s*$`)

func readExpectations(t *testing.T, file string) []expectation {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []expectation
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		if m := reachRE.FindStringSubmatch(sc.Text()); m != nil {
			out = append(out, expectation{n, m[1], m[2], m[3], m[4]})
		}
	}
	return out
}

// TestSemantics runs every fixture under testdata/semantics: each states, next to the
// objects, what the Kubernetes documentation says may and may not pass.
func TestSemantics(t *testing.T) {
	files, _ := filepath.Glob("testdata/semantics/*.yaml")
	if len(files) < 40 {
		t.Fatalf("want at least 40 semantics fixtures, have %d", len(files))
	}
	cases := 0
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			objs := decodeFile(t, file)
			e := engineOf(t, file)
			exps := readExpectations(t, file)
			if len(exps) == 0 {
				t.Fatal("no # reach: expectations")
			}
			cases += len(exps)
			for _, x := range exps {
				got, err := verdictString(e, x.from, x.to, x.port, x.want)
				if err != nil {
					t.Errorf("%s:%d: %v", file, x.line, err)
					continue
				}
				if got != x.want {
					t.Errorf("%s:%d: %s -> %s %s: got %s, want %s", file, x.line, x.from, x.to, x.port, got, x.want)
				}
				// Pod-to-pod answers on a port must agree with the naive evaluator too.
				if x.port != "" && !strings.Contains(x.from+x.to, ".") && !strings.Contains(x.from+x.to, ":") && x.from != "internet" && x.to != "internet" {
					if naive, ok := naiveVerdict(t, objs, x.from, x.to, x.port); ok && naive != got {
						t.Errorf("%s:%d: naive evaluator says %s, engine %s", file, x.line, naive, got)
					}
				}
			}
		})
	}
	t.Logf("%d fixtures, %d expectations", len(files), cases)
}

func verdictString(e *Engine, from, to, port, want string) (string, error) {
	fs, err := e.Endpoints(from)
	if err != nil {
		return "", err
	}
	ts, err := e.Endpoints(to)
	if err != nil {
		return "", err
	}
	var p *Port
	if port != "" {
		pp, err := ParsePort(port)
		if err != nil {
			return "", err
		}
		p = &pp
	}
	v, err := e.Reach(fs[0], ts[0], p)
	if err != nil {
		return "", err
	}
	if strings.HasPrefix(want, "ports ") {
		return "ports " + v.Ports.String(), nil
	}
	switch {
	case v.Allowed:
		return "allow", nil
	case v.Partial:
		return "partial", nil
	}
	return "deny", nil
}
