package inventory

import "time"

// ImageData is what was learned about container images besides the manifests: the facts of
// inspected images (kubeharden scan --inspect-images) and vulnerability scanners' reports
// (--vuln-report, --scan-images). Loaders gather it before the checks run and attach it to
// the inventory; it is not a cluster fact, so a scan of files has it too.
type ImageData struct {
	// Facts are the inspected images' facts, by the reference as manifests write it.
	Facts           map[string]*ImageFacts
	Vulnerabilities []*VulnReport
}

// ImageData returns the image data attached to the inventory; never nil.
func (inv *Inventory) ImageData() *ImageData {
	if inv.images == nil {
		return &ImageData{}
	}
	return inv.images
}

// SetImageData attaches image data to the inventory. Call it before the checks run.
func (inv *Inventory) SetImageData(d *ImageData) { inv.images = d }

// ImageFacts is what inspecting one container image (in its registry, or in an image
// archive) told: what the checks of the images practice judge beyond the image reference.
type ImageFacts struct {
	// Reference is the image as the manifest names it.
	Reference string `json:"reference"`
	// Digest is the manifest digest the reference resolved to: the index's for a
	// multi-platform image. PlatformDigest is the digest of the platform manifest inspected.
	Digest         string `json:"digest,omitempty"`
	PlatformDigest string `json:"platformDigest,omitempty"`
	// Platforms lists the platforms ("linux/arm64", "linux/arm/v7") of a multi-platform
	// image; it is nil for an image with a single manifest.
	Platforms []string `json:"platforms,omitempty"`
	ImageContent
	// Error says why the image could not be inspected; the other fields are then empty.
	Error string `json:"error,omitempty"`
}

// ImageContent is what an image's config and layers tell, which depends on its content
// only (and so can be cached by digest).
type ImageContent struct {
	// OS and Architecture are those of the image inspected.
	OS           string `json:"os,omitempty"`
	Architecture string `json:"architecture,omitempty"`
	// User is the image's configured user ("", "0", "app", "1000:1000"); empty runs as root.
	User string `json:"user"`
	// Created is the build time the image config records; zero when absent.
	Created time.Time `json:"created,omitzero"`
	// Size is the compressed size of the layers, what a node pulls, in bytes.
	Size   int64 `json:"size"`
	Layers int   `json:"layers"`
	// Shells and PackageManagers are the paths of shells ("/bin/sh") and package managers
	// ("/usr/bin/apt-get") the final file system holds, layer deletions applied.
	Shells          []string `json:"shells,omitempty"`
	PackageManagers []string `json:"packageManagers,omitempty"`
	// Base names what the image is built on: "scratch" (no operating system files),
	// "distroless", or the os-release ID ("debian", "alpine", "wolfi"); empty when unknown.
	Base string `json:"base,omitempty"`
}

// VulnReport is one vulnerability scanner's report on one image.
type VulnReport struct {
	// Scanner is "trivy" or "grype"; Source the file the report was read from.
	Scanner string `json:"scanner"`
	Source  string `json:"source,omitempty"`
	// Image is the reference the scanner was given; Tags and Digests are the other names
	// the report gives the image: repository tags, repository digests ("nginx@sha256:…")
	// and manifest digests ("sha256:…").
	Image           string          `json:"image"`
	Tags            []string        `json:"tags,omitempty"`
	Digests         []string        `json:"digests,omitempty"`
	Vulnerabilities []Vulnerability `json:"vulnerabilities"`
}

// Vulnerability is one vulnerability of one package in an image.
type Vulnerability struct {
	ID        string `json:"id"`
	Package   string `json:"package"`
	Installed string `json:"installed,omitempty"`
	// Fixed is the version that fixes it; empty when no fix is known.
	Fixed string `json:"fixed,omitempty"`
	// Severity is critical, high, medium, low or unknown.
	Severity string `json:"severity"`
	Title    string `json:"title,omitempty"`
	URL      string `json:"url,omitempty"`
}

// DeprecatedAPIRequest is a deprecated API that clients requested from the API server since
// it started, as its apiserver_requested_deprecated_apis metric reports.
type DeprecatedAPIRequest struct {
	Group          string `json:"group"`
	Version        string `json:"version"`
	Resource       string `json:"resource"`
	Subresource    string `json:"subresource,omitempty"`
	RemovedRelease string `json:"removedRelease,omitempty"`
}
