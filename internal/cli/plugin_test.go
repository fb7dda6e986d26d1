package cli

import (
	"strings"
	"testing"
)

// TestPluginName: run as kubectl-harden (krew installs it so), help says "kubectl harden".
func TestPluginName(t *testing.T) {
	defer func(f func() string) { programName = f }(programName)
	for _, name := range []string{"kubectl-harden", "kubectl-harden.exe"} {
		programName = func() string { return name }
		_, out, _ := runCLI(t, "", "scan", "--help")
		if !strings.Contains(out, "kubectl harden scan [PATH|-]") {
			t.Errorf("%s: help does not use the plugin's name:\n%s", name, out)
		}
	}
	programName = func() string { return "kubeharden" }
	if _, out, _ := runCLI(t, "", "scan", "--help"); !strings.Contains(out, "kubeharden scan [PATH|-]") {
		t.Errorf("as kubeharden:\n%s", out)
	}
}

// TestVersionFlag: --version and version print the version and, when the toolchain recorded
// one, the VCS revision (go test binaries record none, which the output says).
func TestVersionFlag(t *testing.T) {
	defer func(v string) { version = v }(version)
	version = "v1.2.3"
	for _, args := range [][]string{{"--version"}, {"version"}} {
		code, out, _ := runCLI(t, "", args...)
		if code != 0 || !strings.HasPrefix(out, "kubeharden v1.2.3 (") {
			t.Errorf("%v: exit %d: %q", args, code, out)
		}
	}
}
