package versions

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"sigs.k8s.io/yaml"

	"github.com/kubeharden/kubeharden/config"
)

// Release is one Kubernetes minor release.
type Release struct {
	Minor     string      `json:"minor"`
	Released  config.Date `json:"released"`
	EndOfLife config.Date `json:"endOfLife"`
	// LatestPatch is the newest patch release of the minor on the table's as-of date.
	LatestPatch string `json:"latestPatch"`

	minor, latest Version
}

// Releases is a dated table of Kubernetes minor releases.
type Releases struct {
	// AsOf is the day the table was last true: patches released later are unknown to it.
	AsOf     config.Date `json:"asOf"`
	Releases []Release   `json:"releases"`

	byMinor map[int]*Release
}

//go:embed data/releases.yaml
var builtinReleases []byte

var builtin = sync.OnceValues(func() (*Releases, error) { return ParseReleases(builtinReleases) })

// BuiltinReleases is the release table built into kubeharden.
func BuiltinReleases() *Releases {
	r, err := builtin()
	if err != nil {
		// The table is embedded and tested: an error here is a build defect.
		panic("versions: built-in release data: " + err.Error())
	}
	return r
}

// ParseReleases reads a release table (the format of data/releases.yaml) and checks it.
func ParseReleases(data []byte) (*Releases, error) {
	var r Releases
	if err := yaml.UnmarshalStrict(data, &r); err != nil {
		return nil, err
	}
	if r.AsOf.IsZero() {
		return nil, fmt.Errorf("asOf: the date the table is true on is required")
	}
	if len(r.Releases) == 0 {
		return nil, fmt.Errorf("releases: no release listed")
	}
	r.byMinor = map[int]*Release{}
	for i := range r.Releases {
		rel := &r.Releases[i]
		m, err := ParseVersion(rel.Minor)
		if err != nil || m.Patch >= 0 {
			return nil, fmt.Errorf("releases[%d]: minor %q is not MAJOR.MINOR", i, rel.Minor)
		}
		p, err := ParseVersion(rel.LatestPatch)
		if err != nil || p.Patch < 0 || p.Major != m.Major || p.Minor != m.Minor {
			return nil, fmt.Errorf("releases[%d] (%s): latestPatch %q is not a %s.N version", i, rel.Minor, rel.LatestPatch, rel.Minor)
		}
		if rel.Released.IsZero() || rel.EndOfLife.IsZero() || !rel.EndOfLife.After(rel.Released.Time) {
			return nil, fmt.Errorf("releases[%d] (%s): released and endOfLife are required, endOfLife after released", i, rel.Minor)
		}
		if r.byMinor[m.minorIndex()] != nil {
			return nil, fmt.Errorf("releases[%d]: %s is listed twice", i, rel.Minor)
		}
		rel.minor, rel.latest = m, p
		r.byMinor[m.minorIndex()] = rel
	}
	sort.Slice(r.Releases, func(i, j int) bool { return r.Releases[i].minor.minorIndex() > r.Releases[j].minor.minorIndex() })
	for i := range r.Releases {
		r.byMinor[r.Releases[i].minor.minorIndex()] = &r.Releases[i]
	}
	return &r, nil
}

// Lookup returns the release of v's minor, or nil.
func (r *Releases) Lookup(v Version) *Release { return r.byMinor[v.minorIndex()] }

// Newest is the newest minor the table knows.
func (r *Releases) Newest() Version { return r.Releases[0].minor }

// Latest is the newest patch of the release.
func (rel *Release) Latest() Version { return rel.latest }

var (
	loadedMu sync.Mutex
	loaded   = map[string]*Releases{}
)

// LoadReleases reads a release table file, once per path.
func LoadReleases(path string) (*Releases, error) {
	loadedMu.Lock()
	defer loadedMu.Unlock()
	if r := loaded[path]; r != nil {
		return r, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, err := ParseReleases(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	loaded[path] = r
	return r, nil
}

// ReleasesFor returns the release table a configuration names (versions.releaseData, a
// relative path being relative to the config file), or the built-in one.
func ReleasesFor(cfg *config.Config) (*Releases, error) {
	p := cfg.Versions.ReleaseData
	if p == "" {
		return BuiltinReleases(), nil
	}
	if !filepath.IsAbs(p) && cfg.Path != "" {
		p = filepath.Join(filepath.Dir(cfg.Path), p)
	}
	return LoadReleases(p)
}
