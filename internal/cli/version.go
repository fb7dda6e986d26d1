package cli

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at release time with -ldflags "-X .../internal/cli.version=v1.2.3".
var version = ""

// Version is the tool's version: the release tag, else the module version, else "devel".
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// longVersion is the version with the VCS revision the binary was built from, as the Go
// toolchain records it: a binary built from a checkout says which commit it is even when no
// release tag was stamped.
func longVersion() string {
	v := Version()
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	var rev, modified, when string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		case "vcs.time":
			when = s.Value
		}
	}
	if rev == "" {
		return v + " (no VCS revision recorded: built outside a checkout, or with go run)"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if modified == "true" {
		rev += ", modified"
	}
	if when != "" {
		rev += ", " + when
	}
	return fmt.Sprintf("%s (revision %s, %s)", v, rev, bi.GoVersion)
}

func init() {
	register(func(e *env) *cobra.Command {
		return &cobra.Command{
			Use:   "version",
			Short: "Print the kubeharden version",
			Args:  cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				_, err := fmt.Fprintln(e.stdout, "kubeharden", longVersion())
				return err
			},
		}
	})
}
