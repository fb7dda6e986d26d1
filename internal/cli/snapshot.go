package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
)

func init() { register(newSnapshotCmd) }

func newSnapshotCmd(e *env) *cobra.Command {
	var (
		in  inputs
		out string
	)
	cmd := &cobra.Command{
		Use:   "snapshot [-o FILE]",
		Short: "Save what a live scan reads, to scan it again offline",
		Long: `Snapshot reads the live cluster as scan --cluster does and writes every object it read,
with the cluster's facts (versions, API server flags) and any read errors, as one multi-document
YAML file. "kubeharden scan FILE" then gives the same findings as the live scan did.

Secret values are never written: Secrets keep their metadata and type, and TLS Secrets their
certificates (tls.key stays as an empty value that only says a key exists).

Exit codes: 0 written, 2 written but some resources could not be read (see stderr), 3 cluster
unreachable.`,
		Example: `  kubeharden snapshot -o cluster.yaml
  kubeharden scan cluster.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in.cluster = len(in.files) == 0
			in.progress = out != "" && out != "-"
			input, err := in.read(cmd.Context(), e, nil)
			if err != nil {
				return err
			}
			var w io.Writer = e.stdout
			var f *os.File
			if out != "" && out != "-" {
				if f, err = os.Create(out); err != nil {
					return exit(scan.ExitInput, err)
				}
				w = f
			}
			snap := &load.Snapshot{Facts: input.facts, Errors: input.errs, Incomplete: input.incomplete}
			comment := fmt.Sprintf("kubeharden snapshot taken %s by kubeharden %s", time.Now().UTC().Format(time.RFC3339), Version())
			err = load.WriteSnapshot(w, comment, input.inv.All(), snap)
			if f != nil {
				if cerr := f.Close(); err == nil {
					err = cerr
				}
			}
			if err != nil {
				return exit(scan.ExitInput, fmt.Errorf("write snapshot: %w", err))
			}
			for _, er := range input.errs {
				fmt.Fprintln(e.stderr, "error:", er.Error())
			}
			if len(input.errs) > 0 {
				return exit(scan.ExitInput, nil)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "-", "file to write (- for standard output)")
	addInputFlags(cmd, &in)
	return cmd
}
