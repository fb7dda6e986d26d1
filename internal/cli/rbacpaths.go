package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/kubeharden/kubeharden/rbac"
	"github.com/kubeharden/kubeharden/scan"
)

func init() { register(newRBACCmd) }

func newRBACCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rbac",
		Short: "Explore RBAC: escalation paths, and reviews of what subjects use",
	}
	cmd.AddCommand(newRBACPathsCmd(e))
	cmd.AddCommand(newRBACReviewCmd(e))
	return cmd
}

type hopJSON struct {
	From   rbac.Subject  `json:"from"`
	To     *rbac.Subject `json:"to"` // null on the last hop, which reaches the target
	Action string        `json:"action"`
	Grants []viaJSON     `json:"grants"`
}

type pathJSON struct {
	From  rbac.Subject `json:"from"`
	To    rbac.Target  `json:"to"`
	Found bool         `json:"found"`
	Hops  []hopJSON    `json:"hops"`
}

func newRBACPathsCmd(e *env) *cobra.Command {
	var (
		in     inputs
		from   string
		to     string
		output = newFormat("table", "json")
	)
	cmd := &cobra.Command{
		Use:   "paths --from SUBJECT [--to cluster-admin|secrets]",
		Short: "Find how a subject can escalate to cluster-admin or to reading every Secret",
		Long: `paths searches the shortest chain of steps by which SUBJECT can become cluster-admin
(or read every Secret of the cluster), printing each hop with the grant that enables it.
A hop is what RBAC lets a subject turn into another identity: impersonating users, groups or
service accounts; creating pods or workloads in a namespace and running them as one of its
service accounts; creating service account tokens; reading or creating token Secrets; exec
into running pods or proxying to kubelets; binding or escalating ClusterRoles; approving
client certificates (which may name the group system:masters).

SUBJECT is a user name (alice, or User:alice), Group:NAME, ServiceAccount:NS:NAME or
system:serviceaccount:NS:NAME.

Exit codes: 0 no path, 1 a path exists, 2 usage or input errors.`,
		Example: `  kubeharden rbac paths -f deploy/ --from alice
  kubeharden rbac paths --cluster --from system:serviceaccount:ci:builder --to secrets -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			subject, err := rbac.ParseSubject(from)
			if err != nil {
				return exit(scan.ExitInput, fmt.Errorf("--from: %w", err))
			}
			target, err := rbac.ParseTarget(to)
			if err != nil {
				return exit(scan.ExitInput, fmt.Errorf("--to: %w", err))
			}
			input, err := in.read(cmd.Context(), e, nil)
			if err != nil {
				return err
			}
			p := input.engine().Paths(subject, target)
			out := pathJSON{From: subject, To: target, Found: p != nil, Hops: []hopJSON{}}
			if p != nil {
				for _, h := range p.Hops {
					hj := hopJSON{From: h.From, Action: h.Action, Grants: []viaJSON{}}
					if h.To != (rbac.Subject{}) {
						to := h.To
						hj.To = &to
					}
					for _, g := range h.Grants {
						hj.Grants = append(hj.Grants, via(&g))
					}
					out.Hops = append(out.Hops, hj)
				}
			}
			if err := e.emit("", output.value, &out, emitters{
				"table": func(w io.Writer) error { return writePath(w, &out) },
			}); err != nil {
				return err
			}
			if err := warnInput(e, input.errs); err != nil {
				return err
			}
			if p != nil {
				return exit(scan.ExitFindings, nil)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "subject to start from (required)")
	cmd.Flags().StringVar(&to, "to", string(rbac.ToClusterAdmin), "target: cluster-admin or secrets")
	addFormatFlag(cmd.Flags(), output, "")
	_ = cmd.MarkFlagRequired("from")
	in.addFlags(cmd.Flags(), true)
	return cmd
}

func writePath(w io.Writer, p *pathJSON) error {
	if !p.Found {
		_, err := fmt.Fprintf(w, "No path from %s to %s.\n", p.From, p.To)
		return err
	}
	steps := "steps"
	if len(p.Hops) == 1 {
		steps = "step"
	}
	fmt.Fprintf(w, "%s reaches %s in %d %s:\n", p.From, p.To, len(p.Hops), steps)
	for i, h := range p.Hops {
		to := string(p.To)
		if h.To != nil {
			to = h.To.String()
		}
		fmt.Fprintf(w, "\n%d. %s → %s\n   %s\n", i+1, h.From, to, h.Action)
		for _, g := range h.Grants {
			fmt.Fprintf(w, "   granted by %s → %s %s\n", g.Binding, g.Role, g.Rule)
		}
	}
	return nil
}
