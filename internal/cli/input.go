package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
	"github.com/kubeharden/kubeharden/snapshot"
)

// inputs are the flags of every command that reads objects: paths (positional or -f) or the
// live cluster, with kubectl's kubeconfig flags.
type inputs struct {
	files         []string
	cluster       bool
	allNamespaces bool
	configPath    string
	qps           float32
	burst         int
	kube          *genericclioptions.ConfigFlags
	// progress asks for progress bars on stderr (shown only on a terminal); commands set it
	// when their output is for humans.
	progress bool
	// load holds loader options that commands add flags for (scan: Helm's --values, --set).
	load load.Options
	// exclude and strict are --exclude and --strict.
	exclude []string
	strict  bool
	// contexts are the --context flags: kubectl's single context, or with scan --cluster
	// several clusters (fleet, set by commands that read several).
	contexts []string
	fleet    bool
}

// addFlags adds the input flags. impersonation=false leaves out kubectl's --as/--as-group,
// for commands that use those names for themselves.
func (in *inputs) addFlags(fs *pflag.FlagSet, impersonation bool) {
	fs.StringArrayVarP(&in.files, "filename", "f", nil, "manifest file or directory to read (repeatable; - for stdin)")
	fs.BoolVar(&in.cluster, "cluster", false, "read the live cluster of the current kubeconfig context")
	fs.BoolVarP(&in.allNamespaces, "all-namespaces", "A", false, "read every namespace of the live cluster (the default unless -n is given)")
	fs.StringVar(&in.configPath, "config", "", "config file (default: "+config.FileName+" found upward from the first path)")
	fs.StringArrayVar(&in.exclude, "exclude", nil, "gitignore-style glob of paths not to read (repeatable; also exclude: in the config and "+load.IgnoreFileName+" files)")
	fs.BoolVar(&in.strict, "strict", false, "report YAML and JSON that is not a Kubernetes object as an input error instead of skipping it")
	fs.Float32Var(&in.qps, "qps", 50, "client-side requests per second to the API server")
	fs.IntVar(&in.burst, "burst", 100, "client-side request burst to the API server")
	in.kube = genericclioptions.NewConfigFlags(true)
	// kubectl's --cluster (a kubeconfig cluster name) would clash with our --cluster switch;
	// --context selects a cluster instead.
	in.kube.ClusterName = nil
	if !impersonation {
		in.kube.Impersonate, in.kube.ImpersonateUID, in.kube.ImpersonateGroup = nil, nil, nil
	}
	// --context is ours, so that scan can take it more than once.
	in.kube.Context = nil
	in.kube.AddFlags(fs)
	fs.StringArrayVar(&in.contexts, "context", nil, "the name of the kubeconfig context to use")
}

// useContext points the kubeconfig flags at the one --context given; more than one is an
// error but for commands that read several clusters.
func (in *inputs) useContext() error {
	switch {
	case len(in.contexts) > 1 && !in.fleet:
		return exit(scan.ExitInput, fmt.Errorf("--context given %d times: only scan --cluster reads several clusters", len(in.contexts)))
	case len(in.contexts) == 1:
		in.kube.Context = &in.contexts[0]
	}
	return nil
}

// input is what a command reads: the inventory, cluster facts, config, and input errors.
type input struct {
	inv        *inventory.Inventory
	facts      *inventory.Facts
	cfg        *config.Config
	errs       []check.Error
	incomplete []string
	live       bool
	// From files: what was skipped as not Kubernetes, the charts and kustomizations built,
	// and how many of errs are about objects that were still read.
	skipped  []load.Skip
	builds   []load.Build
	warnings int
}

// scanOptions are the scan options that carry this input.
func (in *input) scanOptions() scan.Options {
	return scan.Options{Config: in.cfg, Facts: in.facts, Errors: in.errs, Incomplete: in.incomplete,
		Warnings: in.warnings, Skipped: in.skipped, Builds: in.builds}
}

// errNoInput is returned when neither paths nor a cluster were given.
var errNoInput = errors.New("nothing to read: give manifest paths (or -f), or --cluster with a kubeconfig")

// read loads the objects the flags and positional paths name.
func (in *inputs) read(ctx context.Context, e *env, paths []string) (*input, error) {
	if err := in.useContext(); err != nil {
		return nil, err
	}
	paths = append(paths, in.files...)
	var out input
	var err error
	switch {
	case in.configPath != "":
		out.cfg, err = config.Load(in.configPath)
	case len(paths) > 0 && paths[0] != "-":
		out.cfg, err = config.Find(paths[0])
	default:
		out.cfg, err = config.Find(".")
	}
	if err != nil {
		return nil, exit(scan.ExitInput, fmt.Errorf("config: %w", err))
	}
	if len(paths) > 0 && in.cluster {
		return nil, exit(scan.ExitInput, errors.New("give either paths or --cluster, not both"))
	}
	if len(paths) > 0 {
		opts := in.load
		opts.Stdin = e.stdin
		opts.Strict = in.strict
		opts.Exclude = append(append([]string{}, out.cfg.Exclude...), in.exclude...)
		if in.kube.Namespace != nil {
			opts.HelmNamespace = *in.kube.Namespace // the release namespace of charts
		}
		lr := load.Read(paths, opts)
		if err := helmFlagsWithoutChart(opts, lr.Builds); err != nil {
			return nil, err
		}
		objs, errs := lr.Objects, lr.Errors
		if ns := opts.HelmNamespace; ns != "" {
			// As kubectl apply -n NS: objects that name no namespace go into NS.
			for _, o := range objs {
				if o.Namespace == "" && !inventory.ClusterScoped(o.APIVersion, o.Kind) {
					o.Meta.SetNamespace(ns)
					o.Namespace = ns
				}
			}
		}
		out.skipped, out.builds, out.warnings = lr.Skipped, lr.Builds, len(lr.Errors)-lr.Unread
		// A snapshot (kubeharden snapshot) carries the cluster's facts, errors and
		// incomplete practices in a ClusterFacts document.
		objs, snap, serrs := snapshot.Split(objs)
		errs = append(errs, serrs...)
		if snap != nil {
			out.facts, out.incomplete = snap.Facts, snap.Incomplete
			errs = append(snap.Errors, errs...)
		}
		out.inv, out.errs = inventory.Build(objs), errs
		return &out, nil
	}
	if !in.cluster && !hasKubeconfigContext(in.kube) {
		return nil, exit(scan.ExitInput, errNoInput)
	}
	cfg, err := in.restConfig()
	if err != nil {
		return nil, err
	}
	live, err := readLive(ctx, cfg, in, e)
	if err != nil {
		return nil, err
	}
	out.inv, out.facts, out.errs, out.incomplete, out.live = inventory.Build(live.objects), live.facts, live.errs, live.incomplete, true
	return &out, nil
}

// helmFlagsWithoutChart is a usage error for Helm's value flags when no chart was rendered:
// they would change nothing, and the user thinks they did.
func helmFlagsWithoutChart(opts load.Options, builds []load.Build) error {
	var given []string
	for _, f := range []struct {
		name string
		n    int
	}{{"--values", len(opts.HelmValues)}, {"--set", len(opts.HelmSet)}, {"--set-string", len(opts.HelmSetString)},
		{"--set-json", len(opts.HelmSetJSON)}, {"--set-file", len(opts.HelmSetFile)}} {
		if f.n > 0 {
			given = append(given, f.name)
		}
	}
	if len(given) == 0 {
		return nil
	}
	for _, b := range builds {
		if strings.Contains(b.As, "helm") {
			return nil
		}
	}
	return exit(scan.ExitInput, fmt.Errorf("%s given, but no Helm chart is in the input (a directory holding Chart.yaml, or a .tgz)", strings.Join(given, ", ")))
}

// liveResult is what readLive returns.
type liveResult struct {
	objects    []*inventory.Object
	facts      *inventory.Facts
	errs       []check.Error
	incomplete []string
}

func hasKubeconfigContext(kube *genericclioptions.ConfigFlags) bool {
	raw, err := kube.ToRawKubeConfigLoader().RawConfig()
	return err == nil && (raw.CurrentContext != "" || (kube.Context != nil && *kube.Context != ""))
}

// addInputFlags is a shorthand for commands' flag setup.
func addInputFlags(cmd *cobra.Command, in *inputs) { in.addFlags(cmd.Flags(), true) }
