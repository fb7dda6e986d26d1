package cli

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubeharden/kubeharden/attack"
	"github.com/kubeharden/kubeharden/check"
	attackchecks "github.com/kubeharden/kubeharden/checks/attack"
	"github.com/kubeharden/kubeharden/report"
	"github.com/kubeharden/kubeharden/scan"
	"github.com/kubeharden/kubeharden/vuln"
)

func init() { register(newAttackPathsCmd) }

func newAttackPathsCmd(e *env) *cobra.Command {
	var (
		in        inputs
		output    = newFormat("table", "json", "dot", "md")
		from      string
		to        []string
		reports   []string
		admission string
	)
	cmd := &cobra.Command{
		Use:   "attack-paths [PATH|-]... | --cluster",
		Short: "Find the paths from the internet (or an insider) to cluster-admin, Secrets and nodes",
		Long: `attack-paths chains the exact engines into attack paths. Its graph's nodes are the
internet, entry points (Ingress and Gateway hosts, LoadBalancer and NodePort Services, external
IPs, host ports, host-network pods), workloads (with their Pod Security level and, given
--vuln-report, their images' known vulnerabilities), service accounts, RBAC subjects, Secrets,
the nodes and cluster-admin. Each edge is an answer of the engine that owns it, printed as
evidence: the entry point and its backend, the NetworkPolicy decision, the mounted token, the
binding and role of an RBAC escalation step, the Pod Security failure or namespace level that
lets a pod reach its node.

It reports a shortest path through every entry point to each target (cluster-admin, secrets:
reading every Secret, nodes, or --to NAMESPACE/NAME for one Secret or workload), ranked by
target and length, and the single changes that cut the most paths (choke points). With
--from SUBJECT or --from NAMESPACE/WORKLOAD it starts from an insider instead.

-o json writes [{"from", "entry", "to", "steps": [{"node", "edge", "evidence", ...}]}];
-o dot a Graphviz graph of the paths; -o md a Markdown report with the choke points.

Exit codes: 0 no path, 1 paths found, 2 usage or input errors, 3 cluster unreachable.`,
		Example: `  kubeharden attack-paths examples/insecure
  kubeharden attack-paths --cluster --to cluster-admin -o json
  kubeharden attack-paths deploy/ --from shop/web --to shop/db-password
  kubeharden attack-paths deploy/ -o dot | dot -Tsvg > paths.svg`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var targets []attack.Target
			for _, s := range to {
				for _, part := range strings.Split(s, ",") {
					t, err := attack.ParseTarget(strings.TrimSpace(part))
					if err != nil {
						return exit(scan.ExitInput, fmt.Errorf("--to: %w", err))
					}
					targets = append(targets, t)
				}
			}
			in.progress = output.is("table")
			input, ev, err := in.readPodSecurity(cmd.Context(), e, args, admission)
			if err != nil {
				return err
			}
			opts := attack.Options{Now: time.Now(), RBACDefaults: !input.live && input.facts == nil, PodSecurity: ev}
			if len(reports) > 0 {
				rs, errs := vuln.ReadFiles(reports)
				opts.Vulnerabilities = rs
				input.errs = append(input.errs, errs...)
			}
			g, err := attack.Analyze(input.inv, opts)
			if err != nil {
				return exit(scan.ExitInput, err)
			}
			paths, err := g.Paths(attack.Query{From: from, To: targets})
			if err != nil {
				return exit(scan.ExitInput, err)
			}
			var chokes []attack.Choke
			if output.is("table", "md") {
				if chokes, err = g.ChokePoints(paths); err != nil {
					return exit(scan.ExitInput, err)
				}
			}
			if paths == nil {
				paths = []*attack.Path{}
			}
			if err := e.emit("", output.value, paths, emitters{
				"dot":   func(w io.Writer) error { return attack.WriteDOT(w, paths) },
				"md":    func(w io.Writer) error { return attack.WriteMarkdown(w, paths, chokes) },
				"table": func(w io.Writer) error { return writeAttackTable(w, paths, chokes, from) },
			}); err != nil {
				return err
			}
			if err := warnInput(e, input.errs); err != nil {
				return err
			}
			if len(paths) > 0 {
				return exit(scan.ExitFindings, nil)
			}
			return nil
		},
	}
	addFormatFlag(cmd.Flags(), output, "")
	cmd.Flags().StringVar(&from, "from", "", "start from an insider instead of the internet: a subject (alice, Group:NAME, ServiceAccount:NS:NAME) or NAMESPACE/WORKLOAD")
	cmd.Flags().StringArrayVar(&to, "to", nil, "target: cluster-admin, secrets, nodes or NAMESPACE/NAME of a Secret or workload (repeatable; default: cluster-admin, secrets and nodes)")
	cmd.Flags().StringArrayVar(&reports, "vuln-report", nil, "Trivy (trivy image -f json) or Grype (grype -o json) report on an image: workloads on paths list its vulnerabilities (repeatable)")
	addAdmissionConfigFlag(cmd.Flags(), &admission)
	addInputFlags(cmd, &in)
	return cmd
}

func writeAttackTable(w io.Writer, paths []*attack.Path, chokes []attack.Choke, from string) error {
	if from == "" {
		from = "the internet"
	}
	if len(paths) == 0 {
		_, err := fmt.Fprintf(w, "No attack path from %s.\n", from)
		return err
	}
	var last *attack.Node
	for i, p := range paths {
		if p.To != last {
			last = p.To
			n := 0
			for _, q := range paths {
				if q.To == p.To {
					n++
				}
			}
			fmt.Fprintf(w, "== %d %s from %s to %s\n\n", n, plural(n, "path", "paths"), from, p.To.Label())
		}
		fmt.Fprintf(w, "%d. %s (%d steps)\n", i+1, p, p.Len())
		for _, s := range p.Steps[1:] {
			fmt.Fprintf(w, "   %-13s %s", s.Edge.Kind, s.Edge.Evidence)
			if s.Node.PodSecurity != "" {
				fmt.Fprintf(w, " [Pod Security: %s]", s.Node.PodSecurity)
			}
			if s.Node.Vulnerabilities != "" {
				fmt.Fprintf(w, " [vulnerable: %s]", s.Node.Vulnerabilities)
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w)
	}
	if len(chokes) > 0 {
		fmt.Fprintln(w, "== Choke points: single changes and the paths they cut")
		fmt.Fprintln(w)
		for _, c := range chokes {
			fmt.Fprintf(w, "  cuts %d of %d  %s\n", c.Cuts, c.Of, c.Change)
		}
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// reportAttackPaths gives the HTML report the attack paths behind the scan's unsuppressed
// attack findings (computed once with the checks: checks/attack keeps them with the
// inventory).
func reportAttackPaths(output string, input *input, res *scan.Result) []report.AttackPath {
	if output != "html" {
		return nil
	}
	open := map[string]bool{}
	for _, f := range res.Findings {
		if f.Practice == "attack" && !f.Suppressed {
			open[f.Check+"\x00"+f.Message] = true
		}
	}
	if len(open) == 0 {
		return nil
	}
	r := attackchecks.Engine.For(check.Env{Inv: input.inv, Config: input.cfg, Facts: input.facts})
	if r.Err != nil {
		return nil
	}
	var out []report.AttackPath
	for _, p := range r.Paths {
		c := attackchecks.For(p.To.Kind)
		if c == nil || !open[c.ID+"\x00"+attackchecks.Message(p)] {
			continue
		}
		out = append(out, report.AttackPathOf(p))
	}
	return out
}
