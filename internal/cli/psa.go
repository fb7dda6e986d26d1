package cli

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/pod-security-admission/api"

	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/psa"
	"github.com/kubeharden/kubeharden/scan"
)

func init() { register(newPSACmd) }

func newPSACmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "psa",
		Short: "Pod Security admission: plan each namespace's move to a stricter level",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newPSAPlanCmd(e))
	return cmd
}

func newPSAPlanCmd(e *env) *cobra.Command {
	var (
		in        inputs
		output    = newFormat("table", "json")
		admission string
	)
	cmd := &cobra.Command{
		Use:   "plan [PATH|-]...",
		Short: "Show, per namespace, the strictest Pod Security level its workloads meet and how to enforce it",
		Long: `Plan judges every workload of every namespace with the API server's own Pod Security
checks and prints, per namespace: its current pod-security.kubernetes.io labels, the
strictest level (privileged, baseline, restricted) that all its workloads satisfy, the
workloads and checks that block each stricter level, and the kubectl command that enforces
the strictest level (pinned to a version) with warn and audit one level higher.

Workloads are judged at the namespace's pinned enforce-version, else at the newest policy
version (the cluster's, when reading a live cluster). Pods of runtime classes the admission
configuration exempts block nothing; namespaces it exempts get no commands, as do those
kubeharden's configuration exempts (podSecurity.exemptNamespaces).

Exit codes: 0 done, 2 usage or input errors (the plan is still printed for what could be
read), 3 cluster unreachable.`,
		Example: `  kubeharden psa plan examples/insecure
  kubeharden psa plan --cluster -o json
  kubeharden psa plan -f deploy/ --admission-config /etc/kubernetes/admission.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			input, ev, err := in.readPodSecurity(cmd.Context(), e, args, admission)
			if err != nil {
				return err
			}
			plans := ev.PlanAll(input.inv, psa.PlanOptions{Skip: input.cfg.PodSecurity.Exempt()})
			if err := e.emit("", output.value, plans, emitters{
				"table": func(w io.Writer) error { return writePlanTable(w, plans) },
			}); err != nil {
				return err
			}
			for _, ie := range input.errs {
				fmt.Fprintln(e.stderr, "error:", ie.Error())
			}
			if len(input.errs) > 0 {
				return exit(scan.ExitInput, fmt.Errorf("%d input errors: the plan covers what could be read", len(input.errs)))
			}
			return nil
		},
	}
	f := cmd.Flags()
	addFormatFlag(f, output, "")
	addAdmissionConfigFlag(f, &admission)
	addInputFlags(cmd, &in)
	return cmd
}

// addAdmissionConfigFlag adds --admission-config, for every command that judges Pod Security.
func addAdmissionConfigFlag(f *pflag.FlagSet, path *string) {
	f.StringVar(path, "admission-config", "", "the API server's admission configuration file (AdmissionConfiguration or PodSecurityConfiguration): its PodSecurity defaults and exemptions apply")
}

// applyAdmissionConfig reads the --admission-config file into cfg; an empty path keeps cfg.
func applyAdmissionConfig(cfg *config.Config, path string) error {
	if path == "" {
		return nil
	}
	adm, err := psa.LoadAdmissionConfig(path)
	if err != nil {
		return exit(scan.ExitInput, fmt.Errorf("--admission-config: %w", err))
	}
	cfg.PodSecurity.Admission = adm
	return nil
}

// readPodSecurity reads the input of a command that judges Pod Security, applies
// --admission-config to it, and builds the evaluator at the cluster's version (the newest
// policy for manifests).
func (in *inputs) readPodSecurity(ctx context.Context, e *env, args []string, admission string) (*input, *psa.Evaluator, error) {
	input, err := in.read(ctx, e, args)
	if err != nil {
		return nil, nil, err
	}
	if err := applyAdmissionConfig(input.cfg, admission); err != nil {
		return nil, nil, err
	}
	server := ""
	if input.facts != nil {
		server = input.facts.ServerVersion
	}
	ev, err := newPSAEvaluator(input.cfg, server)
	if err != nil {
		return nil, nil, exit(scan.ExitInput, fmt.Errorf("podSecurity.admission: %w", err))
	}
	return input, ev, nil
}

// newPSAEvaluator builds the evaluator for cfg; an API server version it cannot read
// ("v0.0.0-master") falls back to the newest policy.
func newPSAEvaluator(cfg *config.Config, server string) (*psa.Evaluator, error) {
	ev, err := psa.New(psa.Options{Admission: cfg.PodSecurity.Admission, ServerVersion: server})
	if err != nil && server != "" {
		ev, err = psa.New(psa.Options{Admission: cfg.PodSecurity.Admission})
	}
	return ev, err
}

// writePlanTable prints one block of rows per namespace, then the commands.
func writePlanTable(w io.Writer, plans []psa.Plan) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tENFORCE\tSTRICTEST\tBLOCKS\tWORKLOAD\tCHECKS")
	var cmds []string
	for _, p := range plans {
		enforce := "-"
		if l, ok := p.Labels[api.EnforceLevelLabel]; ok {
			enforce = l
			if v, ok := p.Labels[api.EnforceVersionLabel]; ok {
				enforce += ":" + v
			}
		}
		first := true
		row := func(blocks, workload, checks string) {
			ns, enf, strictest := "", "", ""
			if first {
				ns, enf, strictest = p.Namespace, enforce, string(p.Strictest)
				first = false
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", ns, enf, strictest, blocks, workload, checks)
		}
		var lvls []string
		for l := range p.Blockers {
			lvls = append(lvls, string(l))
		}
		sort.Slice(lvls, func(i, j int) bool { return api.CompareLevels(api.Level(lvls[i]), api.Level(lvls[j])) < 0 })
		for _, l := range lvls {
			for _, b := range p.Blockers[api.Level(l)] {
				row(l, b.Object.Kind+"/"+b.Object.Name, strings.Join(b.Checks, ", "))
			}
		}
		if first {
			row("-", "", "")
		}
		if p.Exempt != "" {
			row("", "(exempt: "+p.Exempt+")", "")
		}
		cmds = append(cmds, p.Commands...)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(cmds) > 0 {
		fmt.Fprintln(w, "\nTo enforce the strictest level each namespace meets, and warn and audit at the next:")
		for _, c := range cmds {
			fmt.Fprintln(w, "  "+c)
		}
	}
	return nil
}
