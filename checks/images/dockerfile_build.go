package images

import (
	"fmt"
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/dockerfile"
	"github.com/kubeharden/kubeharden/inventory"
)

// buildImages are repositories whose images are tool chains: a final image built on one
// ships the compiler.
var buildImages = []string{
	"docker.io/library/golang", "docker.io/library/rust", "docker.io/library/maven", "docker.io/library/gradle",
	"docker.io/library/gcc", "docker.io/library/buildpack-deps", "docker.io/library/haskell", "docker.io/library/swift",
	"mcr.microsoft.com/dotnet/sdk",
}

// buildPackages are packages that only building needs; buildPackagePrefixes cover their
// versioned names (gcc-12, openjdk-17-jdk).
var (
	buildPackages = map[string]bool{
		"build-essential": true, "build-base": true, "gcc": true, "g++": true, "clang": true, "make": true,
		"cmake": true, "golang": true, "golang-go": true, "go": true, "cargo": true, "rustc": true, "rust": true,
		"maven": true, "gradle": true, "default-jdk": true, "musl-dev": true, "libc6-dev": true, "libc-dev": true,
		"gcc-c++": true, "autoconf": true, "automake": true, "libtool": true,
	}
	buildPackagePrefixes = []string{"gcc-", "g++-", "clang-", "golang-1", "llvm-"}
)

func buildPackage(p string) bool {
	// Strip version pins: gcc=4:12.2.0-3, gcc-12=12.2.0.
	if i := strings.IndexAny(p, "=<>"); i > 0 {
		p = p[:i]
	}
	if buildPackages[p] {
		return true
	}
	for _, pre := range buildPackagePrefixes {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	return strings.HasPrefix(p, "openjdk-") && strings.HasSuffix(p, "-jdk")
}

// compiles reports whether a command builds software, and names it.
func compiles(c shellCommand) (string, bool) {
	sub := c.subcommand()
	switch c.prog {
	case "go":
		if sub == "build" || sub == "install" {
			return "go " + sub, true
		}
	case "cargo":
		if sub == "build" || sub == "install" {
			return "cargo " + sub, true
		}
	case "mvn", "mvnw":
		for _, op := range c.operands() {
			if op == "package" || op == "install" || op == "verify" {
				return c.prog + " " + op, true
			}
		}
	case "gradle", "gradlew":
		if sub != "" {
			return c.prog + " " + sub, true
		}
	case "dotnet":
		if sub == "build" || sub == "publish" {
			return "dotnet " + sub, true
		}
	case "make", "cmake", "gcc", "g++", "cc", "c++", "javac", "rustc":
		return c.prog, true
	case "npm", "yarn", "pnpm":
		ops := c.operands()
		if len(ops) >= 2 && ops[0] == "run" && ops[1] == "build" || sub == "build" {
			return c.prog + " run build", true
		}
	}
	return "", false
}

// DockerfileNotMultistage reports final images that keep the tools that built them.
var DockerfileNotMultistage = &check.Check{
	ID:    "images/dockerfile-not-multistage",
	Title: "Dockerfile final image keeps build tools: use a multi-stage build",
	Doc: "Compilers, SDKs and build tools are needed to build, not to run: left in the final image " +
		"they add hundreds of megabytes and CVEs, and give an intruder a tool chain. The check " +
		"looks at the stages that make up the final image (the last stage and the stages it is " +
		"built FROM) for a tool-chain base (golang, rust, maven, gradle, gcc, dotnet/sdk...), " +
		"a package install of build tools (build-essential, build-base, gcc, make, cmake, a JDK, " +
		"cargo...) or a build command (go build, cargo build, mvn package, gradle, make, " +
		"npm run build, dotnet publish...). Fix it with a multi-stage build: build in a first " +
		"stage, then COPY --from only the artifacts into a minimal final stage.",
	Severity:    check.Medium,
	References:  []string{refNSA, refDockerBP, refCIS},
	Remediation: "Split the build: FROM <sdk> AS build ... then FROM <minimal base> with COPY --from=build only the artifacts.",
	Kinds:       []string{dockerfile.Kind},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		eachDockerfile(p.Inv, func(o *inventory.Object, f *dockerfile.File) {
			path, why := buildEvidence(f)
			if path == "" {
				return
			}
			if len(f.Stages) == 1 {
				p.Reportf(o, path, "single-stage build: the stage %s, so the build tools ship in the image", why)
			} else {
				p.Reportf(o, path, "the final stage %s, so the build tools ship in the image; copy only the artifacts from a build stage", why)
			}
		})
	},
}

// buildEvidence finds the first sign of building in the final image's stages.
func buildEvidence(f *dockerfile.File) (path, why string) {
	for _, i := range f.FinalChain() {
		s := f.Stages[i]
		if f.StageOf(i) < 0 && s.Base != "" {
			if ref, err := ParseReference(s.Base); err == nil && (Allowed(ref, buildImages) || jdkTag(ref)) {
				return dockerfile.StagePath(i), fmt.Sprintf("is built on the tool-chain image %s", s.Base)
			}
		}
		for j, in := range s.Instructions {
			if in.Command != "RUN" {
				continue
			}
			for _, c := range parseScript(in.Script()) {
				for _, pkg := range installedPackages(c) {
					if buildPackage(pkg) {
						return dockerfile.InstructionPath(i, j), fmt.Sprintf("installs the build package %s", pkg)
					}
				}
				if what, ok := compiles(c); ok {
					return dockerfile.InstructionPath(i, j), fmt.Sprintf("runs %s", what)
				}
			}
		}
	}
	return "", ""
}

// jdkTag recognises JDK images by tag (eclipse-temurin:21-jdk, openjdk:17-jdk-slim).
func jdkTag(ref Reference) bool {
	name := ref.Path[strings.LastIndexByte(ref.Path, '/')+1:]
	return (name == "eclipse-temurin" || name == "openjdk" || name == "amazoncorretto" || name == "sapmachine") &&
		strings.Contains(ref.Tag, "jdk")
}

// nonRootBases are bases whose configured user is not root, so a final stage on them
// needs no USER: distroless's nonroot tags run as uid 65532.
func nonRootBase(image string) bool {
	ref, err := ParseReference(image)
	if err != nil {
		return false
	}
	return Allowed(ref, []string{"gcr.io/distroless"}) && strings.Contains(ref.Tag, "nonroot")
}

// rootUser reports whether a USER value names root: "root", "0", with or without a group.
func rootUser(u string) bool {
	user, _, _ := strings.Cut(strings.TrimSpace(u), ":")
	return user == "root" || user == "0" || user == ""
}

// DockerfileRootUser reports final images that run as root.
var DockerfileRootUser = &check.Check{
	ID:    "images/dockerfile-root-user",
	Title: "Dockerfile final stage runs as root",
	Doc: "Without a USER instruction, a container runs as the user its base image sets, which is " +
		"root for almost every base; USER root (or 0) says so explicitly. A process running as " +
		"root in a container is root on the node's file systems it can reach and one kernel bug " +
		"away from the host; Kubernetes' runAsNonRoot refuses such images. The check follows the " +
		"final stage back through FROM <stage> and takes the last USER; distroless :nonroot tags " +
		"set a non-root user and are accepted; a USER naming a variable is not judged. Fix it by " +
		"creating an unprivileged user and ending with USER <uid> (numeric, so that runAsNonRoot " +
		"can verify it).",
	Severity:    check.Medium,
	References:  []string{refCISDocker + " (4.1: create a user for the container)", refNSA, refDockerBP, "PSS restricted: runAsNonRoot"},
	Remediation: "Add a non-root user and end the final stage with USER 10001 (a numeric UID).",
	Kinds:       []string{dockerfile.Kind},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		eachDockerfile(p.Inv, func(o *inventory.Object, f *dockerfile.File) {
			chain := f.FinalChain()
			last, lastPath := "", ""
			for _, i := range chain {
				for j, in := range f.Stages[i].Instructions {
					if in.Command == "USER" && len(in.Args) > 0 {
						last, lastPath = in.Args[0], dockerfile.InstructionPath(i, j)
					}
				}
			}
			switch {
			case lastPath != "" && strings.Contains(last, "$"):
			case lastPath != "" && rootUser(last):
				p.Reportf(o, lastPath, "the final stage runs as USER %s", last)
			case lastPath == "":
				base, _ := f.ExternalBase(chain[len(chain)-1])
				if nonRootBase(base) {
					return
				}
				final := len(f.Stages) - 1
				p.Reportf(o, dockerfile.StagePath(final), "the final stage sets no USER, so containers run as the base image's user: root unless the base sets another")
			}
		})
	},
}

// DockerfilePackageCache reports package installs that leave their caches in the image.
var DockerfilePackageCache = &check.Check{
	ID:    "images/dockerfile-package-cache",
	Title: "Dockerfile package install leaves its cache in the image",
	Doc: "Package indexes and caches written by a RUN stay in that layer for good, even if a later " +
		"RUN deletes them: tens of megabytes that every node pulls, and stale package lists. " +
		"The check judges the stages that make up the final image: apt-get/apt install without " +
		"removing /var/lib/apt/lists in the same RUN, apk add without --no-cache, yum/dnf/microdnf " +
		"install without clean all, zypper install without clean, pip install without " +
		"--no-cache-dir (or PIP_NO_CACHE_DIR). A RUN --mount=type=cache (or tmpfs) over the cache " +
		"directory keeps it out of the layer and is accepted.",
	Severity:    check.Low,
	References:  []string{refDockerBP, refCISDocker + " (4.7: do not use update instructions alone)"},
	Remediation: "Clean up in the same RUN (apt-get install ... && rm -rf /var/lib/apt/lists/*), use apk add --no-cache / pip install --no-cache-dir, or a cache mount.",
	Kinds:       []string{dockerfile.Kind},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		eachDockerfile(p.Inv, func(o *inventory.Object, f *dockerfile.File) {
			pipNoCache := false
			for _, i := range f.FinalChain() {
				for j, in := range f.Stages[i].Instructions {
					if in.Command == "ENV" {
						for _, v := range in.Vars {
							if v.Name == "PIP_NO_CACHE_DIR" && v.Value != "" && v.Value != "0" && !strings.EqualFold(v.Value, "false") {
								pipNoCache = true
							}
						}
					}
					if in.Command != "RUN" {
						continue
					}
					script := in.Script()
					for _, m := range uncleanInstalls(script, in.Mounts, pipNoCache) {
						p.Reportf(o, dockerfile.InstructionPath(i, j), "%s install leaves its package cache in the layer: %s", m.name, m.howToClean)
					}
				}
			}
		})
	},
}

// uncleanInstalls returns the package managers a RUN script installs with and leaves a
// cache of, once each.
func uncleanInstalls(script string, mounts []dockerfile.Mount, pipNoCache bool) []*pkgManager {
	var out []*pkgManager
	cmds := parseScript(script)
	for i := range pkgManagers {
		m := &pkgManagers[i]
		unclean := false
		for _, c := range cmds {
			if m.installing(c) && !(m.noCacheFlag != "" && c.has(m.noCacheFlag)) {
				unclean = true
			}
		}
		if !unclean || m.cleanup.MatchString(script) || (m.name == "pip" && pipNoCache) || cacheMounted(mounts, m.cacheDirs) {
			continue
		}
		out = append(out, m)
	}
	return out
}

func cacheMounted(mounts []dockerfile.Mount, dirs []string) bool {
	for _, mt := range mounts {
		if mt.Type != "cache" && mt.Type != "tmpfs" {
			continue
		}
		target := strings.TrimSuffix(mt.Target, "/")
		for _, d := range dirs {
			if target == d {
				return true
			}
		}
	}
	return false
}

func init() {
	check.Register(DockerfileNotMultistage, DockerfileRootUser, DockerfilePackageCache)
}
