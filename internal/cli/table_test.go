package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestTableGolden: the table at 80 and 200 columns (COLUMNS) with NO_COLOR, byte for byte:
// messages wrapped to the width, file:line never cut, repeated findings of a check on one
// object in one row, the Pod Security suffix once per practice, each check's fix once.
func TestTableGolden(t *testing.T) {
	t.Setenv("NO_COLOR", "1")
	for _, width := range []string{"80", "200"} {
		t.Run(width, func(t *testing.T) {
			t.Setenv("COLUMNS", width)
			_, out, errs := runCLI(t, "", "scan", "--check", "podsecurity/*,images/*,resources/*", filepath.Join("testdata", "table", "app.yaml"))
			if strings.Contains(out, "\x1b[") {
				t.Error("colour codes with NO_COLOR set")
			}
			golden := filepath.Join("testdata", "table", "width-"+width+".golden")
			if *update {
				os.WriteFile(golden, []byte(out), 0o644)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if out != string(want) {
				t.Errorf("table differs from %s (go test -run TestTableGolden -update rewrites it):\n%s%s", golden, out, errs)
			}
			n := 80
			if width == "200" {
				n = 200
			}
			for _, l := range strings.Split(out, "\n") {
				if utf8.RuneCountInString(l) > n {
					t.Errorf("line wider than %d: %q", n, l)
				}
			}
		})
	}
	// --color=always colours even a pipe; never and NO_COLOR with auto do not.
	if _, out, _ := runCLI(t, "", "scan", "--color", "always", filepath.Join("testdata", "table", "app.yaml")); !strings.Contains(out, "\x1b[") {
		t.Error("--color always: no colour")
	}
	if code, _, _ := runCLI(t, "", "scan", "--color", "sometimes", "-"); code != 2 {
		t.Errorf("--color sometimes: exit %d, want 2", code)
	}
}

// TestNamespaceFlagAndStatus: -n puts objects without a namespace into it, as kubectl apply
// -n does; a status section, as kubectl get -o yaml writes it, is read without complaint.
func TestNamespaceFlagAndStatus(t *testing.T) {
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: app\n    image: nginx:latest\nstatus:\n  phase: Running\n  podIP: 10.0.0.1\n"
	code, out, errs := runCLI(t, pod, "scan", "-o", "json", "-n", "team-a", "--check", "images/latest-tag", "-")
	if code != 1 || !strings.Contains(out, `"namespace": "team-a"`) || strings.Contains(out, `"errors": [{`) || errs != "" {
		t.Errorf("exit %d:\n%s%s", code, out, errs)
	}
}
