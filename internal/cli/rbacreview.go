package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubeharden/kubeharden/audit"
	"github.com/kubeharden/kubeharden/internal/memlimit"
	"github.com/kubeharden/kubeharden/rbac/review"
	"github.com/kubeharden/kubeharden/scan"
)

func newRBACReviewCmd(e *env) *cobra.Command {
	var (
		in      inputs
		logs    []string
		since   time.Duration
		output  = newFormat("table", "json", "yaml", "md")
		workers int
	)
	cmd := &cobra.Command{
		Use:   "review --audit-log FILE|DIR... [-f PATH | --cluster] [--since 720h]",
		Short: "Compare what each subject may do with what the audit log shows it did, and narrow its roles",
		Long: `review reads Kubernetes audit logs (audit.k8s.io/v1 Event JSON lines at Metadata level or
above, plain or gzipped, rotated files included: give the files or their directory) and joins
every completed request with the RBAC objects of the manifests (-f) or the live cluster
(--cluster). Requests are attributed to the user they were authorized as (the impersonated
user, with the impersonator noted) and to the bindings that granted them.

For every subject it reports the permissions its bindings grant, the ones it used and never
used in the window, the bindings that granted nothing it used, and subjects with no activity
at all. It proposes the smallest edits that keep every used request allowed: narrowing a role
in place, splitting a binding off to a role of its own when the role is shared or of the
default policy, dropping idle bindings and subjects; each proposal is checked with the RBAC
engine before it is printed. Requests the authorizer denied are reported, never counted as used.

Exit codes: 0 nothing to narrow, 1 unused permissions or proposed changes, 2 usage or input
errors (the review still covers what could be read), 3 cluster unreachable.`,
		Example: `  kubeharden rbac review --audit-log /var/log/kubernetes/audit/ --cluster -o md > review.md
  kubeharden rbac review --audit-log audit.log.gz --audit-log audit.log -f rbac/ --since 168h -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(logs) == 0 {
				return exit(scan.ExitInput, fmt.Errorf("--audit-log: give at least one audit log file or directory"))
			}
			input, err := in.read(cmd.Context(), e, nil)
			if err != nil {
				return err
			}
			eng := input.engine()
			// The log streams through; what stays is the engine and the distinct requests.
			_, stop := memlimit.Fit()
			defer stop()
			opts := audit.Options{Workers: workers}
			if since > 0 {
				opts.Since = time.Now().Add(-since)
			}
			ev := review.Collect(logs, eng, opts)
			rep := review.Review(eng, ev)
			if err := e.emit("", output.value, rep.Subjects, emitters{
				"md":    func(w io.Writer) error { return review.WriteMarkdown(w, rep) },
				"table": func(w io.Writer) error { return review.WriteTable(w, rep) },
			}); err != nil {
				return err
			}
			for _, ae := range ev.Errors {
				fmt.Fprintln(e.stderr, "error:", ae.Error())
			}
			if n := ev.Stats.Errors; n > 0 {
				return exit(scan.ExitInput, fmt.Errorf("%d audit log error(s): the review covers only what could be read", n))
			}
			if err := warnInput(e, input.errs); err != nil {
				return err
			}
			for _, s := range rep.Subjects {
				if len(s.Unused) > 0 || len(s.Broader) > 0 {
					return exit(scan.ExitFindings, nil)
				}
			}
			if len(rep.Changes) > 0 {
				return exit(scan.ExitFindings, nil)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&logs, "audit-log", nil, "audit log file or directory of rotated files (repeatable; gzip recognised)")
	cmd.Flags().DurationVar(&since, "since", 720*time.Hour, "only requests received within this long before now (0: the whole log)")
	addFormatFlag(cmd.Flags(), output, "")
	cmd.Flags().IntVar(&workers, "workers", 0, "goroutines decoding the log (0: one per CPU)")
	in.addFlags(cmd.Flags(), true)
	return cmd
}
