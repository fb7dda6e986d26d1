package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestOutputFlagIsAFormat walks the command tree: every -o is the format flag, so that every
// command validates it the same way, before reading anything.
func TestOutputFlagIsAFormat(t *testing.T) {
	// fix's -o names a directory (kubeharden fix -o DIR); it writes manifests, not a report.
	notFormat := map[string]bool{"kubeharden fix": true}
	var walk func(c *cobra.Command)
	n := 0
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
			if f.Shorthand != "o" && f.Name != "output" {
				return
			}
			if notFormat[c.CommandPath()] {
				return
			}
			n++
			if _, ok := f.Value.(*format); !ok || f.Name != "output" || f.Shorthand != "o" {
				t.Errorf("%s: -%s --%s is a %s, want -o --output of type format", c.CommandPath(), f.Shorthand, f.Name, f.Value.Type())
			}
		})
	}
	walk(newRoot(&env{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}))
	if n < 12 {
		t.Errorf("found %d -o flags, want the dozen commands that have one", n)
	}
}

func TestFormatErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"scan", "-o", "jsno", "-"}, `unknown output format "jsno" (want table, json, yaml, sarif, junit, html or md); did you mean json?`},
		{[]string{"checks", "-o", "xml"}, `unknown output format "xml" (want table, json or md)`},
		{[]string{"diff", "a.json", "b.json", "--output", "tabel"}, `did you mean table?`},
		{[]string{"psa", "plan", "-o", "yml", "-"}, `unknown output format "yml" (want table or json)`},
		{[]string{"rbac", "review", "-o", "sarif"}, `(want table, json, yaml or md)`},
		{[]string{"reach", "-f", "x", "a/b", "c/d", "-o", "csv"}, `output format "csv" needs --matrix`},
		{[]string{"snapshot", "-o", "cluster.yaml"}, `unknown output format "cluster.yaml" (want yaml); -o takes a format now: write to a file with --file cluster.yaml`},
	} {
		code, _, errs := runCLI(t, "", tt.args...)
		if code != 2 || !strings.Contains(errs, tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want exit 2 and %q", tt.args, code, errs, tt.want)
		}
		if strings.Contains(errs, "invalid argument") {
			t.Errorf("%q: stderr %q repeats pflag's wrapping", tt.args, errs)
		}
	}
}

// TestEmitFile writes a result to a file and to standard output: the same bytes.
func TestEmitFile(t *testing.T) {
	var stdout bytes.Buffer
	e := &env{stdout: &stdout}
	v := map[string]any{"a": []int{1, 2}, "b": "<x>"}
	path := filepath.Join(t.TempDir(), "out.json")
	for _, f := range []string{"json", "yaml"} {
		stdout.Reset()
		if err := e.emit("-", f, v, nil); err != nil {
			t.Fatal(err)
		}
		if err := e.emit(path, f, v, nil); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != stdout.String() {
			t.Errorf("%s: file %q, stdout %q", f, b, stdout.String())
		}
	}
	if want := "a:\n- 1\n- 2\nb: <x>\n\n"; stdout.String() != want {
		t.Errorf("yaml: %q, want %q", stdout.String(), want)
	}
	stdout.Reset()
	_ = e.emit("", "json", v, nil)
	if want := "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": \"\\u003cx\\u003e\"\n}\n"; stdout.String() != want {
		t.Errorf("json: %q, want %q", stdout.String(), want)
	}
	if err := e.emit(filepath.Join(t.TempDir(), "no", "such", "dir"), "json", v, nil); err == nil {
		t.Error("emit to a missing directory: no error")
	}
	if err := e.emit("", "dot", v, nil); err == nil {
		t.Error("emit of a format without a writer: no error")
	}
}
