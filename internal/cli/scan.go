package cli

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/compliance"
	"github.com/kubeharden/kubeharden/internal/memlimit"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/report"
	"github.com/kubeharden/kubeharden/scan"
)

func init() { register(newScanCmd) }

func newScanCmd(e *env) *cobra.Command {
	var (
		in             inputs
		output         = newFormat(report.Formats...)
		failOn         string
		showSuppressed bool
		only           []string
		admission      string
		encConfig      string
		img            imageFlags
		sourceRoot     string
		linkBase       string
		verbose        bool
		baseline       string
		color          string
		allContexts    bool
		nsFilter       scan.Namespaces
		by             string
		framework      string
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
  kubeharden scan . --baseline previous.json   # only findings that are new since previous.json
  kubeharden scan --cluster --context prod --context staging -o json
  kubeharden scan deploy/ --inspect-images --vuln-report trivy-api.json --kubernetes-version 1.33.4`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var fail check.Severity
			if failOn != "none" {
				var err error
				if fail, err = check.ParseSeverity(failOn); err != nil {
					return exit(scan.ExitInput, fmt.Errorf("--fail-on: %w", err))
				}
			}
			switch by {
			case "", "practice":
			case "namespace":
			default:
				return exit(scan.ExitInput, fmt.Errorf("--by %q: want namespace (or practice, the default)", by))
			}
			if err := nsFilter.Validate(); err != nil {
				return exit(scan.ExitInput, err)
			}
			var mapping *compliance.Data
			if framework != "" {
				var err error
				if mapping, _, err = compliance.Lookup(framework); err != nil {
					return exit(scan.ExitInput, fmt.Errorf("--framework: %w", err))
				}
			}
			// Patterns may name only custom checks, which the config read below holds.
			checks, selErr := selectChecks(only)
			in.progress = wantsProgress(output.value)
			in.fleet = true
			fleet, err := in.fleetContexts(allContexts)
			if err != nil {
				return err
			}
			// one judges one input: the same configuration, flags and checks for each cluster
			// of a fleet as for a single input.
			one := func(input *input) (*scan.Result, error) {
				more, err := customChecks(input.cfg, only)
				if err != nil {
					return nil, err
				}
				if selErr != nil && len(more) == 0 {
					return nil, exit(scan.ExitInput, selErr)
				}
				checks := append(append([]*check.Check(nil), checks...), more...)
				if mapping != nil {
					if checks = mapping.Filter(checks, framework); len(checks) == 0 {
						return nil, exit(scan.ExitInput, fmt.Errorf("--framework %s: none of the selected checks maps to it", framework))
					}
				}
				if err := applyAdmissionConfig(input.cfg, admission); err != nil {
					return nil, err
				}
				if err := applyEncryptionConfig(input, encConfig); err != nil {
					return nil, err
				}
				if err := img.apply(cmd.Context(), e, &in, input); err != nil {
					return nil, err
				}
				opts := input.scanOptions()
				opts.Checks = checks
				opts.Namespaces = nsFilterOf(input, nsFilter)
				opts.ByNamespace = by == "namespace"
				opts.ReleaseEngines = !output.is("html")
				if baseline != "" {
					if opts.Baseline, err = scan.ReadBaseline(baseline); err != nil {
						return nil, exit(scan.ExitInput, fmt.Errorf("--baseline: %w", err))
					}
				}
				inv := input.inv
				if opts.ReleaseEngines {
					// Nothing reads the inventory once the checks are done but the HTML report:
					// the collector may have it while the report is written.
					input.inv = nil
				}
				return spin(e, in.progress, "checking", func() *scan.Result { return scan.Run(inv, opts) }), nil
			}
			var res *scan.Result
			var single *input // attack paths are drawn for a single input
			var unreachable []error
			if fleet == nil {
				input, err := in.read(cmd.Context(), e, args)
				if err != nil {
					return err
				}
				_, stop := memlimit.Fit()
				defer stop()
				if res, err = one(input); err != nil {
					return err
				}
				single = input
			} else {
				inputs, unr, err := in.readFleet(cmd.Context(), e, fleet)
				if err != nil {
					return err
				}
				unreachable = unr
				_, stop := memlimit.Fit()
				defer stop()
				results := map[string]*scan.Result{}
				for _, name := range fleet {
					if inputs[name] == nil {
						continue
					}
					if results[name], err = one(inputs[name]); err != nil {
						return err
					}
				}
				res = scan.Merge(results)
			}
			if mapping != nil {
				res.Summary.Framework = mapping.Summarize(framework, res.Checks, res.Findings)
			}
			useColor, err := colorWanted(color, e.stdout)
			if err != nil {
				return exit(scan.ExitInput, err)
			}
			root, err := filepath.Abs(sourceRoot)
			if err != nil {
				return exit(scan.ExitInput, fmt.Errorf("--source-root: %w", err))
			}
			err = report.Write(e.stdout, res, report.Options{
				Format:         output.value,
				Color:          output.is("table") && useColor,
				Width:          tableWidth(e.stdout),
				ShowSuppressed: showSuppressed,
				ToolVersion:    Version(),
				SourceRoot:     root,
				LinkBase:       linkBase,
				AttackPaths:    reportAttackPaths(output.value, single, res),
				Exposure:       reportExposure(output.value, single, nsFilterOf(single, nsFilter)),
				Verbose:        verbose,
			})
			if err != nil {
				return exit(scan.ExitInput, err)
			}
			if len(unreachable) > 0 {
				return exit(scan.ExitUnreachable, errors.Join(unreachable...))
			}
			if code := res.ExitCode(fail); code != scan.ExitClean {
				return exit(code, nil)
			}
			return nil
		},
	}
	f := cmd.Flags()
	addFormatFlag(f, output, "")
	f.StringVar(&failOn, "fail-on", "info", "exit 1 when a finding is at or above this severity (critical|high|medium|low|info|none)")
	f.StringVar(&color, "color", "auto", "colour the table: auto (on a terminal, unless NO_COLOR is set), always or never")
	f.StringVar(&baseline, "baseline", "", "report only findings that are not in this earlier scan -o json report (matched by fingerprint); exit codes follow the new findings")
	f.BoolVarP(&verbose, "verbose", "v", false, "list the files skipped as not Kubernetes in the table")
	f.BoolVar(&showSuppressed, "show-suppressed", false, "show suppressed findings in the table, markdown and HTML reports")
	f.StringSliceVar(&only, "check", nil, "run only these checks (IDs or globs such as images/*)")
	f.StringVar(&sourceRoot, "source-root", ".", "directory that file paths in SARIF and Markdown are made relative to (the repository root)")
	f.StringVar(&linkBase, "link-base", "", "URL that file links in Markdown and HTML start with, e.g. https://github.com/ORG/REPO/blob/SHA/")
	addAdmissionConfigFlag(f, &admission)
	f.StringSliceVar(&in.load.HelmValues, "values", nil, "Helm values file for the charts scanned (repeatable, as helm --values)")
	f.StringVar(&in.load.HelmRelease, "release-name", load.ReleaseName, "Helm release name the charts are rendered with")
	f.StringArrayVar(&in.load.HelmSet, "set", nil, "Helm value for the charts scanned: key=value (repeatable, as helm --set)")
	f.StringArrayVar(&in.load.HelmSetString, "set-string", nil, "Helm string value for the charts scanned: key=value (repeatable, as helm --set-string)")
	f.StringArrayVar(&in.load.HelmSetFile, "set-file", nil, "Helm value for the charts scanned read from a file: key=path (repeatable, as helm --set-file)")
	f.StringArrayVar(&in.load.HelmSetJSON, "set-json", nil, "Helm JSON value for the charts scanned: key=json (repeatable, as helm --set-json)")
	addEncryptionConfigFlag(f, &encConfig)
	img.addFlags(f)
	addInputFlags(cmd, &in)
	f.StringArrayVar(&nsFilter.Include, "include-namespace", nil, "report only on namespaces matching this glob (repeatable; cluster-scoped objects are kept unless --exclude-namespace '(cluster)'); checks still read every namespace")
	f.StringArrayVar(&nsFilter.Exclude, "exclude-namespace", nil, "leave out namespaces matching this glob (repeatable; '(cluster)' leaves out cluster-scoped objects)")
	f.StringVar(&framework, "framework", "", "run only the checks mapped to this compliance framework and judge its controls: "+strings.Join(compliance.Frameworks(), "|"))
	f.StringVar(&by, "by", "", "add a score per namespace to the summary: namespace")
	f.BoolVar(&allContexts, "all-contexts", false, "with --cluster, scan the cluster of every kubeconfig context into one report (--context may also be given several times)")
	return cmd
}

// selectChecks returns the registered checks matching the patterns (all when none).
func selectChecks(patterns []string) ([]*check.Check, error) {
	if len(patterns) == 0 {
		return check.All(), nil
	}
	out := check.Matching(check.All(), patterns)
	if len(out) == 0 {
		return nil, fmt.Errorf("--check %s matches no check (see kubeharden checks)", strings.Join(patterns, ","))
	}
	return out, nil
}
