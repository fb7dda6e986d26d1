// Package cli wires kubeharden's commands and flags. It holds no logic a library user would
// need: every command calls into the importable packages.
package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubeharden/kubeharden/scan"
)

// commands are added by each command's file, so that commands live in files of their own.
var commands []func(*env) *cobra.Command

func register(f func(*env) *cobra.Command) { commands = append(commands, f) }

// env is what every command writes to and reads from.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// exitError carries a process exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

// exit returns an error that makes Main exit with code; err (may be nil) is printed.
func exit(code int, err error) error { return &exitError{code, err} }

// NewRoot builds the command tree.
func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "kubeharden",
		Short: "Audit, fix and enforce Kubernetes hardening practices",
		Long: `kubeharden audits Kubernetes manifests and live clusters against eight hardening
practices (network policies, Pod Security, secrets, RBAC, ingress TLS, images,
Kubernetes versions and resource limits), with the same answers the API server gives.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.Version = longVersion()
	root.SetVersionTemplate("kubeharden {{.Version}}\n")
	if pluginName() {
		// Run as a kubectl plugin: help and usage say "kubectl harden".
		root.Annotations = map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl harden"}
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	for _, f := range commands {
		root.AddCommand(f(e))
	}
	catchMistakes(root)
	return root
}

// Main runs the CLI and returns the process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRoot(e)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return scan.ExitClean
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(stderr, "error:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "error:", err)
	return scan.ExitInput
}

// programName is the name the binary was run as.
var programName = func() string { return filepath.Base(os.Args[0]) }

// pluginName reports whether the binary runs as the kubectl plugin kubectl-harden.
func pluginName() bool {
	return strings.TrimSuffix(programName(), ".exe") == "kubectl-harden"
}

// isTerminal reports whether w is a terminal, for colour and progress bars.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
