// Package images holds the checks of the images practice: every container image is
// pinned to content, pulled so that every node runs the same bits, and comes from a registry
// the organisation trusts. Image references are read with ParseReference, which normalises
// them as the kubelet and container runtimes do.
//
// Three more families judge what is behind the reference: Dockerfiles (the images/dockerfile-*
// checks, on objects of package dockerfile), the facts of inspected images (user, contents,
// age, size, platforms; filled by package imageinspect) and vulnerability scanners' reports
// (read by package vuln), both attached to the inventory as inventory.ImageData.
package images

import (
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// References shared by the checks of this practice.
var (
	refNSA        = "NSA-CISA Kubernetes Hardening Guide v1.2: Building secure container images"
	refCIS        = "CIS Kubernetes Benchmark 5.5.1: Configure image provenance"
	refImagesDoc  = "Kubernetes docs: Images (image names, updating images, image pull policy)"
	refImplant    = "MITRE ATT&CK T1525 Implant Internal Image"
	refSupply     = "MITRE ATT&CK T1195.002 Compromise Software Supply Chain"
	refDeployCtnr = "MITRE ATT&CK T1610 Deploy Container"
)

// Checks returns the checks of this package, for tests and for callers that run one practice.
func Checks() []*check.Check {
	out := []*check.Check{LatestTag, NotPinned, PullPolicy, RegistryNotAllowed}
	out = append(out, DockerfileChecks()...)
	return append(out, InspectChecks()...)
}

// eachImage calls fn for every container image of every pod template (init, regular and
// ephemeral containers) that is not empty. Workload templates may leave the image empty for
// tooling to fill in; there is nothing to judge then.
func eachImage(inv *inventory.Inventory, fn func(t inventory.PodTemplate, img inventory.ImageRef)) {
	for _, t := range inv.PodTemplates() {
		for _, img := range t.Images() {
			if img.Image != "" {
				fn(t, img)
			}
		}
	}
}

// containerWord names the kind of container at path for messages.
func containerWord(path string) string {
	switch {
	case strings.Contains(path, ".initContainers["):
		return "init container"
	case strings.Contains(path, ".ephemeralContainers["):
		return "ephemeral container"
	}
	return "container"
}

// imageCEL is the CEL form of a check that judges each container's image on its own: ok is
// true of a container c whose image passes; msg holds one %s for the failing images.
func imageCEL(ok, msg string) *check.CEL {
	bad := "variables.containers.filter(c, has(c.image) && c.image != '' && !(" + ok + ")).map(c, c.image).join(', ')"
	return &check.CEL{
		Kinds: []string{check.Workloads},
		Validations: []check.Validation{{
			Expression:        "variables.containers.all(c, !has(c.image) || c.image == '' || " + ok + ")",
			MessageExpression: "'" + strings.Replace(msg, "%s", "' + "+bad+" + '", 1) + "'",
		}},
	}
}
