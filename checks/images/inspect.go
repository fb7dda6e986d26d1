package images

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// refInspect names how image facts are gathered, for the docs of the checks that read them.
const inspectNote = " The check needs the image's contents, so it runs only with `kubeharden scan --inspect-images` " +
	"(or image archives); without them it reports nothing."

// InspectChecks returns the checks that judge inspected images and vulnerability reports.
func InspectChecks() []*check.Check {
	return []*check.Check{ImageRunsAsRoot, ImageNotMinimal, ImageTooOld, ImageTooLarge, ImagePlatformMissing, Vulnerable, VulnerableExposed}
}

// factsOf returns the inspected facts of an image, or nil when it was not inspected or could
// not be.
func factsOf(p *check.Pass, image string) *inventory.ImageFacts {
	if f := p.Inv.ImageData().Facts[image]; f != nil && f.Error == "" {
		return f
	}
	return nil
}

// eachInspected calls fn for every init and regular container whose image was inspected.
func eachInspected(p *check.Pass, fn func(t inventory.PodTemplate, c inventory.ContainerRef, f *inventory.ImageFacts)) {
	if len(p.Inv.ImageData().Facts) == 0 {
		return
	}
	for _, t := range p.Inv.PodTemplates() {
		for _, c := range t.Containers() {
			if f := factsOf(p, c.Container.Image); f != nil {
				fn(t, c, f)
			}
		}
	}
}

func containerKind(c inventory.ContainerRef) string {
	if c.Init {
		return "init container"
	}
	return "container"
}

// imageUID reads an image's configured user as the container runtime does: an empty user
// is uid 0; a numeric user is that uid; anything else is a name (nil uid).
func imageUID(user string) (uid *int64, name string) {
	u, _, _ := strings.Cut(user, ":")
	if u == "" {
		return new(int64), ""
	}
	if n, err := strconv.ParseInt(u, 10, 64); err == nil {
		return &n, ""
	}
	return nil, u
}

// runAs returns the effective runAsUser and runAsNonRoot of a container: its own, else the
// pod's.
func runAs(spec *corev1.PodSpec, c *corev1.Container) (uid *int64, nonRoot bool) {
	if sc := spec.SecurityContext; sc != nil {
		uid = sc.RunAsUser
		nonRoot = sc.RunAsNonRoot != nil && *sc.RunAsNonRoot
	}
	if sc := c.SecurityContext; sc != nil {
		if sc.RunAsUser != nil {
			uid = sc.RunAsUser
		}
		if sc.RunAsNonRoot != nil {
			nonRoot = *sc.RunAsNonRoot
		}
	}
	return uid, nonRoot
}

// ImageRunsAsRoot reports containers that run as root because their image says so.
var ImageRunsAsRoot = &check.Check{
	ID:    "images/image-runs-as-root",
	Title: "Image runs as root and the pod does not override its user",
	Doc: "An image without a USER (or with USER root or 0) runs its process as root unless the pod " +
		"sets runAsUser. The check reads the user from the image config and judges it as the " +
		"kubelet does: with runAsNonRoot set and no runAsUser, the kubelet refuses to start a " +
		"container whose image user is root (\"image will run as root\") or is a name rather than " +
		"a number (\"cannot verify user is non-root\"), so that pod never starts; without " +
		"runAsNonRoot it starts as root. A pod that sets runAsUser decides for itself and is left " +
		"to the podsecurity checks. Windows images are not judged." + inspectNote +
		" Fix it in the image (USER 10001) or in the pod (securityContext.runAsUser).",
	Severity:    check.Medium,
	References:  []string{refCIS, refNSA, "PSS restricted: runAsNonRoot", refDockerBP},
	Remediation: "Build the image with a numeric non-root USER, or set securityContext.runAsUser (and runAsNonRoot: true) in the pod.",
	Kinds:       []string{check.Workloads},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		eachInspected(p, func(t inventory.PodTemplate, c inventory.ContainerRef, f *inventory.ImageFacts) {
			if strings.EqualFold(f.OS, "windows") {
				return
			}
			uid, nonRoot := runAs(t.Spec, c.Container)
			if uid != nil {
				return
			}
			imgUID, name := imageUID(f.User)
			path := c.Path + ".image"
			who := fmt.Sprintf("%s %q", containerKind(c), c.Container.Name)
			switch {
			case nonRoot && imgUID != nil && *imgUID == 0:
				p.Reportf(t.Owner, path, "%s sets runAsNonRoot but image %q runs as root and no runAsUser is set: the kubelet refuses to start it", who, c.Container.Image)
			case nonRoot && imgUID == nil:
				p.Reportf(t.Owner, path, "%s sets runAsNonRoot but image %q names its user %q, not a UID, and no runAsUser is set: the kubelet cannot verify it and refuses to start it", who, c.Container.Image, name)
			case !nonRoot && (imgUID != nil && *imgUID == 0 || name == "root"):
				user := f.User
				if user == "" {
					user = "unset"
				}
				p.Reportf(t.Owner, path, "%s runs as root: image %q has user %s and the pod sets no runAsUser", who, c.Container.Image, user)
			}
		})
	},
}

// ImageNotMinimal reports images that carry a shell or a package manager.
var ImageNotMinimal = &check.Check{
	ID:    "images/image-not-minimal",
	Title: "Image contains a shell or package manager",
	Doc: "A shell and a package manager are what an intruder needs next: with them, a foothold " +
		"becomes downloaded tools and persistence; without them (distroless, scratch, Chainguard " +
		"static), most post-exploitation playbooks fail, and the image has fewer packages to " +
		"patch. The check lists the image's files, layer deletions applied, and looks for shells " +
		"(sh, bash, ash, dash, zsh, busybox) and package managers (apk, apt, apt-get, dpkg, rpm, " +
		"yum, dnf, microdnf, zypper) in the usual bin directories; images recognised as " +
		"distroless or scratch have neither." + inspectNote +
		" Fix it with a multi-stage build whose final stage is distroless or scratch.",
	Severity:    check.Low,
	References:  []string{refNSA, refCIS, refDockerBP, "MITRE ATT&CK T1059 Command and Scripting Interpreter"},
	Remediation: "Build the final image on a minimal base (gcr.io/distroless/static, scratch, cgr.dev/chainguard/static) with only the application.",
	Kinds:       []string{check.Workloads},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		eachInspected(p, func(t inventory.PodTemplate, c inventory.ContainerRef, f *inventory.ImageFacts) {
			var parts []string
			if len(f.Shells) > 0 {
				parts = append(parts, "a shell ("+strings.Join(f.Shells, ", ")+")")
			}
			if len(f.PackageManagers) > 0 {
				parts = append(parts, "a package manager ("+strings.Join(f.PackageManagers, ", ")+")")
			}
			if len(parts) == 0 {
				return
			}
			p.Reportf(t.Owner, c.Path+".image", "%s %q runs image %q, which contains %s", containerKind(c), c.Container.Name, c.Container.Image, strings.Join(parts, " and "))
		})
	},
}

// reproducibleEpoch bounds the creation times that reproducible builds write (1970-01-01,
// SOURCE_DATE_EPOCH of 0 or 1): they say nothing about the image's age.
var reproducibleEpoch = time.Date(1980, 1, 2, 0, 0, 0, 0, time.UTC)

// ImageTooOld reports images built long ago.
var ImageTooOld = &check.Check{
	ID:    "images/image-too-old",
	Title: "Image was built long ago",
	Doc: "An image is as patched as the day it was built: one built a year ago misses a year of " +
		"base-image and library fixes, even when its tag looks current. The check compares the " +
		"build time in the image config with images.maxAgeDays (365 unless set). Images that " +
		"record no time, or a reproducible-build time such as 1970-01-01 (ko, Bazel, distroless), " +
		"are not judged." + inspectNote + " Fix it by rebuilding the image regularly on a current " +
		"base and redeploying it.",
	Severity:    check.Medium,
	References:  []string{refNSA, refCIS},
	Remediation: "Rebuild the image on a current base (automate it, e.g. weekly) and redeploy.",
	Kinds:       []string{check.Workloads},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		limit := p.Config.Images.MaxAge()
		eachInspected(p, func(t inventory.PodTemplate, c inventory.ContainerRef, f *inventory.ImageFacts) {
			if f.Created.Before(reproducibleEpoch) {
				return
			}
			days := int(p.Now.Sub(f.Created).Hours() / 24)
			if days <= limit {
				return
			}
			p.Reportf(t.Owner, c.Path+".image", "image %q was built %d days ago (%s), more than %d days", c.Container.Image, days, f.Created.UTC().Format(time.DateOnly), limit)
		})
	},
}

// ImageTooLarge reports very large images.
var ImageTooLarge = &check.Check{
	ID:    "images/image-too-large",
	Title: "Image is very large",
	Doc: "Large images slow every pod start on a new node and every scale-up, and size usually " +
		"means content: build tools, caches, whole operating systems, each a source of CVEs. " +
		"The check sums the compressed layer sizes (what a node pulls) and compares them with " +
		"images.maxSizeMB (1024 unless set)." + inspectNote + " Fix it with a multi-stage build, " +
		"a minimal base, and package installs that clean up after themselves.",
	Severity:    check.Low,
	References:  []string{refDockerBP, refNSA},
	Remediation: "Shrink the image: multi-stage build, minimal base, no caches or build tools in the final stage.",
	Kinds:       []string{check.Workloads},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		limit := p.Config.Images.MaxSize()
		eachInspected(p, func(t inventory.PodTemplate, c inventory.ContainerRef, f *inventory.ImageFacts) {
			if f.Size <= limit {
				return
			}
			p.Reportf(t.Owner, c.Path+".image", "image %q is %s compressed, more than %s", c.Container.Image, mebibytes(f.Size), mebibytes(limit))
		})
	},
}

func mebibytes(n int64) string {
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 0, 64) + " MiB"
}

// Well-known node labels the scheduler and kubelet set.
const (
	labelArch = "kubernetes.io/arch"
	labelOS   = "kubernetes.io/os"
)

// nodePlatforms returns the os/arch of every Node in the inventory, with the nodes of each.
func nodePlatforms(inv *inventory.Inventory) map[string][]string {
	out := map[string][]string{}
	for _, o := range inv.ByKind("Node") {
		n, ok := o.Obj.(*corev1.Node)
		if !ok {
			continue
		}
		os, arch := n.Status.NodeInfo.OperatingSystem, n.Status.NodeInfo.Architecture
		if os == "" {
			os = n.Labels[labelOS]
		}
		if arch == "" {
			arch = n.Labels[labelArch]
		}
		if os == "" || arch == "" {
			continue
		}
		out[os+"/"+arch] = append(out[os+"/"+arch], n.Name)
	}
	return out
}

// podArchs returns the architectures a pod template is restricted to by nodeSelector or
// required node affinity, or nil when it may run on any.
func podArchs(spec *corev1.PodSpec) map[string]bool {
	if a := spec.NodeSelector[labelArch]; a != "" {
		return map[string]bool{a: true}
	}
	aff := spec.Affinity
	if aff == nil || aff.NodeAffinity == nil || aff.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return nil
	}
	out := map[string]bool{}
	for _, term := range aff.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		constrained := false
		for _, e := range term.MatchExpressions {
			if e.Key == labelArch && e.Operator == corev1.NodeSelectorOpIn {
				constrained = true
				for _, v := range e.Values {
					out[v] = true
				}
			}
		}
		if !constrained {
			return nil // terms are ORed: one without an arch constraint allows any
		}
	}
	return out
}

// ImagePlatformMissing reports images that have no variant for architectures their pods run on.
var ImagePlatformMissing = &check.Check{
	ID:    "images/image-platform-missing",
	Title: "Image has no variant for an architecture its pods may run on",
	Doc: "A pod scheduled on a node whose architecture the image lacks fails to start (no " +
		"matching manifest, or exec format error), and only on those nodes, which makes the " +
		"failure look random. The check compares the platforms of the image (every platform of " +
		"a multi-platform index, or the single image's) with the architectures the pods may run " +
		"on: those their nodeSelector or required node affinity on kubernetes.io/arch allows, " +
		"narrowed to the Linux nodes of the scanned cluster when nodes were read." + inspectNote +
		" Fix it by building the image for every architecture (docker buildx --platform), or by " +
		"pinning the pods to the architectures it has.",
	Severity:    check.Medium,
	References:  []string{"Kubernetes docs: Well-Known Labels (kubernetes.io/arch)", refDockerBP},
	Remediation: "Publish the image for every node architecture (a multi-platform index), or add nodeSelector kubernetes.io/arch for the ones it has.",
	Kinds:       []string{check.Workloads},
	Reads:       []string{"Node"},
	Scope:       check.ScopeCluster,
	Run: func(p *check.Pass) {
		nodes := nodePlatforms(p.Inv)
		eachInspected(p, func(t inventory.PodTemplate, c inventory.ContainerRef, f *inventory.ImageFacts) {
			have := map[string]bool{}
			for _, pl := range f.Platforms {
				have[osArch(pl)] = true
			}
			if len(f.Platforms) == 0 && f.OS != "" && f.Architecture != "" {
				have[f.OS+"/"+f.Architecture] = true
			}
			if len(have) == 0 {
				return
			}
			os := t.Spec.NodeSelector[labelOS]
			if os == "" {
				os = "linux"
			}
			want := map[string][]string{} // os/arch → nodes (none when only the pod's constraint says so)
			archs := podArchs(t.Spec)
			for pl, names := range nodes {
				nos, arch, _ := strings.Cut(pl, "/")
				if nos == os && (archs == nil || archs[arch]) {
					want[pl] = names
				}
			}
			for a := range archs {
				if _, ok := want[os+"/"+a]; !ok && len(nodes[os+"/"+a]) == 0 {
					want[os+"/"+a] = nil // required by the pod, whether or not a node has it
				}
			}
			var missing []string
			for pl := range want {
				if !have[pl] {
					missing = append(missing, pl)
				}
			}
			sort.Strings(missing)
			for _, pl := range missing {
				where := "its nodeSelector or node affinity requires " + pl
				if names := want[pl]; len(names) > 0 {
					sort.Strings(names)
					where = fmt.Sprintf("it may be scheduled on %s nodes (%s)", pl, strings.Join(firstN(names, 3), ", "))
				}
				p.Reportf(t.Owner, c.Path+".image", "image %q has no %s variant, but %s: the pod cannot start there", c.Container.Image, pl, where)
			}
		})
	},
}

// osArch drops the variant: "linux/arm/v7" → "linux/arm".
func osArch(platform string) string {
	parts := strings.SplitN(platform, "/", 3)
	if len(parts) < 2 {
		return platform
	}
	return parts[0] + "/" + parts[1]
}

func firstN(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(append([]string{}, s[:n]...), fmt.Sprintf("%d more", len(s)-n))
}

func init() {
	check.Register(ImageRunsAsRoot, ImageNotMinimal, ImageTooOld, ImageTooLarge, ImagePlatformMissing)
}
