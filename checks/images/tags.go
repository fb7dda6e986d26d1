package images

import (
	"fmt"
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
	"strings"
)

// LatestTag reports images that resolve to the "latest" tag.
var LatestTag = &check.Check{
	ID:    "images/latest-tag",
	Title: "Image uses the latest tag or no tag",
	Doc: "An image without a tag means \":latest\", and \":latest\" names whatever was pushed last: " +
		"two nodes, or one node before and after a restart, can run different code, a rollback " +
		"cannot go back to a known version, and whoever can push to the repository changes what " +
		"runs in the cluster without a change to any manifest. An image pinned by digest is not " +
		"reported, whatever its tag, since the runtime pulls the digest. Fix it by deploying an " +
		"explicit version tag, and better its digest (image: registry/app:1.4.2@sha256:…).",
	Severity:    check.Medium,
	Fixable:     true,
	References:  []string{refNSA, refImagesDoc, refImplant, refSupply},
	Remediation: "Use an explicit version tag, ideally with its digest: app:1.4.2@sha256:<digest>.",
	CEL:         imageCEL(refCEL("!valid || rest.contains('@') || (hasTag && tag != 'latest')"), "images/latest-tag: image %s uses the latest tag or no tag"),
	Kinds:       []string{check.Workloads},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		eachImage(p.Inv, func(t inventory.PodTemplate, img inventory.ImageRef) {
			ref, err := ParseReference(img.Image)
			if err != nil || !ref.Mutable() || !ref.Latest() {
				return
			}
			msg := fmt.Sprintf("%s %q runs image %q: :latest can name a different image on every pull",
				containerWord(img.Path), img.Container, img.Image)
			if ref.Tag == "" {
				msg = fmt.Sprintf("%s %q runs image %q, which has no tag and so pulls :latest",
					containerWord(img.Path), img.Container, img.Image)
			}
			p.Report(check.Diagnostic{Object: t.Owner, Path: img.Path + ".image", Message: msg, Fixes: pinFix(p, t, img)})
		})
	},
}

// NotPinned reports images without a digest.
var NotPinned = &check.Check{
	ID:    "images/not-pinned",
	Title: "Image is not pinned by digest",
	Doc: "A tag is a movable pointer: the registry, or anyone who can push to the repository, " +
		"can point an existing tag at new content, and nodes that pull it later run that content. " +
		"Only a digest (@sha256:…) names the exact bytes that were built, scanned and approved. " +
		"Fix it by appending the digest of the image you tested to the reference " +
		"(registry/app:1.4.2@sha256:…); tools such as crane digest or docker buildx imagetools " +
		"inspect print it, and Renovate or Dependabot keep pinned digests up to date.",
	Severity:    check.Low,
	Fixable:     true,
	References:  []string{refNSA, refCIS, refImagesDoc, refSupply},
	Remediation: "Append the image's digest: app:1.4.2@sha256:<digest> (e.g. from `crane digest app:1.4.2`).",
	CEL:         imageCEL(refCEL("!valid || rest.contains('@')"), "images/not-pinned: image %s is not pinned by digest"),
	Kinds:       []string{check.Workloads},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		eachImage(p.Inv, func(t inventory.PodTemplate, img inventory.ImageRef) {
			ref, err := ParseReference(img.Image)
			if err != nil || !ref.Mutable() {
				return
			}
			p.Report(check.Diagnostic{Object: t.Owner, Path: img.Path + ".image",
				Message: fmt.Sprintf("%s %q runs image %q, which is not pinned by digest", containerWord(img.Path), img.Container, img.Image),
				Fixes:   pinFix(p, t, img)})
		})
	},
}

func init() {
	check.Register(LatestTag, NotPinned)
}

// pinFix pins an image to the digest its registry served when it was inspected (fix
// --resolve-digests, scan --inspect-images); without one there is nothing to pin to.
func pinFix(p *check.Pass, t inventory.PodTemplate, img inventory.ImageRef) []check.SuggestedFix {
	f := p.Inv.ImageData().Facts[img.Image]
	if f == nil || f.Error != "" || !strings.HasPrefix(f.Digest, "sha256:") {
		return nil
	}
	return []check.SuggestedFix{{
		Message: "pin the image to the digest its registry serves for it now",
		Edits: []check.Edit{{Op: check.SetField, Object: t.Owner.Ref, Path: img.Path + ".image",
			Value: img.Image + "@" + f.Digest, Origin: "the registry of " + img.Image}},
	}}
}
