package images

import (
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// RegistryNotAllowed reports images from registries outside the configured allowlist.
var RegistryNotAllowed = &check.Check{
	ID:    "images/registry-not-allowed",
	Title: "Image comes from a registry that is not allowed",
	Doc: "Images from an arbitrary registry bypass the scanning, signing and retention your own " +
		"registry enforces, and a typo in a public image name can pull an attacker's look-alike. " +
		"The check runs only when images.allowedRegistries is set in .kubeharden.yaml. An entry " +
		"is a registry host (\"ghcr.io\", \"registry.example.com:5000\") or a repository prefix " +
		"(\"ghcr.io/acme\" allows ghcr.io/acme/app but not ghcr.io/acme-evil/app). Images are " +
		"normalised first, as runtimes do: \"nginx\" is docker.io/library/nginx, so allowing Docker " +
		"Hub's official images is \"docker.io/library\". A reference that cannot be parsed is " +
		"reported, since its registry cannot be verified. Fix it by mirroring the image into an " +
		"allowed registry, or by extending the allowlist.",
	Severity:    check.High,
	References:  []string{refCIS, refNSA, refSupply, refDeployCtnr},
	Remediation: "Mirror the image into an allowed registry and reference it there, or add its registry to images.allowedRegistries.",
	Kinds:       []string{check.Workloads},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		allow := p.Config.Images.AllowedRegistries
		if len(allow) == 0 {
			return
		}
		eachImage(p.Inv, func(t inventory.PodTemplate, img inventory.ImageRef) {
			ref, err := ParseReference(img.Image)
			if err != nil {
				p.Reportf(t.Owner, img.Path+".image", "%s %q: %v, so its registry cannot be checked against the allowlist",
					containerWord(img.Path), img.Container, err)
				return
			}
			if Allowed(ref, allow) {
				return
			}
			p.Reportf(t.Owner, img.Path+".image", "%s %q runs image %q from %s, which images.allowedRegistries does not allow",
				containerWord(img.Path), img.Container, img.Image, ref.Name())
		})
	},
}

func init() {
	check.Register(RegistryNotAllowed)
}

// Allowed reports whether ref is covered by one of entries: a registry host, compared without
// regard to case, or a host followed by a repository prefix that matches whole path
// components. "index.docker.io" means docker.io, as in image references.
func Allowed(ref Reference, entries []string) bool {
	for _, e := range entries {
		e = strings.TrimSuffix(strings.TrimSpace(e), "/")
		if e == "" {
			continue
		}
		host, prefix, _ := strings.Cut(e, "/")
		if strings.EqualFold(host, legacyHub) {
			host = dockerHub
		}
		if !strings.EqualFold(host, ref.Domain) {
			continue
		}
		if prefix == "" || ref.Path == prefix || strings.HasPrefix(ref.Path, prefix+"/") {
			return true
		}
	}
	return false
}
