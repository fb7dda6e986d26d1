package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/kubeharden/kubeharden/internal/suggest"
	"github.com/kubeharden/kubeharden/scan"
)

// catchMistakes makes typos fail loudly: a group command (netpol, rbac, ...) given an unknown
// subcommand exits 2 with a suggestion instead of printing help and exiting 0, and an
// unknown flag names the flag that was probably meant.
func catchMistakes(root *cobra.Command) {
	root.SuggestionsMinimumDistance = 2
	root.SetFlagErrorFunc(flagError)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if c == root || !c.HasSubCommands() || c.Runnable() {
			return
		}
		// Flags are not parsed here: a group has none of its own, and "netpol gen -f x"
		// should say that gen is unknown, not that -f is.
		c.DisableFlagParsing = true
		c.Args = func(cmd *cobra.Command, args []string) error { return nil }
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
				return cmd.Help() // as kubectl does for its group commands
			}
			if strings.HasPrefix(args[0], "-") {
				return exit(scan.ExitInput, fmt.Errorf("%s needs a subcommand before %s (see %s --help)", cmd.CommandPath(), args[0], cmd.CommandPath()))
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += "; did you mean " + strings.Join(s, " or ") + "?"
			} else {
				msg += fmt.Sprintf(" (see %s --help)", cmd.CommandPath())
			}
			return exit(scan.ExitInput, fmt.Errorf("%s", msg))
		}
	}
	walk(root)
}

// flagError adds "did you mean" to an unknown flag, and gives flag errors exit code 2.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	var fe *formatError
	if errors.As(err, &fe) {
		msg = fe.Error() // pflag's "invalid argument ... for -o, --output flag" says it twice
	}
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		if s := closestFlag(cmd.Flags(), name); s != "" {
			msg += "; did you mean --" + s + "?"
		}
	}
	return exit(scan.ExitInput, fmt.Errorf("%s", msg))
}

// closestFlag is the flag whose name is nearest to name.
func closestFlag(fs *pflag.FlagSet, name string) string {
	var names []string
	fs.VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	return suggest.Closest(name, names)
}
