package images

import (
	"fmt"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// PullPolicy reports mutable image references that nodes may run from their cache.
var PullPolicy = &check.Check{
	ID:    "images/pull-policy",
	Title: "Mutable image tag is not pulled with imagePullPolicy Always",
	Doc: "With imagePullPolicy IfNotPresent (or Never) a node runs whatever it cached under a " +
		"tag: after the tag moves, nodes disagree about what the same manifest runs, and a pod " +
		"may start from an image cached for another pod without presenting pull credentials. " +
		"The API server defaults the policy to Always only for :latest or an untagged image, and " +
		"to IfNotPresent for every other tag; the check judges the defaulted value. An image pinned " +
		"by digest cannot change and is not reported. Fix it by pinning the image by digest, or by " +
		"setting imagePullPolicy: Always.",
	Severity:    check.Low,
	Fixable:     true,
	References:  []string{refImagesDoc, refImplant},
	Remediation: "Pin the image by digest (preferred), or set imagePullPolicy: Always.",
	Kinds:       []string{check.Workloads},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		eachImage(p.Inv, func(t inventory.PodTemplate, img inventory.ImageRef) {
			ref, err := ParseReference(img.Image)
			if err != nil || !ref.Mutable() {
				return
			}
			policy := img.PullPolicy
			if policy == "" {
				policy = DefaultPullPolicy(img.Image)
			}
			if policy == corev1.PullAlways {
				return
			}
			// The message is the same whether the manifest spells out the default or the API
			// server filled it in, so that a live scan and a scan of the files agree.
			how := ""
			if policy == DefaultPullPolicy(img.Image) {
				how = ", the default for a tagged image"
			}
			path := img.Path + ".imagePullPolicy"
			p.Report(check.Diagnostic{Object: t.Owner, Path: path,
				Message: fmt.Sprintf("%s %q runs mutable image %q, and its imagePullPolicy is %s%s",
					containerWord(img.Path), img.Container, img.Image, policy, how),
				Fixes: []check.SuggestedFix{{Message: "pull the image on every start",
					Edits: []check.Edit{check.SetAt(t.Owner, path, string(corev1.PullAlways))}}}})
		})
	},
}

func init() {
	check.Register(PullPolicy)
}

// DefaultPullPolicy is the imagePullPolicy the API server gives a container that sets none:
// Always when the image resolves to the tag "latest" (explicitly, or with neither tag nor
// digest), IfNotPresent otherwise, including for references it cannot parse.
func DefaultPullPolicy(image string) corev1.PullPolicy {
	ref, err := ParseReference(image)
	if err == nil && ref.Latest() {
		return corev1.PullAlways
	}
	return corev1.PullIfNotPresent
}
