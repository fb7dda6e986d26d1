package cli

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/internal/memlimit"
	"github.com/kubeharden/kubeharden/report"
	"github.com/kubeharden/kubeharden/scan"
)

func init() { register(newScanCmd) }

func newScanCmd(e *env) *cobra.Command {
	var (
		in             inputs
		output         string
		failOn         string
		showSuppressed bool
		only           []string
		admission      string
		encConfig      string
		img            imageFlags
		sourceRoot     string
		linkBase       string
	)
	cmd := &cobra.Command{
		Use:   "scan [PATH|-]...",
		Short: "Audit manifests or a live cluster",
		Long: `Scan audits manifests (files, directories, - for stdin) or, with --cluster or no path
when a kubeconfig context exists, the live cluster. A directory holding a Chart.yaml, or a
packaged chart (.tgz) named as a path, is rendered as a Helm chart (release "release",
namespace -n or "default", --values, --set, --set-string, --set-json and --set-file as with
helm template; lines of its findings count lines of the rendered template, and findings in
an archive point at ARCHIVE/CHART/templates/FILE), and a directory holding a kustomization
is built as kustomize build does, offline.

Exit codes: 0 clean (or findings below --fail-on), 1 findings at or above --fail-on,
2 usage or input errors (findings are still reported), 3 cluster unreachable.`,
		Example: `  kubeharden scan examples/insecure
  kubeharden scan -o sarif deploy/ > kubeharden.sarif
  kubeharden scan --cluster --context prod -o json
  kubeharden scan deploy/ --inspect-images --vuln-report trivy-api.json --kubernetes-version 1.33.4`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var fail check.Severity
			if failOn != "none" {
				var err error
				if fail, err = check.ParseSeverity(failOn); err != nil {
					return exit(scan.ExitInput, fmt.Errorf("--fail-on: %w", err))
				}
			}
			checks, err := selectChecks(only)
			if err != nil {
				return exit(scan.ExitInput, err)
			}
			in.progress = wantsProgress(output)
			input, err := in.read(cmd.Context(), e, args)
			if err != nil {
				return err
			}
			if err := applyAdmissionConfig(input.cfg, admission); err != nil {
				return err
			}
			if err := applyEncryptionConfig(input, encConfig); err != nil {
				return err
			}
			if err := img.apply(cmd.Context(), e, &in, input); err != nil {
				return err
			}
			opts := input.scanOptions()
			opts.Checks = checks
			_, stop := memlimit.Fit()
			defer stop()
			res := spin(e, in.progress, "checking", func() *scan.Result { return scan.Run(input.inv, opts) })
			root, err := filepath.Abs(sourceRoot)
			if err != nil {
				return exit(scan.ExitInput, fmt.Errorf("--source-root: %w", err))
			}
			err = report.Write(e.stdout, res, report.Options{
				Format:         output,
				Color:          output == "table" && isTerminal(e.stdout),
				ShowSuppressed: showSuppressed,
				ToolVersion:    Version(),
				SourceRoot:     root,
				LinkBase:       linkBase,
				AttackPaths:    reportAttackPaths(output, input, res),
			})
			if err != nil {
				return exit(scan.ExitInput, err)
			}
			if code := res.ExitCode(fail); code != scan.ExitClean {
				return exit(code, nil)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&output, "output", "o", "table", "output format: "+strings.Join(report.Formats, "|"))
	f.StringVar(&failOn, "fail-on", "info", "exit 1 when a finding is at or above this severity (critical|high|medium|low|info|none)")
	f.BoolVar(&showSuppressed, "show-suppressed", false, "show suppressed findings in the table, markdown and HTML reports")
	f.StringSliceVar(&only, "check", nil, "run only these checks (IDs or globs such as images/*)")
	f.StringVar(&sourceRoot, "source-root", ".", "directory that file paths in SARIF and Markdown are made relative to (the repository root)")
	f.StringVar(&linkBase, "link-base", "", "URL that file links in Markdown and HTML start with, e.g. https://github.com/ORG/REPO/blob/SHA/")
	addAdmissionConfigFlag(f, &admission)
	f.StringSliceVar(&in.load.HelmValues, "values", nil, "Helm values file for the charts scanned (repeatable, as helm --values)")
	f.StringArrayVar(&in.load.HelmSet, "set", nil, "Helm value for the charts scanned: key=value (repeatable, as helm --set)")
	f.StringArrayVar(&in.load.HelmSetString, "set-string", nil, "Helm string value for the charts scanned: key=value (repeatable, as helm --set-string)")
	f.StringArrayVar(&in.load.HelmSetFile, "set-file", nil, "Helm value for the charts scanned read from a file: key=path (repeatable, as helm --set-file)")
	f.StringArrayVar(&in.load.HelmSetJSON, "set-json", nil, "Helm JSON value for the charts scanned: key=json (repeatable, as helm --set-json)")
	addEncryptionConfigFlag(f, &encConfig)
	img.addFlags(f)
	addInputFlags(cmd, &in)
	return cmd
}

// selectChecks returns the registered checks matching the patterns (all when none).
func selectChecks(patterns []string) ([]*check.Check, error) {
	all := check.All()
	if len(patterns) == 0 {
		return all, nil
	}
	var out []*check.Check
	for _, c := range all {
		for _, p := range patterns {
			if ok, _ := matchID(p, c.ID); ok {
				out = append(out, c)
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("--check %s matches no check (see kubeharden checks)", strings.Join(patterns, ","))
	}
	return out, nil
}
