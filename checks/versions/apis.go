package versions

import (
	_ "embed"
	"fmt"
	"sync"

	"sigs.k8s.io/yaml"
)

// API is one API version of one kind that Kubernetes deprecated, and perhaps removed.
type API struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Deprecated string `json:"deprecated"`
	// Removed is the first minor that no longer serves the version; empty when no removal
	// is scheduled.
	Removed string `json:"removed,omitempty"`
	// Replacement is the apiVersion to migrate to; ReplacementKind is set when the kind
	// changes too (v1 Endpoints → discovery.k8s.io/v1 EndpointSlice).
	Replacement     string `json:"replacement,omitempty"`
	ReplacementKind string `json:"replacementKind,omitempty"`
	Note            string `json:"note,omitempty"`

	deprecated, removed Version
}

// DeprecatedBy reports whether the API is deprecated in version v (or removed).
func (a *API) DeprecatedBy(v Version) bool { return a.deprecated.MinorsBehind(v) >= 0 }

// RemovedBy reports whether version v no longer serves the API.
func (a *API) RemovedBy(v Version) bool { return a.Removed != "" && a.removed.MinorsBehind(v) >= 0 }

// APIs is the table of deprecated APIs, by apiVersion and kind.
type APIs struct {
	list  []API
	index map[[2]string]*API
}

//go:embed data/apis.yaml
var builtinAPIs []byte

var apis = sync.OnceValues(func() (*APIs, error) { return ParseAPIs(builtinAPIs) })

// DeprecatedAPIs is the built-in table of deprecated and removed APIs.
func DeprecatedAPIs() *APIs {
	a, err := apis()
	if err != nil {
		panic("versions: built-in API data: " + err.Error()) // embedded and tested
	}
	return a
}

// ParseAPIs reads a table in the format of data/apis.yaml.
func ParseAPIs(data []byte) (*APIs, error) {
	var list []API
	if err := yaml.UnmarshalStrict(data, &list); err != nil {
		return nil, err
	}
	t := &APIs{list: list, index: map[[2]string]*API{}}
	for i := range t.list {
		a := &t.list[i]
		var err error
		if a.deprecated, err = ParseVersion(a.Deprecated); err != nil {
			return nil, fmt.Errorf("%s %s: deprecated: %v", a.APIVersion, a.Kind, err)
		}
		if a.Removed != "" {
			if a.removed, err = ParseVersion(a.Removed); err != nil {
				return nil, fmt.Errorf("%s %s: removed: %v", a.APIVersion, a.Kind, err)
			}
		}
		k := [2]string{a.APIVersion, a.Kind}
		if t.index[k] != nil {
			return nil, fmt.Errorf("%s %s is listed twice", a.APIVersion, a.Kind)
		}
		t.index[k] = a
	}
	return t, nil
}

// Lookup returns the entry of an apiVersion and kind, or nil when it is not deprecated.
func (t *APIs) Lookup(apiVersion, kind string) *API { return t.index[[2]string{apiVersion, kind}] }

// All returns every entry.
func (t *APIs) All() []API { return t.list }

// ReplacementAt is the apiVersion and kind to migrate a to for a cluster at version v: its
// replacement, or, when that is itself deprecated by v, the replacement's, and so on.
func (t *APIs) ReplacementAt(a *API, v Version) (apiVersion, kind string) {
	apiVersion, kind = a.Replacement, a.Kind
	if a.ReplacementKind != "" {
		kind = a.ReplacementKind
	}
	for seen := 0; apiVersion != "" && seen < 10; seen++ {
		next := t.Lookup(apiVersion, kind)
		if next == nil || !next.DeprecatedBy(v) || next.Replacement == "" {
			break
		}
		apiVersion = next.Replacement
		if next.ReplacementKind != "" {
			kind = next.ReplacementKind
		}
	}
	return apiVersion, kind
}
