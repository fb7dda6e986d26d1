package images

import (
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/dockerfile"
	"github.com/kubeharden/kubeharden/inventory"
)

// References of the Dockerfile checks.
var (
	refDockerBP   = "Docker docs: Building best practices (multi-stage builds, USER, base images, ADD or COPY)"
	refCISDocker  = "CIS Docker Benchmark 4: Container images and build files"
	refBuildCheck = "Docker build checks (SecretsUsedInArgOrEnv)"
)

// DockerfileChecks returns the checks of this package that judge Dockerfiles.
func DockerfileChecks() []*check.Check {
	return []*check.Check{DockerfileNotMultistage, DockerfileRootUser, DockerfileBaseLatest, DockerfileBaseNotPinned,
		DockerfileAddRemote, DockerfileSecret, DockerfilePackageCache, DockerfileBaseNotMinimal}
}

// eachDockerfile calls fn for every Dockerfile the inventory holds.
func eachDockerfile(inv *inventory.Inventory, fn func(o *inventory.Object, f *dockerfile.File)) {
	for _, o := range inv.ByKind(dockerfile.Kind) {
		if f, ok := dockerfile.FromObject(o); ok {
			fn(o, f)
		}
	}
}

// eachBase calls fn for every stage built on an image (not on an earlier stage, not on
// scratch) whose reference is known and parses.
func eachBase(f *dockerfile.File, fn func(i int, ref Reference)) {
	for i, s := range f.Stages {
		if f.StageOf(i) >= 0 || s.Base == "" || dockerfile.IsScratch(s.Base) {
			continue
		}
		if ref, err := ParseReference(s.Base); err == nil {
			fn(i, ref)
		}
	}
}

// DockerfileBaseLatest reports base images that resolve to the latest tag.
var DockerfileBaseLatest = &check.Check{
	ID:    "images/dockerfile-base-latest",
	Title: "Dockerfile base image uses the latest tag or no tag",
	Doc: "FROM without a tag, or with :latest, builds on whatever was pushed last: two builds of " +
		"the same commit can differ, and a rebuild silently picks up a new major version of the " +
		"base. Every stage is judged, build stages too, since what they produce is copied into " +
		"the image. ARG defaults are substituted as BuildKit does; a FROM that names an ARG " +
		"without a default is not judged. Fix it by naming a version tag, and better its digest.",
	Severity:    check.Medium,
	References:  []string{refCIS, refNSA, refDockerBP, refSupply},
	Remediation: "Pin the base to a version and digest: FROM debian:12.7-slim@sha256:<digest>.",
	Kinds:       []string{dockerfile.Kind},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		eachDockerfile(p.Inv, func(o *inventory.Object, f *dockerfile.File) {
			eachBase(f, func(i int, ref Reference) {
				if ref.Mutable() && ref.Latest() {
					p.Reportf(o, dockerfile.StagePath(i), "FROM %s builds on the latest tag, which can name a different image on every build", f.Stages[i].Base)
				}
			})
		})
	},
}

// DockerfileBaseNotPinned reports base images without a digest.
var DockerfileBaseNotPinned = &check.Check{
	ID:    "images/dockerfile-base-not-pinned",
	Title: "Dockerfile base image is not pinned by digest",
	Doc: "A tag can be moved to new content by whoever controls the repository; only a digest " +
		"names the exact base that was reviewed and scanned, which makes builds reproducible and " +
		"a compromised tag harmless. Every stage built on an image is judged. Fix it by appending " +
		"the digest of the base you tested (docker buildx imagetools inspect, crane digest); " +
		"Renovate and Dependabot keep pinned digests current.",
	Severity:    check.Low,
	References:  []string{refCIS, refNSA, refDockerBP, refSupply},
	Remediation: "Append the base's digest: FROM golang:1.23@sha256:<digest>.",
	Kinds:       []string{dockerfile.Kind},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		eachDockerfile(p.Inv, func(o *inventory.Object, f *dockerfile.File) {
			eachBase(f, func(i int, ref Reference) {
				if ref.Mutable() {
					p.Reportf(o, dockerfile.StagePath(i), "FROM %s is not pinned by digest", f.Stages[i].Base)
				}
			})
		})
	},
}

// minimalBases are the images (registry host or repository prefix, as in
// images.allowedRegistries) that count as minimal final bases.
var minimalBases = []string{
	"gcr.io/distroless",
	"cgr.dev/chainguard",
	"docker.io/library/alpine",
	"docker.io/library/busybox",
	"registry.access.redhat.com/ubi8/ubi-micro",
	"registry.access.redhat.com/ubi9/ubi-micro",
	"registry.access.redhat.com/ubi10/ubi-micro",
	"registry.access.redhat.com/ubi8-micro",
	"registry.access.redhat.com/ubi9-micro",
}

// minimalTags are tag words that mark a minimal variant of any image (node:22-alpine,
// dotnet/runtime-deps:8.0-jammy-chiseled, ...).
var minimalTags = []string{"alpine", "distroless", "chiseled", "chiselled"}

// MinimalBase reports whether an image reference is a minimal base: scratch, a repository of
// the built-in list (distroless, Chainguard, Alpine, BusyBox, UBI micro), a tag naming a
// minimal variant (alpine, distroless, chiseled), or one of extra (prefixes as in
// images.minimalBaseImages).
func MinimalBase(image string, extra []string) bool {
	if dockerfile.IsScratch(image) {
		return true
	}
	ref, err := ParseReference(image)
	if err != nil {
		return false
	}
	if Allowed(ref, minimalBases) || Allowed(ref, extra) {
		return true
	}
	tag := strings.ToLower(ref.Tag)
	for _, w := range minimalTags {
		if strings.Contains(tag, w) {
			return true
		}
	}
	return false
}

// DockerfileBaseNotMinimal reports final images built on a full operating system.
var DockerfileBaseNotMinimal = &check.Check{
	ID:    "images/dockerfile-base-not-minimal",
	Title: "Dockerfile final stage is not built on a minimal base",
	Doc: "Every package in the final image is attack surface and scanner noise: a full Debian or " +
		"Ubuntu base brings a shell, a package manager and hundreds of packages the application " +
		"never uses, each a potential CVE, and tools an intruder can use. The check follows the " +
		"final stage back through FROM <stage> to the image it is built on, and accepts scratch, " +
		"gcr.io/distroless, cgr.dev/chainguard, Alpine, BusyBox, Red Hat UBI micro, tags naming " +
		"alpine, distroless or chiseled variants, and the prefixes listed in " +
		"images.minimalBaseImages. Fix it with a multi-stage build whose last stage copies the " +
		"application into a minimal base.",
	Severity:    check.Low,
	References:  []string{refNSA, refCIS, refDockerBP},
	Remediation: "Build in one stage and copy the result into a minimal final stage: FROM gcr.io/distroless/static (or scratch, alpine, chainguard).",
	Kinds:       []string{dockerfile.Kind},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		eachDockerfile(p.Inv, func(o *inventory.Object, f *dockerfile.File) {
			base, i := f.ExternalBase(len(f.Stages) - 1)
			if base == "" || MinimalBase(base, p.Config.Images.MinimalBaseImages) {
				return
			}
			p.Reportf(o, dockerfile.StagePath(i), "the final image is built on %s, which is not a minimal base: it ships a full operating system", base)
		})
	},
}

// DockerfileAddRemote reports ADD of URLs without a checksum.
var DockerfileAddRemote = &check.Check{
	ID:    "images/dockerfile-add-remote",
	Title: "Dockerfile ADDs a remote URL without a checksum",
	Doc: "ADD <url> downloads at build time whatever the server returns then: nothing verifies " +
		"it, a compromised or changed server changes the image, and the build is not " +
		"reproducible. Git sources have the same problem unless pinned. ADD --checksum=sha256:… " +
		"(BuildKit) verifies the download and is not reported. Fix it by adding --checksum, or " +
		"by downloading with curl in a RUN that verifies a known checksum, in a build stage.",
	Severity:    check.Medium,
	References:  []string{refCISDocker + " (4.9: use COPY instead of ADD)", refDockerBP, refSupply},
	Remediation: "Add --checksum=sha256:<digest> to the ADD, or download and verify the file in a build stage.",
	Kinds:       []string{dockerfile.Kind},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		eachDockerfile(p.Inv, func(o *inventory.Object, f *dockerfile.File) {
			for i, s := range f.Stages {
				for j, in := range s.Instructions {
					if in.Command != "ADD" || in.Checksum != "" || len(in.Args) < 2 {
						continue
					}
					for _, src := range in.Args[:len(in.Args)-1] {
						if remoteSource(src) {
							p.Reportf(o, dockerfile.InstructionPath(i, j), "ADD %s downloads content that nothing verifies", src)
						}
					}
				}
			}
		})
	},
}

func remoteSource(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") ||
		strings.HasPrefix(l, "git@") || strings.HasPrefix(l, "git://") || strings.HasPrefix(l, "ssh://")
}

// DockerfileSecret reports ENV and ARG instructions that carry secrets.
var DockerfileSecret = &check.Check{
	ID:    "images/dockerfile-secret",
	Title: "Dockerfile passes a secret through ENV or ARG",
	Doc: "ENV values are stored in the image config, readable by anyone who can pull the image " +
		"(docker inspect), and a literal value also sits in source control. ARG values are " +
		"recorded in the image history of every RUN that uses them. The check looks at variable " +
		"names (PASSWORD, SECRET, TOKEN, API_KEY, PRIVATE_KEY, CREDENTIALS, AUTH...; not names " +
		"that only point at a secret such as *_FILE, *_PATH or *_URL), as BuildKit's " +
		"SecretsUsedInArgOrEnv check does; an ENV that sets an empty value is not reported. " +
		"Values are never printed. Fix it with RUN --mount=type=secret (build time) or a " +
		"Kubernetes Secret mounted at run time.",
	Severity:    check.High,
	References:  []string{refCISDocker + " (4.10: do not store secrets in Dockerfiles)", refNSA, refBuildCheck, "MITRE ATT&CK T1552.001 Credentials In Files"},
	Remediation: "Use RUN --mount=type=secret,id=<name> for build-time secrets, and a Kubernetes Secret for run-time ones.",
	Kinds:       []string{dockerfile.Kind},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		eachDockerfile(p.Inv, func(o *inventory.Object, f *dockerfile.File) {
			report := func(path string, in dockerfile.Instruction) {
				for _, v := range in.Vars {
					switch {
					case !dockerfile.SecretName(v.Name):
					case in.Command == "ENV" && v.Redacted:
						p.Reportf(o, path, "ENV %s stores a secret in the image config, readable by anyone who can pull the image", v.Name)
					case in.Command == "ARG":
						p.Reportf(o, path, "ARG %s passes a secret as a build argument, which the image history records", v.Name)
					}
				}
			}
			for k, in := range f.Args {
				report(dockerfile.ArgPath(k), in)
			}
			for i, s := range f.Stages {
				for j, in := range s.Instructions {
					report(dockerfile.InstructionPath(i, j), in)
				}
			}
		})
	},
}

func init() {
	check.Register(DockerfileBaseLatest, DockerfileBaseNotPinned, DockerfileBaseNotMinimal, DockerfileAddRemote, DockerfileSecret)
}
