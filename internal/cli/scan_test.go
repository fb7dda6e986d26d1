package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// TestScanBadInputKeepsGoing: a file whose middle document is malformed gives an error at
// that line, the documents around it are still judged, and the exit code is 2.
func TestScanBadInputKeepsGoing(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "app.yaml")
	body := `apiVersion: v1
kind: Pod
metadata: {name: before, namespace: shop}
spec:
  containers:
  - name: app
    image: nginx:latest
---
apiVersion: v1
kind: Pod
metadata:
  name: broken
   namespace: shop
---
apiVersion: v1
kind: Pod
metadata: {name: after, namespace: shop}
spec:
  containers:
  - name: app
    image: redis:latest
`
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	res, code, out := runScan(t, "--check", "images/latest-tag", file)
	if code != 2 {
		t.Fatalf("exit %d, want 2: %s", code, out)
	}
	var lines []int
	for _, f := range res.Findings {
		lines = append(lines, f.Line)
	}
	if len(lines) != 2 || lines[0] != 7 || lines[1] != 21 {
		t.Errorf("latest-tag findings at lines %v, want [7 21]", lines)
	}
	if len(res.Errors) != 1 || res.Errors[0].File != file || res.Errors[0].Line != 13 {
		t.Errorf("errors = %+v, want one at %s:13", res.Errors, file)
	}
}

func TestScanExitCodes(t *testing.T) {
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  containers:\n  - name: app\n    image: nginx:latest\n"
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"findings at or above default", []string{"scan", "--check", "images/latest-tag", "-"}, 1},
		{"findings below --fail-on", []string{"scan", "--check", "images/latest-tag", "--fail-on", "high", "-"}, 0},
		{"--fail-on none", []string{"scan", "--fail-on", "none", "-"}, 0},
		{"unknown severity", []string{"scan", "--fail-on", "severe", "-"}, 2},
		{"unknown flag", []string{"scan", "--no-such-flag", "-"}, 2},
		{"unknown format", []string{"scan", "-o", "xml", "-"}, 2},
		{"unknown check", []string{"scan", "--check", "nope/*", "-"}, 2},
		{"missing path", []string{"scan", "--fail-on", "none", "no/such/dir"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, pod, tc.args...)
			if code != tc.want {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.want, errOut)
			}
		})
	}
}

// TestScanSourceRootAndLinkBase: with --source-root, SARIF locates a file given by its
// absolute path relative to that root (as code scanning needs), and Markdown links start
// with --link-base.
func TestScanSourceRootAndLinkBase(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "deploy", "app.yaml")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	pod := "apiVersion: v1\nkind: Pod\nmetadata: {name: app, namespace: shop}\nspec:\n  containers:\n  - name: app\n    image: nginx:latest\n"
	if err := os.WriteFile(file, []byte(pod), 0o644); err != nil {
		t.Fatal(err)
	}
	_, out, _ := runCLI(t, "", "scan", file, "--check", "images/latest-tag", "-o", "sarif", "--source-root", root)
	if !strings.Contains(out, `"uri": "deploy/app.yaml"`) || !strings.Contains(out, `"uriBaseId": "%SRCROOT%"`) {
		t.Errorf("SARIF does not locate the file under the source root:\n%s", out)
	}
	_, out, _ = runCLI(t, "", "scan", file, "--check", "images/latest-tag", "-o", "sarif", "--source-root", t.TempDir())
	if !strings.Contains(out, `"uri": "file://`) {
		t.Errorf("a file outside the source root is not a file URI:\n%s", out)
	}
	_, out, _ = runCLI(t, "", "scan", file, "--check", "images/latest-tag", "-o", "md", "--source-root", root,
		"--link-base", "https://example.com/org/repo/blob/abc/")
	if !strings.Contains(out, "(https://example.com/org/repo/blob/abc/deploy/app.yaml#L7)") {
		t.Errorf("Markdown link does not start with --link-base:\n%s", out)
	}
}
