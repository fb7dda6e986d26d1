package cli

import (
	"io"

	"github.com/spf13/cobra"

	"github.com/kubeharden/kubeharden/drift"
	"github.com/kubeharden/kubeharden/scan"
)

func init() { register(newDiffCmd) }

func newDiffCmd(e *env) *cobra.Command {
	output := newFormat("table", "json", "yaml", "md")
	cmd := &cobra.Command{
		Use:   "diff OLD.json NEW.json",
		Short: "Compare two scan reports: new, fixed and unchanged findings",
		Long: `diff compares two reports of kubeharden scan -o json, finding by finding (matched by a
fingerprint of check, object kind, namespace and name, field path and message; file, line and
apiVersion are ignored). New risky grants (RBAC) come first, then new exposure (ingress and
network), then other new findings; then fixed, newly suppressed and unchanged ones.
-o md writes a review ticket.

Exit codes: 0 nothing new, 1 new findings, 2 usage or input errors.`,
		Example: `  kubeharden scan --cluster -o json > 2026-12.json
  kubeharden diff 2026-11.json 2026-12.json -o md > drift.md`,
		Args: cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			old, err := drift.ReadReport(args[0])
			if err != nil {
				return exit(scan.ExitInput, err)
			}
			cur, err := drift.ReadReport(args[1])
			if err != nil {
				return exit(scan.ExitInput, err)
			}
			d := drift.Compare(old.Findings, cur.Findings)
			d.Old, d.New, d.OldErrors, d.NewErrors = args[0], args[1], old.Errors, cur.Errors
			if err := e.emit("", output.value, d, emitters{
				"md":    func(w io.Writer) error { return drift.WriteMarkdown(w, d) },
				"table": func(w io.Writer) error { return drift.WriteTable(w, d) },
			}); err != nil {
				return err
			}
			if len(d.Added) > 0 {
				return exit(scan.ExitFindings, nil)
			}
			return nil
		},
	}
	addFormatFlag(cmd.Flags(), output, "")
	return cmd
}
