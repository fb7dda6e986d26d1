package imageinspect

import (
	"archive/tar"
	"bufio"
	"errors"
	"io"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/kubeharden/kubeharden/inventory"
)

// analysis is what reading an image's config and layers told, as cached by digest.
type analysis struct {
	Version int `json:"version"`
	inventory.ImageContent
}

// analysisVersion changes when analysis changes meaning, so that cached ones are redone.
const analysisVersion = 1

func (a *analysis) fill(f *inventory.ImageFacts) {
	f.ImageContent = a.ImageContent
	f.Shells = append([]string(nil), a.Shells...)
	f.PackageManagers = append([]string(nil), a.PackageManagers...)
}

// binDirs are where shells and package managers live.
var binDirs = map[string]bool{
	"bin": true, "sbin": true, "usr/bin": true, "usr/sbin": true, "usr/local/bin": true,
	"usr/local/sbin": true, "busybox": true,
}

// shells and packageManagers are the programs looked for in binDirs.
var (
	shells          = map[string]bool{"sh": true, "bash": true, "ash": true, "dash": true, "zsh": true, "ksh": true, "mksh": true, "busybox": true}
	packageManagers = map[string]bool{
		"apk": true, "apt": true, "apt-get": true, "dpkg": true, "rpm": true, "yum": true, "dnf": true,
		"microdnf": true, "tdnf": true, "zypper": true, "pacman": true, "opkg": true,
	}
)

// Markers of an operating system's package database, and of distroless's (which keeps
// dpkg's status per package in status.d, with no dpkg).
const (
	dpkgStatus   = "var/lib/dpkg/status"
	dpkgStatusD  = "var/lib/dpkg/status.d/"
	apkInstalled = "lib/apk/db/installed"
	rpmDB        = "var/lib/rpm/"
	rpmDBUsr     = "usr/lib/sysimage/rpm/"
	osRelease    = "etc/os-release"
	osReleaseUsr = "usr/lib/os-release"
)

// interesting reports whether a path matters to the analysis, and so is tracked through
// the layers.
func interesting(p string) bool {
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	if binDirs[dir] && (shells[base] || packageManagers[base]) {
		return true
	}
	switch {
	case p == dpkgStatus, p == apkInstalled, p == osRelease, p == osReleaseUsr,
		strings.HasPrefix(p, dpkgStatusD), strings.HasPrefix(p, rpmDB), strings.HasPrefix(p, rpmDBUsr):
		return true
	}
	return false
}

// entry is a tracked file of the final file system.
type entry struct {
	link    string // symbolic link target
	content string // of os-release files
}

// maxOSRelease bounds what is read of an os-release file.
const maxOSRelease = 64 << 10

// analyze reads an image's config and walks its layers in order, applying each layer's
// deletions (whiteouts) to the layers below, as the container runtime's union file system
// does.
func analyze(img v1.Image) (*analysis, error) {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	a := &analysis{Version: analysisVersion, ImageContent: inventory.ImageContent{
		OS: cf.OS, Architecture: cf.Architecture, User: cf.Config.User, Created: cf.Created.Time}}
	if a.Created.IsZero() {
		a.Created = time.Time{}
	}
	a.Created = a.Created.UTC()
	for _, l := range m.Layers {
		a.Size += l.Size
	}
	a.Layers = len(m.Layers)
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	files := map[string]entry{}
	for _, l := range layers {
		if err := applyLayer(files, l); err != nil {
			return nil, err
		}
	}
	a.classify(files)
	return a, nil
}

// applyLayer reads one layer: first the paths it deletes from the layers below (whiteouts,
// opaque directories), then the files it adds.
func applyLayer(files map[string]entry, l v1.Layer) error {
	rc, err := l.Uncompressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	added := map[string]entry{}
	var deleted, opaque []string
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		p := path.Clean(strings.TrimPrefix(strings.TrimPrefix(h.Name, "./"), "/"))
		dir, base := path.Split(p)
		switch {
		case base == ".wh..wh..opq":
			opaque = append(opaque, dir)
			continue
		case strings.HasPrefix(base, ".wh."):
			deleted = append(deleted, dir+strings.TrimPrefix(base, ".wh."))
			continue
		}
		if h.Typeflag == tar.TypeDir || !interesting(p) {
			continue
		}
		e := entry{}
		switch h.Typeflag {
		case tar.TypeSymlink:
			e.link = h.Linkname
		case tar.TypeReg:
			if p == osRelease || p == osReleaseUsr {
				b, err := io.ReadAll(io.LimitReader(tr, maxOSRelease))
				if err != nil {
					return err
				}
				e.content = string(b)
			}
		}
		added[p] = e
	}
	for _, d := range deleted {
		for p := range files {
			if p == d || strings.HasPrefix(p, d+"/") {
				delete(files, p)
			}
		}
	}
	for _, d := range opaque {
		for p := range files {
			if strings.HasPrefix(p, d) {
				delete(files, p)
			}
		}
	}
	for p, e := range added {
		files[p] = e
	}
	return nil
}

// classify lists shells and package managers and names the base.
func (a *analysis) classify(files map[string]entry) {
	hasDB, statusD := false, false
	for p := range files {
		dir, base := path.Split(p)
		dir = strings.TrimSuffix(dir, "/")
		switch {
		case binDirs[dir] && shells[base]:
			a.Shells = append(a.Shells, "/"+p)
		case binDirs[dir] && packageManagers[base]:
			a.PackageManagers = append(a.PackageManagers, "/"+p)
		case strings.HasPrefix(p, dpkgStatusD):
			statusD = true
		case p == dpkgStatus, p == apkInstalled, strings.HasPrefix(p, rpmDB), strings.HasPrefix(p, rpmDBUsr):
			hasDB = true
		}
	}
	sort.Strings(a.Shells)
	sort.Strings(a.PackageManagers)
	rel := files[osRelease]
	if rel.content == "" {
		rel = files[osReleaseUsr]
	}
	id, pretty := osReleaseFields(rel.content)
	switch {
	case strings.Contains(strings.ToLower(pretty), "distroless"),
		statusD && len(a.PackageManagers) == 0 && len(a.Shells) == 0:
		a.Base = "distroless"
	case id != "":
		a.Base = id
	case !hasDB && !statusD && len(a.Shells) == 0 && len(a.PackageManagers) == 0 && rel.link == "" && files[osRelease].link == "":
		a.Base = "scratch"
	}
}

// osReleaseFields reads ID and PRETTY_NAME from an os-release file.
func osReleaseFields(s string) (id, pretty string) {
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok {
			continue
		}
		v = strings.Trim(v, `"'`)
		switch k {
		case "ID":
			id = v
		case "PRETTY_NAME":
			pretty = v
		}
	}
	return id, pretty
}
