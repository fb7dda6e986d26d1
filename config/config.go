// Package config reads .kubeharden.yaml: exceptions to checks and the settings that tune them.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// FileName is the name of the config file searched upward from the scanned path.
const FileName = ".kubeharden.yaml"

// Config is the whole configuration. The zero value is the default.
type Config struct {
	Exceptions []Exception `json:"exceptions,omitempty"`
	Resources  Resources   `json:"resources,omitempty"`
	Images     Images      `json:"images,omitempty"`
	// Path is where the config was read from; empty for the default.
	Path string `json:"-"`
}

// Resources tunes the resources practice.
type Resources struct {
	// RequireCPULimit makes a missing CPU limit a finding. Off by default: many teams omit CPU
	// limits on purpose to avoid CFS throttling.
	RequireCPULimit bool `json:"requireCPULimit,omitempty"`
}

// Images tunes the images practice.
type Images struct {
	// AllowedRegistries, when set, are the only registries images may come from. An entry is a
	// registry host ("ghcr.io") or a repository prefix ("ghcr.io/acme/").
	AllowedRegistries []string `json:"allowedRegistries,omitempty"`
}

// Exception suppresses findings of Check (a check ID or glob such as "images/*") on the
// objects it matches. Empty Namespace, Kind and Name match anything; Name and Namespace may be
// globs. Reason is required; after Expires the exception stops suppressing.
type Exception struct {
	Check     string `json:"check"`
	Namespace string `json:"namespace,omitempty"`
	Kind      string `json:"kind,omitempty"`
	Name      string `json:"name,omitempty"`
	Reason    string `json:"reason"`
	Expires   Date   `json:"expires,omitzero"`
}

// Date is a calendar day (YYYY-MM-DD); it ends at the end of that day in UTC.
type Date struct{ time.Time }

// ParseDate reads YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return Date{t}, nil
}

// Expired reports whether the day has passed at now.
func (d Date) Expired(now time.Time) bool {
	return !d.IsZero() && !now.Before(d.AddDate(0, 0, 1))
}

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Format(time.DateOnly)
}

// MarshalJSON writes YYYY-MM-DD.
func (d Date) MarshalJSON() ([]byte, error) { return []byte(`"` + d.String() + `"`), nil }

// UnmarshalJSON reads YYYY-MM-DD.
func (d *Date) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(s)
	*d = v
	return err
}

// Load reads the config at path.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Config
	if err := yaml.UnmarshalStrict(b, &c); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	for i, e := range c.Exceptions {
		if e.Check == "" {
			return nil, fmt.Errorf("%s: exceptions[%d]: check is required", path, i)
		}
		if strings.TrimSpace(e.Reason) == "" {
			return nil, fmt.Errorf("%s: exceptions[%d] (%s): reason is required", path, i, e.Check)
		}
	}
	c.Path = path
	return &c, nil
}

// Find looks for FileName in the directory of start and its parents and loads the first one
// found; with none, it returns the default config.
func Find(start string) (*Config, error) {
	dir, err := filepath.Abs(start)
	if err != nil {
		return &Config{}, nil
	}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		dir = filepath.Dir(dir)
	}
	for {
		p := filepath.Join(dir, FileName)
		if _, err := os.Stat(p); err == nil {
			return Load(p)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return &Config{}, nil
		}
		dir = parent
	}
}
