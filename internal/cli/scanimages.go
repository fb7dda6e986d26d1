package cli

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/versions"
	"github.com/kubeharden/kubeharden/imageinspect"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/scan"
	"github.com/kubeharden/kubeharden/vuln"
)

// imageFlags are scan's flags for what lies behind manifests: image contents, vulnerability
// reports, and the Kubernetes versions the versions practice judges against.
type imageFlags struct {
	inspect       bool
	insecure      []string
	archives      []string
	reports       []string
	scanImages    bool
	releaseData   string
	kubeVersion   string
	targetVersion string
}

func (f *imageFlags) addFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&f.inspect, "inspect-images", false, "read each image's config and layers from its registry (Docker credentials) for the image checks")
	fs.StringSliceVar(&f.insecure, "insecure-registry", nil, "registry (host[:port]) to reach over plain HTTP or unverified TLS (repeatable)")
	fs.StringArrayVar(&f.archives, "image-archive", nil, "OCI image layout or docker save tarball to read images from before registries (repeatable; implies --inspect-images)")
	fs.StringArrayVar(&f.reports, "vuln-report", nil, "Trivy (trivy image -f json) or Grype (grype -o json) report to attach to the workloads running its image (repeatable)")
	fs.BoolVar(&f.scanImages, "scan-images", false, "run trivy (from PATH) on every image and attach its findings")
	fs.StringVar(&f.releaseData, "release-data", "", "Kubernetes release table (YAML, the format of the built-in one) to judge versions against")
	fs.StringVar(&f.kubeVersion, "kubernetes-version", "", "Kubernetes version the manifests are deployed to (e.g. 1.33.4), when no cluster tells it")
	fs.StringVar(&f.targetVersion, "target-version", "", "version to judge deprecated APIs for (default: the cluster's next minor, or the newest known)")
}

// apply sets the versions settings in the configuration and gathers the image data the
// checks read. Gathering touches registries, so it happens here, before the checks run.
// (Deprecated API calls come with the live cluster's facts: live.Cluster reads them.)
func (f *imageFlags) apply(ctx context.Context, e *env, in *inputs, input *input) error {
	cfg := input.cfg
	for _, v := range []struct{ flag, value string }{{"--kubernetes-version", f.kubeVersion}, {"--target-version", f.targetVersion}} {
		if _, err := versions.ParseVersion(v.value); v.value != "" && err != nil {
			return exit(scan.ExitInput, fmt.Errorf("%s: %w", v.flag, err))
		}
	}
	if f.kubeVersion != "" {
		cfg.Versions.KubernetesVersion = f.kubeVersion
	}
	if f.targetVersion != "" {
		cfg.Versions.TargetVersion = f.targetVersion
	}
	if f.releaseData != "" {
		abs, err := filepath.Abs(f.releaseData)
		if err != nil {
			return exit(scan.ExitInput, fmt.Errorf("--release-data: %w", err))
		}
		cfg.Versions.ReleaseData = abs
	}
	if _, err := versions.ReleasesFor(cfg); err != nil {
		return exit(scan.ExitInput, fmt.Errorf("release data: %w", err))
	}

	data := &inventory.ImageData{}
	refs := imageinspect.References(input.inv)
	if f.inspect || len(f.archives) > 0 {
		bar := newProgress(e, in.progress, "inspecting images")
		facts, errs := imageinspect.Inspect(ctx, refs, imageinspect.Options{
			Insecure:  f.insecure,
			Archives:  f.archives,
			Platforms: imageinspect.NodePlatforms(input.inv),
			CacheDir:  imageinspect.DefaultCacheDir(),
			Progress:  bar.set,
		})
		bar.done()
		data.Facts = facts
		input.addErrors("images", errs)
	}
	if len(f.reports) > 0 {
		reports, errs := vuln.ReadFiles(f.reports)
		data.Vulnerabilities = append(data.Vulnerabilities, reports...)
		input.addErrors("images", errs)
	}
	if f.scanImages {
		bar := newProgress(e, in.progress, "scanning images")
		reports, errs := vuln.Scan(ctx, refs, vuln.ScanOptions{Progress: bar.set})
		bar.done()
		data.Vulnerabilities = append(data.Vulnerabilities, reports...)
		input.addErrors("images", errs)
	}
	input.inv.SetImageData(data)

	return nil
}

// addErrors records input errors of a practice, which is then incomplete.
func (in *input) addErrors(practice string, errs []check.Error) {
	if len(errs) == 0 {
		return
	}
	in.errs = append(in.errs, errs...)
	in.markIncomplete(practice)
}

func (in *input) markIncomplete(practice string) {
	for _, p := range in.incomplete {
		if p == practice {
			return
		}
	}
	in.incomplete = append(in.incomplete, practice)
}
