package imageinspect_test

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/kubeharden/kubeharden/check/checktest"
	"github.com/kubeharden/kubeharden/checks/images"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/imageinspect"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
)

// file is one entry of a test layer.
type file struct {
	name    string
	content string
	link    string // a symbolic link when set
}

func layer(t testing.TB, files ...file) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: 0o755, Size: int64(len(f.content)), Typeflag: tar.TypeReg}
		if f.link != "" {
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, f.link, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(f.content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// image builds an image of layers with a config.
func image(t testing.TB, user, arch string, created time.Time, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.Created = "linux", arch, v1.Time{Time: created}
	cf.Config.User = user
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// testImages are the images the tests push and inspect.
type testImages struct {
	legacy, distroless, slimmed, big v1.Image
	api                              v1.ImageIndex
}

var now = checktest.Now

func buildImages(t testing.TB) testImages {
	t.Helper()
	var ti testImages
	// A root image: Debian with bash and apt, no USER, built 400 days before the test's now.
	ti.legacy = image(t, "", "amd64", now.AddDate(0, 0, -400),
		layer(t, file{name: "bin/bash", content: "ELF"}, file{name: "bin/sh", link: "bash"},
			file{name: "usr/bin/apt-get", content: "ELF"}, file{name: "usr/bin/dpkg", content: "ELF"},
			file{name: "var/lib/dpkg/status", content: "Package: base-files\n"},
			file{name: "usr/lib/os-release", content: "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n"},
			file{name: "etc/os-release", link: "../usr/lib/os-release"}),
		layer(t, file{name: "app/server.py", content: "print('hi')"}))
	// A distroless-style image: dpkg status.d, no shell, user nonroot, time 1970.
	ti.distroless = image(t, "65532", "amd64", time.Unix(0, 0),
		layer(t, file{name: "etc/os-release", content: "PRETTY_NAME=\"Distroless\"\nID=debian\n"},
			file{name: "var/lib/dpkg/status.d/base-files", content: "Package: base-files\n"},
			file{name: "etc/passwd", content: "nonroot:x:65532:65532::/home/nonroot:/sbin/nologin\n"}))
	// A multi-stage build's result: one static binary, for two architectures.
	app := func(arch string) v1.Image {
		return image(t, "10001:10001", arch, now.AddDate(0, 0, -3), layer(t, file{name: "app", content: "ELF " + arch}))
	}
	ti.api = mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: app("amd64"), Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: app("arm64"), Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}})
	// Alpine whose shell and apk a later layer deletes.
	ti.slimmed = image(t, "10001", "amd64", now.AddDate(0, 0, -10),
		layer(t, file{name: "bin/busybox", content: "ELF"}, file{name: "bin/sh", link: "/bin/busybox"},
			file{name: "sbin/apk", content: "ELF"}, file{name: "lib/apk/db/installed", content: "P:musl\n"},
			file{name: "etc/os-release", content: "ID=alpine\nPRETTY_NAME=\"Alpine Linux v3.20\"\n"}),
		layer(t, file{name: "bin/.wh.sh"}, file{name: "bin/.wh.busybox"}, file{name: "sbin/.wh.apk"}))
	big, err := random.Image(3<<20, 1)
	if err != nil {
		t.Fatal(err)
	}
	ti.big = big
	return ti
}

// serve pushes the test images to an in-process registry and returns its host.
func serve(t testing.TB, ti testImages) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(nopLogger())))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	push(t, host+"/shop/legacy:1.0", ti.legacy)
	push(t, host+"/base/static:nonroot", ti.distroless)
	push(t, host+"/shop/slimmed:1.0", ti.slimmed)
	push(t, host+"/shop/big:1.0", ti.big)
	ref, err := name.ParseReference(host + "/shop/api:2.0")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, ti.api); err != nil {
		t.Fatal(err)
	}
	return host
}

func push(t testing.TB, ref string, img v1.Image) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img); err != nil {
		t.Fatal(err)
	}
}

func digestOf(t testing.TB, d interface{ Digest() (v1.Hash, error) }) string {
	t.Helper()
	h, err := d.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

// TestInspectRegistry inspects the images from a real registry served on loopback and
// checks every fact against what the test built.
func TestInspectRegistry(t *testing.T) {
	ti := buildImages(t)
	host := serve(t, ti)
	apiDigest := digestOf(t, ti.api)
	refs := []string{host + "/shop/legacy:1.0", host + "/base/static:nonroot", host + "/shop/api:2.0",
		host + "/shop/api@" + apiDigest, host + "/shop/slimmed:1.0", host + "/shop/missing:1.0"}
	var calls atomic.Int32
	facts, errs := imageinspect.Inspect(context.Background(), refs, imageinspect.Options{
		Platforms: []string{"linux/arm64"},
		Progress:  func(done, total int) { calls.Add(1) },
	})
	if len(errs) != 1 || !strings.Contains(errs[0].Resource, "missing") {
		t.Errorf("errors = %v, want one for the missing image", errs)
	}
	if n := calls.Load(); n != 6 {
		t.Errorf("progress called %d times, want 6 (one per distinct image)", n)
	}

	legacy := facts[host+"/shop/legacy:1.0"]
	want := &inventory.ImageFacts{
		Reference: host + "/shop/legacy:1.0", Digest: digestOf(t, ti.legacy), PlatformDigest: digestOf(t, ti.legacy),
		ImageContent: inventory.ImageContent{
			OS: "linux", Architecture: "amd64", User: "", Created: now.AddDate(0, 0, -400).UTC(), Layers: 2,
			Shells: []string{"/bin/bash", "/bin/sh"}, PackageManagers: []string{"/usr/bin/apt-get", "/usr/bin/dpkg"}, Base: "debian",
		},
	}
	want.Size = legacy.Size
	if !reflect.DeepEqual(legacy, want) {
		t.Errorf("legacy facts:\n got %+v\nwant %+v", legacy, want)
	}
	if m, _ := ti.legacy.Manifest(); legacy.Size != m.Layers[0].Size+m.Layers[1].Size || legacy.Size == 0 {
		t.Errorf("legacy size %d is not the sum of its compressed layers", legacy.Size)
	}

	d := facts[host+"/base/static:nonroot"]
	if d.Base != "distroless" || d.User != "65532" || len(d.Shells) != 0 || len(d.PackageManagers) != 0 || d.Created.Year() != 1970 {
		t.Errorf("distroless facts = %+v", d)
	}

	api := facts[host+"/shop/api:2.0"]
	if !reflect.DeepEqual(api.Platforms, []string{"linux/amd64", "linux/arm64/v8"}) || api.Digest != apiDigest ||
		api.Architecture != "arm64" || api.Base != "scratch" || api.User != "10001:10001" || len(api.Shells) != 0 {
		t.Errorf("api facts = %+v (want the arm64 image of the index, as preferred)", api)
	}
	if byDigest := facts[host+"/shop/api@"+apiDigest]; byDigest.PlatformDigest != api.PlatformDigest || byDigest.Reference != host+"/shop/api@"+apiDigest {
		t.Errorf("the digest reference resolved to %+v, want the tag's image", byDigest)
	}

	s := facts[host+"/shop/slimmed:1.0"]
	if len(s.Shells) != 0 || len(s.PackageManagers) != 0 || s.Base != "alpine" {
		t.Errorf("slimmed facts = %+v: the whiteouts delete the shell and apk, alpine's os-release stays", s)
	}
	if m := facts[host+"/shop/missing:1.0"]; m.Error == "" {
		t.Errorf("missing image has no error: %+v", m)
	}
}

// TestChecksOnInspectedImages runs the images checks over workloads whose images were
// inspected in the registry: the fixture's "# want" lines must match.
func TestChecksOnInspectedImages(t *testing.T) {
	ti := buildImages(t)
	host := serve(t, ti)
	src, err := os.ReadFile("testdata/workloads.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(src), "REGISTRY", host)
	text = strings.ReplaceAll(text, "API_DIGEST", digestOf(t, ti.api))
	file := filepath.Join(t.TempDir(), "workloads.yaml")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	objs, errs := load.Files([]string{file}, load.Options{})
	inv := inventory.Build(objs)
	facts, ierrs := imageinspect.Inspect(context.Background(), imageinspect.References(inv), imageinspect.Options{Platforms: imageinspect.NodePlatforms(inv)})
	cfg := &config.Config{Images: config.Images{MaxSizeMB: 2}}
	inv.SetImageData(&inventory.ImageData{Facts: facts})
	res := scan.Run(inv, scan.Options{Config: cfg, Checks: images.InspectChecks(), Now: now, Errors: append(errs, ierrs...)})
	checktest.Compare(t, file, res)
}

// TestArchives reads the same images from a docker save tarball and an OCI layout, with no
// registry at all.
func TestArchives(t *testing.T) {
	ti := buildImages(t)
	dir := t.TempDir()
	tag, err := name.NewTag("registry.invalid/shop/legacy:1.0")
	if err != nil {
		t.Fatal(err)
	}
	tarPath := filepath.Join(dir, "legacy.tar")
	if err := tarball.WriteToFile(tarPath, tag, ti.legacy); err != nil {
		t.Fatal(err)
	}
	lp, err := layout.Write(filepath.Join(dir, "oci"), empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendIndex(ti.api, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "registry.invalid/shop/api:2.0"})); err != nil {
		t.Fatal(err)
	}
	apiDigest := digestOf(t, ti.api)
	refs := []string{"registry.invalid/shop/legacy:1.0", "registry.invalid/shop/api:2.0", "registry.invalid/shop/api@" + apiDigest}
	facts, errs := imageinspect.Inspect(context.Background(), refs, imageinspect.Options{Archives: []string{tarPath, filepath.Join(dir, "oci")}})
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	if l := facts[refs[0]]; l.User != "" || len(l.Shells) != 2 || l.Base != "debian" {
		t.Errorf("legacy from the tarball = %+v", l)
	}
	for _, r := range refs[1:] {
		if a := facts[r]; len(a.Platforms) != 2 || a.Architecture != "amd64" || a.Digest != apiDigest {
			t.Errorf("%s from the layout = %+v", r, a)
		}
	}
	if _, errs := imageinspect.Inspect(context.Background(), nil, imageinspect.Options{Archives: []string{filepath.Join(dir, "nope")}}); len(errs) != 1 {
		t.Errorf("a missing archive gave errors %v, want one", errs)
	}
}

// TestInsecureRegistry reaches a registry with a self-signed certificate only when it is
// named insecure.
func TestInsecureRegistry(t *testing.T) {
	ti := buildImages(t)
	srv := httptest.NewUnstartedServer(registry.New(registry.Logger(nopLogger())))
	srv.Config.ErrorLog = nopLogger() // the failed handshakes below are expected
	srv.StartTLS()
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "https://")
	ref, _ := name.ParseReference(host + "/shop/legacy:1.0")
	if err := remote.Write(ref, ti.legacy, remote.WithTransport(srv.Client().Transport)); err != nil {
		t.Fatal(err)
	}
	refs := []string{host + "/shop/legacy:1.0"}
	if _, errs := imageinspect.Inspect(context.Background(), refs, imageinspect.Options{}); len(errs) != 1 {
		t.Errorf("without --insecure-registry: errors %v, want a TLS error", errs)
	}
	facts, errs := imageinspect.Inspect(context.Background(), refs, imageinspect.Options{Insecure: []string{host}})
	if len(errs) != 0 || facts[refs[0]].Base != "debian" {
		t.Errorf("with --insecure-registry: %+v, %v", facts[refs[0]], errs)
	}
}

// TestCache keeps analyses by digest on disk: a second run reads them back.
func TestCache(t *testing.T) {
	ti := buildImages(t)
	host := serve(t, ti)
	dir := t.TempDir()
	refs := []string{host + "/shop/legacy:1.0"}
	first, _ := imageinspect.Inspect(context.Background(), refs, imageinspect.Options{CacheDir: dir})
	files, _ := filepath.Glob(filepath.Join(dir, "sha256-*.json"))
	if len(files) != 1 || filepath.Base(files[0]) != strings.ReplaceAll(first[refs[0]].PlatformDigest, ":", "-")+".json" {
		t.Fatalf("cache files %v, want one named by the digest", files)
	}
	// Edit the cached analysis: a second run must take it instead of reading the layers.
	b, _ := os.ReadFile(files[0])
	if err := os.WriteFile(files[0], bytes.Replace(b, []byte(`"user":""`), []byte(`"user":"from-cache"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	second, _ := imageinspect.Inspect(context.Background(), refs, imageinspect.Options{CacheDir: dir})
	if second[refs[0]].User != "from-cache" {
		t.Errorf("second run user %q: the cache was not read", second[refs[0]].User)
	}
}

// nopLogger silences the registry's request log.
func nopLogger() *log.Logger { return log.New(io.Discard, "", 0) }
