package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestRecipes: the CI workflow and pre-commit hook that users copy use only commands and
// flags that exist (each parses, with --help added so that nothing is scanned).
func TestRecipes(t *testing.T) {
	root := filepath.Join("..", "..")
	var cmds []string
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Run string `json:"run"`
			} `json:"steps"`
		} `json:"jobs"`
	}
	b, err := os.ReadFile(filepath.Join(root, "deploy", "ci", "github-workflow.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatal(err)
	}
	for _, j := range wf.Jobs {
		for _, s := range j.Steps {
			if strings.HasPrefix(s.Run, "kubeharden ") {
				cmds = append(cmds, s.Run)
			}
		}
	}
	var hooks []struct {
		ID    string `json:"id"`
		Entry string `json:"entry"`
	}
	b, err = os.ReadFile(filepath.Join(root, ".pre-commit-hooks.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &hooks); err != nil || len(hooks) != 1 {
		t.Fatalf("hooks: %v %+v", err, hooks)
	}
	cmds = append(cmds, hooks[0].Entry)
	if len(cmds) < 3 {
		t.Fatalf("found %d kubeharden commands, want the workflow's two and the hook's", len(cmds))
	}
	for _, c := range cmds {
		c, _, _ = strings.Cut(c, ">") // output redirection
		args := strings.Fields(strings.ReplaceAll(c, `"`, ""))[1:]
		if code, out, errs := runCLI(t, "", append(args, "--help")...); code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("%s: exit %d: %s", c, code, errs)
		}
	}
}
