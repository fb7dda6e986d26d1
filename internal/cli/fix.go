package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/fix"
	"github.com/kubeharden/kubeharden/fix/chartvalues"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
)

func init() { register(newFixCmd) }

func newFixCmd(e *env) *cobra.Command {
	var (
		in       inputs
		img      imageFlags
		only     []string
		write    bool
		outDir   string
		resolve  bool
		ssa      bool
		apply    bool
		fieldMgr string
	)
	cmd := &cobra.Command{
		Use:   "fix [PATH|-]... [--check GLOB]... [--write | -o DIR]",
		Short: "Repair manifests: apply the fixes checks suggest, keeping comments and formatting",
		Long: `fix applies the suggested fixes of the findings scan reports (the "fixes" of
scan -o json) to the manifests they came from. By default it prints a unified diff and exits
1 when there is something to change, 0 when there is nothing; --write edits the files in
place; -o DIR writes fixed copies of the manifests read into DIR.

Edits are made in the files' own text: comments, key order, quoting, indentation and
document separators stay as they were. Objects a fix adds (NetworkPolicies from netpol
generate, a LimitRange, a ResourceQuota) go into a new file kubeharden-NAMESPACE.yaml next to
the namespace's manifests. Suppressed findings are not fixed; what needs a person's decision
(a privileged container, a hostPath, a root image) has no fix and is listed on stderr.
Running fix again changes nothing.

Objects built by kustomize get strategic-merge patches under kubeharden-patches/, added to
the kustomization's patches; objects rendered from a Helm chart get the same patches in a
kustomization under the chart's kubeharden-postrender/ directory, for a post-renderer.

With --cluster, fix prints the fixes of the live objects as kubectl patch commands (or, with
--ssa, as server-side apply YAML); it changes nothing unless --apply is given, and then
applies them server-side, after a dry run of all of them.`,
		Example: `  kubeharden fix deploy/                      # show the diff
  kubeharden fix deploy/ --write              # edit the files
  kubeharden fix deploy/ --check 'podsecurity/*' -o fixed/
  kubeharden fix deploy/ --resolve-digests    # also pin image tags to digests
  kubeharden fix --cluster -n shop --ssa | kubectl apply --server-side -f -`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if write && outDir != "" {
				return exit(scan.ExitInput, errors.New("give either --write or -o, not both"))
			}
			if apply && !in.cluster {
				return exit(scan.ExitInput, errors.New("--apply works with --cluster only"))
			}
			checks, err := selectChecks(only)
			if err != nil {
				return exit(scan.ExitInput, err)
			}
			paths := append(append([]string{}, args...), in.files...)
			var stdin []byte
			ein := *e
			for _, p := range paths {
				if p == "-" {
					if stdin, err = io.ReadAll(e.stdin); err != nil {
						return exit(scan.ExitInput, fmt.Errorf("stdin: %w", err))
					}
					ein.stdin = bytes.NewReader(stdin)
				}
			}
			input, err := in.read(cmd.Context(), &ein, args)
			if err != nil {
				return err
			}
			img.inspect = img.inspect || resolve
			if err := img.apply(cmd.Context(), e, &in, input); err != nil {
				return err
			}
			opts := input.scanOptions()
			opts.Checks = checks
			res := scan.Run(input.inv, opts)
			plan := fix.Plan(input.inv, res.Findings, fix.Options{Checks: only, Read: func(name string) ([]byte, error) {
				if name == load.StdinName && stdin != nil {
					return stdin, nil
				}
				return os.ReadFile(name)
			}})
			if !input.live {
				overlays, err := chartOverlays(plan, chartvalues.Options{Load: in.load, Checks: only,
					Scan: scan.Options{Config: opts.Config, Facts: opts.Facts, Checks: opts.Checks, Now: opts.Now}})
				if err != nil {
					return exit(scan.ExitInput, err)
				}
				plan.Changes = append(plan.Changes, overlays...)
				plan.Changes = append(plan.Changes, fix.PatchFiles(plan.Patches, os.ReadFile)...)
			}
			report := fixSummary(e, res, plan, only)
			switch {
			case input.live && apply:
				if err := applyPatches(cmd.Context(), e, &in, plan.Patches, fieldMgr); err != nil {
					return exit(scan.ExitUnreachable, err)
				}
			case input.live:
				writePatches(e.stdout, plan.Patches, ssa)
			case write:
				if err := writeChanges(e, plan.Changes, ""); err != nil {
					return exit(scan.ExitInput, err)
				}
			case outDir != "":
				if err := writeCopies(input.inv, plan.Changes, paths, outDir); err != nil {
					return exit(scan.ExitInput, err)
				}
			default:
				if err := plan.WriteDiff(e.stdout); err != nil {
					return exit(scan.ExitInput, err)
				}
			}
			if len(input.errs) > 0 {
				return exit(scan.ExitInput, nil)
			}
			if report && !write && outDir == "" && !apply {
				return exit(scan.ExitFindings, nil)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&only, "check", nil, "fix only the findings of these checks (IDs or globs such as podsecurity/*)")
	f.BoolVar(&write, "write", false, "edit the files in place")
	f.StringVarP(&outDir, "output-dir", "o", "", "write fixed copies of the manifests into this directory")
	f.BoolVar(&resolve, "resolve-digests", false, "pin image tags to the digests their registries serve now (reads registries)")
	f.BoolVar(&ssa, "ssa", false, "with --cluster: print server-side apply YAML instead of kubectl patch commands")
	f.BoolVar(&apply, "apply", false, "with --cluster: apply the fixes server-side (after a dry run)")
	f.StringVar(&fieldMgr, "field-manager", "kubeharden", "with --apply: the field manager of the applied fields")
	addAdmissionConfigFlag(f, new(string))
	f.StringSliceVar(&in.load.HelmValues, "values", nil, "Helm values file for the charts fixed (repeatable, as helm --values; e.g. an earlier kubeharden-values.yaml)")
	f.StringArrayVar(&in.load.HelmSet, "set", nil, "Helm value for the charts fixed: key=value (repeatable, as helm --set)")
	f.StringVar(&in.load.HelmRelease, "release-name", load.ReleaseName, "Helm release name the charts are rendered with: post-renderer patches name objects after it")
	img.addFlags(f)
	addInputFlags(cmd, &in)
	return cmd
}

// chartOverlays moves the fixes of objects rendered from charts that the charts' values
// can make into a kubeharden-values.yaml per chart; plan keeps the rest, as rendered, for
// the post-renderer.
func chartOverlays(plan *fix.Result, opts chartvalues.Options) ([]fix.Change, error) {
	byChart := map[string][]*fix.Patch{}
	var charts []string
	var other []*fix.Patch
	for _, p := range plan.Patches {
		dir := fix.ChartDir(p.Source)
		if dir == "" {
			other = append(other, p)
			continue
		}
		if _, ok := byChart[dir]; !ok {
			charts = append(charts, dir)
		}
		byChart[dir] = append(byChart[dir], p)
	}
	var out []fix.Change
	for _, dir := range charts {
		res, err := chartvalues.Overlay(dir, byChart[dir], opts)
		if err != nil {
			return nil, err
		}
		other = append(other, res.Rest...)
		if res.Values == nil {
			continue
		}
		name := chartvalues.Path(dir)
		old, err := os.ReadFile(name)
		if err != nil {
			old = nil
		}
		b, err := chartvalues.File(old, res.Values)
		if err != nil {
			return nil, err
		}
		out = append(out, fix.Change{Path: name, Old: old, New: b})
	}
	plan.Patches = other
	return out, nil
}

// fixSummary tells on stderr what fix changes and what it leaves for a person, and says
// whether anything changes.
func fixSummary(e *env, res *scan.Result, plan *fix.Result, only []string) bool {
	undecided := 0
	for _, f := range res.Findings {
		c := check.Lookup(f.Check)
		if f.Suppressed || len(f.Fixes) > 0 || c == nil || !c.Fixable || !fix.Matches(only, f.Check) {
			continue
		}
		undecided++
	}
	for _, s := range plan.Skipped {
		where := s.File
		if where == "" {
			where = s.Object.String()
		}
		fmt.Fprintf(e.stderr, "not fixed: %s %s: %s\n", s.Check, where, s.Reason)
	}
	changed := len(plan.Changes) > 0 || len(plan.Patches) > 0
	fmt.Fprintf(e.stderr, "kubeharden fix: %d findings fixed, %d files to change, %d patches", plan.Fixed, len(plan.Changes), len(plan.Patches))
	if undecided > 0 {
		fmt.Fprintf(e.stderr, "; %d findings of fixable checks need a decision (kubeharden scan shows them)", undecided)
	}
	fmt.Fprintln(e.stderr)
	return changed
}

// writeChanges writes each change under root ("" for in place).
func writeChanges(e *env, cs []fix.Change, root string) error {
	for _, c := range cs {
		if c.Path == load.StdinName {
			if _, err := e.stdout.Write(c.New); err != nil {
				return err
			}
			continue
		}
		p := filepath.Join(root, c.Path)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, c.New, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writeCopies writes every manifest read, fixed, into dir, at its path relative to the
// input path it was found under.
func writeCopies(inv *inventory.Inventory, cs []fix.Change, paths []string, dir string) error {
	content := map[string][]byte{}
	for _, c := range cs {
		content[c.Path] = c.New
	}
	for _, o := range inv.All() {
		name := o.Source.File
		if name == "" || name == load.StdinName || o.Source.Rendered {
			continue
		}
		if _, ok := content[name]; !ok {
			b, err := os.ReadFile(name)
			if err != nil {
				return err
			}
			content[name] = b
		}
	}
	names := make([]string, 0, len(content))
	for n := range content {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		if name == load.StdinName {
			continue
		}
		rel := relativeTo(name, paths)
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, content[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// relativeTo is name's path below the input path that holds it, or its base name.
func relativeTo(name string, paths []string) string {
	for _, p := range paths {
		base := p
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			base = filepath.Dir(p)
		}
		if rel, err := filepath.Rel(base, name); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return filepath.Base(name)
}

// writePatches prints the fixes of live objects as kubectl patch commands, or as
// server-side apply YAML.
func writePatches(w io.Writer, ps []*fix.Patch, ssa bool) {
	for _, p := range ps {
		if ssa {
			fmt.Fprintf(w, "---\n# kubeharden fix: %s\n%s", strings.Join(p.Checks, ", "), p.YAML())
			continue
		}
		if p.Created {
			fmt.Fprintf(w, "# %s\nkubectl apply --server-side --field-manager=kubeharden -f - <<'EOF'\n%sEOF\n", strings.Join(p.Checks, ", "), p.YAML())
			continue
		}
		gv, _ := schema.ParseGroupVersion(p.Object.APIVersion)
		res := strings.ToLower(p.Object.Kind)
		if gv.Group != "" {
			res += "." + gv.Group
		}
		ns := ""
		if p.Object.Namespace != "" {
			ns = " -n " + p.Object.Namespace
		}
		fmt.Fprintf(w, "# %s\nkubectl patch %s %s%s --type=strategic -p '%s'\n", strings.Join(p.Checks, ", "), res, p.Object.Name, ns,
			strings.ReplaceAll(p.JSON(), "'", `'\''`))
	}
}

// applyPatches applies the patches server-side: all as a dry run first, then for real.
func applyPatches(ctx context.Context, e *env, in *inputs, ps []*fix.Patch, manager string) error {
	cfg, err := in.kube.ToRESTConfig()
	if err != nil {
		return err
	}
	mapper, err := in.kube.ToRESTMapper()
	if err != nil {
		return err
	}
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	force := true
	for _, dry := range []bool{true, false} {
		for _, p := range ps {
			gv, err := schema.ParseGroupVersion(p.Object.APIVersion)
			if err != nil {
				return err
			}
			m, err := mapper.RESTMapping(gv.WithKind(p.Object.Kind).GroupKind(), gv.Version)
			if err != nil {
				return fmt.Errorf("%s: %w", p.Object, err)
			}
			var ri dynamic.ResourceInterface = client.Resource(m.Resource)
			if p.Object.Namespace != "" {
				ri = client.Resource(m.Resource).Namespace(p.Object.Namespace)
			}
			opts := metav1.PatchOptions{FieldManager: manager, Force: &force}
			if dry {
				opts.DryRun = []string{metav1.DryRunAll}
			}
			if _, err := ri.Patch(ctx, p.Object.Name, types.ApplyPatchType, []byte(p.JSON()), opts); err != nil {
				what := "apply"
				if dry {
					what = "dry run"
				}
				return fmt.Errorf("%s of %s failed, nothing %s: %w", what, p.Object, map[bool]string{true: "was changed", false: "more was changed"}[dry], err)
			}
			if !dry {
				fmt.Fprintf(e.stdout, "%s applied (%s)\n", p.Object, strings.Join(p.Checks, ", "))
			}
		}
	}
	return nil
}
