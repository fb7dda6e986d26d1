package imageinspect

import (
	"fmt"
	"io"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// source is an image or a multi-platform index, with the digest its reference resolved to.
type source struct {
	image  v1.Image
	index  v1.ImageIndex
	digest v1.Hash
}

// archives index the images of OCI layouts and docker save tarballs by name (normalised
// repository:tag, as ggcr's name package writes it) and by digest.
type archives struct {
	byName   map[string]source
	byDigest map[string]source
}

func newArchives() *archives {
	return &archives{byName: map[string]source{}, byDigest: map[string]source{}}
}

// OCI annotations that name an image in a layout.
const (
	annotationRefName   = "org.opencontainers.image.ref.name"
	annotationImageName = "io.containerd.image.name"
)

// add indexes one archive: a directory is an OCI image layout, a file a docker save tarball.
func (a *archives) add(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return a.addLayout(path)
	}
	return a.addTarball(path)
}

func (a *archives) addLayout(path string) error {
	idx, err := layout.ImageIndexFromPath(path)
	if err != nil {
		return err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	for _, d := range m.Manifests {
		var src source
		switch {
		case d.MediaType.IsIndex():
			sub, err := idx.ImageIndex(d.Digest)
			if err != nil {
				return err
			}
			src = source{index: sub, digest: d.Digest}
		case d.MediaType.IsImage():
			img, err := idx.Image(d.Digest)
			if err != nil {
				return err
			}
			src = source{image: img, digest: d.Digest}
		default:
			continue
		}
		a.byDigest[d.Digest.String()] = src
		for _, k := range []string{annotationImageName, annotationRefName} {
			// ref.name may hold a whole reference or only a tag; only the former names an image.
			if t, err := name.NewTag(d.Annotations[k], name.StrictValidation); err == nil && d.Annotations[k] != "" {
				a.byName[t.Name()] = src
			}
		}
	}
	return nil
}

func (a *archives) addTarball(path string) error {
	m, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(path) })
	if err != nil {
		return err
	}
	if len(m) == 0 {
		return fmt.Errorf("the tarball holds no image")
	}
	for _, d := range m {
		for _, t := range d.RepoTags {
			tag, err := name.NewTag(t)
			if err != nil {
				continue
			}
			img, err := tarball.ImageFromPath(path, &tag)
			if err != nil {
				return err
			}
			dg, err := img.Digest()
			if err != nil {
				return err
			}
			src := source{image: img, digest: dg}
			a.byName[tag.Name()] = src
			a.byDigest[dg.String()] = src
		}
	}
	return nil
}

// lookup finds the image a reference names: by digest when it pins one, else by name.
func (a *archives) lookup(r name.Reference) (source, bool) {
	if d, ok := r.(name.Digest); ok {
		s, found := a.byDigest[d.DigestStr()]
		return s, found
	}
	s, found := a.byName[r.Name()]
	return s, found
}
