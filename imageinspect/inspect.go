// Package imageinspect reads container images, from their registries or from image archives,
// and reports what the images practice judges beyond a reference: the configured user, the
// build time, the size, whether the file system holds a shell or a package manager (scratch
// and distroless recognised), and the platforms of a multi-platform index.
//
// It is the part of a scan that touches the network, so it runs before the checks (kubeharden
// scan --inspect-images) and hands them inventory.ImageFacts. Registries are reached with the
// standard Docker credential chain (~/.docker/config.json and its credential helpers);
// Options.Insecure names registries reached over plain HTTP or unverified TLS. Archives (OCI
// image layouts and `docker save` tarballs) are looked up before registries. Distinct images
// are inspected concurrently, each reference resolved once, and the contents of each image
// (which requires reading its layers) analysed once per digest, in memory and, with
// Options.CacheDir, on disk across runs: a digest's content never changes.
package imageinspect

import (
	"context"
	"crypto/tls"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubeharden/kubeharden/internal/parallel"
	"github.com/kubeharden/kubeharden/inventory"
)

// Options tune Inspect.
type Options struct {
	// Insecure are registries ("localhost:5000", "registry.lab:443") reached over plain HTTP
	// when HTTPS fails, and whose TLS certificates are not verified.
	Insecure []string
	// Archives are OCI image layouts (directories) and `docker save` tarballs to look
	// images up in before asking registries.
	Archives []string
	// Keychain finds registry credentials; nil means the Docker credential chain.
	Keychain authn.Keychain
	// Platforms are the preferred platforms ("linux/arm64") to inspect of a multi-platform
	// image, in order; empty means linux/amd64.
	Platforms []string
	// Workers is how many images are inspected at once; zero means 4.
	Workers int
	// CacheDir, when set, keeps each image's analysis by digest across runs.
	CacheDir string
	// Progress, when set, is called after each image with the number done and the total.
	Progress func(done, total int)
	// Transport is the HTTP transport to registries; nil means remote.DefaultTransport.
	Transport http.RoundTripper
}

// DefaultCacheDir is the per-user cache directory of image analyses.
func DefaultCacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "kubeharden", "images")
}

// References returns the distinct images the pod templates of inv run, sorted.
func References(inv *inventory.Inventory) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range inv.PodTemplates() {
		for _, img := range t.Images() {
			if img.Image != "" && !seen[img.Image] {
				seen[img.Image] = true
				out = append(out, img.Image)
			}
		}
	}
	sort.Strings(out)
	return out
}

// NodePlatforms returns the platforms ("linux/amd64") of the Nodes in inv, the most common
// first: the platforms worth inspecting in a multi-platform image.
func NodePlatforms(inv *inventory.Inventory) []string {
	count := map[string]int{}
	for _, o := range inv.ByKind("Node") {
		if n, ok := o.Obj.(*corev1.Node); ok && n.Status.NodeInfo.Architecture != "" {
			os := n.Status.NodeInfo.OperatingSystem
			if os == "" {
				os = "linux"
			}
			count[os+"/"+n.Status.NodeInfo.Architecture]++
		}
	}
	out := make([]string, 0, len(count))
	for p := range count {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if count[out[i]] != count[out[j]] {
			return count[out[i]] > count[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}

// Inspect inspects every image of refs (references as manifests write them) and returns
// their facts by reference. An image that cannot be read (unknown, unauthorised, registry
// unreachable) gets facts with Error set and an error naming it; an archive that cannot be
// read is an error too. The other images are still inspected.
func Inspect(ctx context.Context, refs []string, opts Options) (map[string]*inventory.ImageFacts, []inventory.Error) {
	in := newInspector(opts)
	var errs []inventory.Error
	for _, a := range opts.Archives {
		if err := in.archives.add(a); err != nil {
			errs = append(errs, inventory.Error{File: a, Message: "cannot read image archive: " + oneLine(err)})
		}
	}
	// Group the references that name the same image ("nginx", "docker.io/library/nginx:latest").
	groups := map[string][]string{}
	parsed := map[string]name.Reference{}
	out := make(map[string]*inventory.ImageFacts, len(refs))
	var keys []string
	for _, raw := range refs {
		if _, dup := out[raw]; dup {
			continue
		}
		r, err := name.ParseReference(raw, in.nameOptions(raw)...)
		if err != nil {
			out[raw] = &inventory.ImageFacts{Reference: raw, Error: "invalid image reference: " + oneLine(err)}
			errs = append(errs, inventory.Error{Resource: "image " + raw, Message: out[raw].Error})
			continue
		}
		out[raw] = nil
		k := r.Name()
		if groups[k] == nil {
			keys = append(keys, k)
			parsed[k] = r
		}
		groups[k] = append(groups[k], raw)
	}
	sort.Strings(keys)

	results := make([]*inventory.ImageFacts, len(keys))
	workers := opts.Workers
	if workers <= 0 {
		workers = 4
	}
	parallel.Each(len(keys), workers, func(i int) { results[i] = in.inspect(ctx, parsed[keys[i]]) }, opts.Progress)

	for i, k := range keys {
		for _, raw := range groups[k] {
			f := *results[i]
			f.Reference = raw
			out[raw] = &f
			if f.Error != "" {
				errs = append(errs, inventory.Error{Resource: "image " + raw, Message: f.Error})
			}
		}
	}
	return out, errs
}

type inspector struct {
	opts     Options
	keychain authn.Keychain
	secure   http.RoundTripper
	insecure http.RoundTripper
	archives *archives
	cache    *cache
}

func newInspector(opts Options) *inspector {
	in := &inspector{opts: opts, keychain: opts.Keychain, archives: newArchives(), cache: newCache(opts.CacheDir)}
	if in.keychain == nil {
		in.keychain = authn.DefaultKeychain
	}
	in.secure = opts.Transport
	if in.secure == nil {
		in.secure = remote.DefaultTransport
	}
	in.insecure = in.secure
	if t, ok := in.secure.(*http.Transport); ok {
		c := t.Clone()
		if c.TLSClientConfig == nil {
			c.TLSClientConfig = &tls.Config{}
		}
		c.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // only for registries the user named insecure
		in.insecure = c
	}
	return in
}

// insecureHost reports whether a registry host was named insecure.
func (in *inspector) insecureHost(host string) bool {
	for _, h := range in.opts.Insecure {
		if strings.EqualFold(strings.TrimSuffix(h, "/"), host) {
			return true
		}
	}
	return false
}

func (in *inspector) nameOptions(raw string) []name.Option {
	if host, _, ok := strings.Cut(raw, "/"); ok && in.insecureHost(host) {
		return []name.Option{name.Insecure}
	}
	return nil
}

func (in *inspector) remoteOptions(ctx context.Context, r name.Reference) []remote.Option {
	tr := in.secure
	if in.insecureHost(r.Context().RegistryStr()) {
		tr = in.insecure
	}
	return []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(in.keychain), remote.WithTransport(tr), remote.WithUserAgent("kubeharden")}
}

// inspect reads one image: from an archive when one holds it, else from its registry.
func (in *inspector) inspect(ctx context.Context, r name.Reference) *inventory.ImageFacts {
	f := &inventory.ImageFacts{Reference: r.String()}
	src, ok := in.archives.lookup(r)
	if !ok {
		desc, err := remote.Get(r, in.remoteOptions(ctx, r)...)
		if err != nil {
			f.Error = "cannot read the image from its registry: " + oneLine(err)
			return f
		}
		if desc.MediaType.IsIndex() {
			idx, err := desc.ImageIndex()
			if err != nil {
				f.Error = oneLine(err)
				return f
			}
			src = source{index: idx, digest: desc.Digest}
		} else {
			img, err := desc.Image()
			if err != nil {
				f.Error = oneLine(err)
				return f
			}
			src = source{image: img, digest: desc.Digest}
		}
	}
	img := src.image
	f.Digest = src.digest.String()
	if src.index != nil {
		var err error
		img, f.Platforms, err = in.pickPlatform(src.index)
		if err != nil {
			f.Error = oneLine(err)
			return f
		}
	}
	d, err := img.Digest()
	if err != nil {
		f.Error = oneLine(err)
		return f
	}
	f.PlatformDigest = d.String()
	a, err := in.cache.get(d.String(), func() (*analysis, error) { return analyze(img) })
	if err != nil {
		f.Error = "cannot read the image's contents: " + oneLine(err)
		return f
	}
	a.fill(f)
	return f
}

// pickPlatform lists the platforms of an index and returns the image of the preferred one.
func (in *inspector) pickPlatform(idx v1.ImageIndex) (v1.Image, []string, error) {
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, nil, err
	}
	var platforms []string
	var descs []v1.Descriptor
	for _, d := range m.Manifests {
		if d.Platform == nil || d.Platform.OS == "unknown" || !d.MediaType.IsImage() {
			continue // attestation manifests and nested indexes
		}
		platforms = append(platforms, platformString(d.Platform))
		descs = append(descs, d)
	}
	if len(descs) == 0 {
		return nil, nil, errors.New("the image index lists no platform image")
	}
	prefs := in.opts.Platforms
	if len(prefs) == 0 {
		prefs = []string{"linux/amd64"}
	}
	choice := -1
	for _, p := range prefs {
		for i, d := range descs {
			if choice < 0 && osArchOf(platformString(d.Platform)) == osArchOf(p) {
				choice = i
			}
		}
	}
	for i, d := range descs {
		if choice < 0 && d.Platform.OS == "linux" {
			choice = i
		}
	}
	if choice < 0 {
		choice = 0
	}
	img, err := idx.Image(descs[choice].Digest)
	return img, platforms, err
}

func platformString(p *v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

func osArchOf(p string) string {
	parts := strings.SplitN(p, "/", 3)
	if len(parts) < 2 {
		return p
	}
	return parts[0] + "/" + parts[1]
}

// oneLine shortens an error to one line of reasonable length: registry errors may carry
// whole response bodies.
func oneLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
