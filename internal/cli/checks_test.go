package cli

import (
	"bytes"
	"flag"
	"os"
	"testing"

	"github.com/kubeharden/kubeharden/check"
)

var update = flag.Bool("update", false, "rewrite docs/checks.md")

// TestChecksDocFresh fails when docs/checks.md is not what the registry generates.
func TestChecksDocFresh(t *testing.T) {
	var b bytes.Buffer
	if err := writeChecksMarkdown(&b, check.All()); err != nil {
		t.Fatal(err)
	}
	const file = "../../docs/checks.md"
	if *update {
		if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		t.Errorf("docs/checks.md is stale: run `make docs` (or go test ./internal/cli -run TestChecksDocFresh -update)")
	}
}

func TestChecksListed(t *testing.T) {
	if len(check.All()) == 0 {
		t.Fatal("no checks registered: checks/all imports nothing")
	}
	var out, errb bytes.Buffer
	if code := Main([]string{"checks"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, c := range check.All() {
		if !bytes.Contains(out.Bytes(), []byte(c.ID)) {
			t.Errorf("checks output lacks %s", c.ID)
		}
	}
}
