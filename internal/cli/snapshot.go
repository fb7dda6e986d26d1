package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubeharden/kubeharden/scan"
	"github.com/kubeharden/kubeharden/snapshot"
)

func init() { register(newSnapshotCmd) }

func newSnapshotCmd(e *env) *cobra.Command {
	var (
		in     inputs
		file   string
		output = newFormat("yaml")
	)
	output.fileFlag = "file"
	cmd := &cobra.Command{
		Use:   "snapshot [--file FILE]",
		Short: "Save what a live scan reads, to scan it again offline",
		Long: `Snapshot reads the live cluster as scan --cluster does and writes every object it read,
with the cluster's facts (versions, API server flags) and any read errors, as one multi-document
YAML file. "kubeharden scan FILE" then gives the same findings as the live scan did.

Secret values are never written: Secrets keep their metadata and type, and TLS Secrets their
certificates (tls.key stays as an empty value that only says a key exists).

Exit codes: 0 written, 2 written but some resources could not be read (see stderr), 3 cluster
unreachable.`,
		Example: `  kubeharden snapshot --file cluster.yaml
  kubeharden scan cluster.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in.cluster = len(in.files) == 0
			in.progress = file != "" && file != "-"
			input, err := in.read(cmd.Context(), e, nil)
			if err != nil {
				return err
			}
			snap := &snapshot.Snapshot{Facts: input.facts, Errors: input.errs, Incomplete: input.incomplete}
			comment := fmt.Sprintf("kubeharden snapshot taken %s by kubeharden %s", time.Now().UTC().Format(time.RFC3339), Version())
			if err := e.emit(file, output.value, nil, emitters{
				"yaml": func(w io.Writer) error {
					if err := snapshot.Write(w, comment, input.inv.All(), snap); err != nil {
						return fmt.Errorf("write snapshot: %w", err)
					}
					return nil
				},
			}); err != nil {
				return err
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
	cmd.Flags().StringVar(&file, "file", "-", "file to write (- for standard output)")
	addFormatFlag(cmd.Flags(), output, "(the objects as multi-document YAML)")
	addInputFlags(cmd, &in)
	return cmd
}
