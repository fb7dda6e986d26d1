// Package config reads .kubeharden.yaml: exceptions to checks and the settings that tune them.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	pathpkg "path"
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
	// Exclude are gitignore-style globs of paths a scan of files does not read, as
	// --exclude; patterns with a slash are anchored to the path scanned.
	Exclude   []string  `json:"exclude,omitempty"`
	Resources Resources `json:"resources,omitempty"`
	Images    Images    `json:"images,omitempty"`
	// PodSecurity tunes the podsecurity practice.
	PodSecurity PodSecurity `json:"podSecurity,omitempty"`
	// Ingress tunes the ingress practice.
	Ingress Ingress `json:"ingress,omitempty"`
	// Versions tunes the versions practice.
	Versions Versions `json:"versions,omitempty"`
	// CustomChecks are checks written in CEL that run with the built-in ones.
	CustomChecks []CustomCheck `json:"customChecks,omitempty"`
	// Namespaces limits what scan reports to some namespaces, as --include-namespace and
	// --exclude-namespace (which add to these).
	Namespaces NamespaceFilter `json:"namespaces,omitempty"`
	// Path is where the config was read from; empty for the default.
	Path string `json:"-"`
}

// NamespaceFilter holds path.Match globs of namespaces to report on and to leave out.
type NamespaceFilter struct {
	Include []string `json:"include,omitempty"`
	Exclude []string `json:"exclude,omitempty"`
}

func (n *NamespaceFilter) validate() error {
	for field, set := range map[string][]string{"include": n.Include, "exclude": n.Exclude} {
		for _, p := range set {
			if _, err := pathpkg.Match(p, ""); err != nil {
				return fmt.Errorf("namespaces.%s: %q: %v", field, p, err)
			}
		}
	}
	return nil
}

// Ingress tunes the ingress practice.
type Ingress struct {
	// CertExpiryDays is how many days before its expiry a certificate is reported as
	// expiring. Zero means DefaultCertExpiryDays.
	CertExpiryDays int `json:"certExpiryDays,omitempty"`
	// MeshSeverity is the severity of findings about pod-to-pod traffic that is not
	// encrypted in transit (critical, high, medium, low, info), or "off" to skip them.
	// Empty means info: whether in-cluster traffic must be encrypted is a policy decision.
	MeshSeverity string `json:"meshSeverity,omitempty"`
	// IstioRootNamespace is Istio's root namespace, where a PeerAuthentication applies
	// mesh-wide. Empty means istio-system, Istio's default.
	IstioRootNamespace string `json:"istioRootNamespace,omitempty"`
}

// DefaultCertExpiryDays is the expiry warning window when Ingress.CertExpiryDays is unset.
const DefaultCertExpiryDays = 30

// ExpiryDays returns the expiry warning window in days.
func (i *Ingress) ExpiryDays() int {
	if i.CertExpiryDays > 0 {
		return i.CertExpiryDays
	}
	return DefaultCertExpiryDays
}

// IstioRoot returns Istio's root namespace.
func (i *Ingress) IstioRoot() string {
	if i.IstioRootNamespace != "" {
		return i.IstioRootNamespace
	}
	return "istio-system"
}

// validate checks the values a typo would silently turn into defaults.
func (i *Ingress) validate() error {
	if i.CertExpiryDays < 0 {
		return fmt.Errorf("ingress.certExpiryDays: %d is negative", i.CertExpiryDays)
	}
	switch strings.ToLower(i.MeshSeverity) {
	case "", "off", "critical", "high", "medium", "low", "info":
	default:
		return fmt.Errorf("ingress.meshSeverity: %q is not critical, high, medium, low, info or off", i.MeshSeverity)
	}
	return nil
}

// Resources tunes the resources practice.
type Resources struct {
	// RequireCPULimit makes a missing CPU limit a finding. Off by default: many teams omit CPU
	// limits on purpose to avoid CFS throttling.
	RequireCPULimit bool `json:"requireCPULimit,omitempty"`
	// Defaults are the requests and limits (resource name → quantity) that kubeharden fix
	// gives containers lacking them and writes into the LimitRange it adds; unset resources
	// take DefaultRequests and DefaultLimits.
	Defaults ResourceDefaults `json:"defaults,omitempty"`
	// Quota is the hard limits of the ResourceQuota kubeharden fix adds; unset resources
	// take DefaultQuota.
	Quota map[string]string `json:"quota,omitempty"`
}

// ResourceDefaults are container requests and limits.
type ResourceDefaults struct {
	Requests map[string]string `json:"requests,omitempty"`
	Limits   map[string]string `json:"limits,omitempty"`
}

// Built-in values for what kubeharden fix writes when the configuration gives none: a small
// service's steady state, and a quota a few such services fit in.
var (
	DefaultRequests = map[string]string{"cpu": "100m", "memory": "128Mi"}
	DefaultLimits   = map[string]string{"cpu": "1", "memory": "512Mi"}
	DefaultQuota    = map[string]string{"requests.cpu": "4", "requests.memory": "8Gi", "limits.memory": "16Gi"}
)

// Images tunes the images practice.
type Images struct {
	// AllowedRegistries, when set, are the only registries images may come from. An entry is a
	// registry host ("ghcr.io") or a repository prefix ("ghcr.io/acme/").
	AllowedRegistries []string `json:"allowedRegistries,omitempty"`
	// MaxAgeDays is the age, from the build time an image records, past which an inspected
	// image is reported as stale. Zero means DefaultImageMaxAgeDays.
	MaxAgeDays int `json:"maxAgeDays,omitempty"`
	// MaxSizeMB is the compressed size in MiB past which an inspected image is reported as
	// large. Zero means DefaultImageMaxSizeMB.
	MaxSizeMB int `json:"maxSizeMB,omitempty"`
	// MinimalBaseImages are more image prefixes ("registry.example.com/base/") that count as
	// minimal bases for Dockerfiles, besides the built-in list (scratch, distroless, ...).
	MinimalBaseImages []string `json:"minimalBaseImages,omitempty"`
}

// Defaults of the images practice.
const (
	DefaultImageMaxAgeDays = 365
	DefaultImageMaxSizeMB  = 1024
)

// MaxAge returns the stale-image threshold in days.
func (i *Images) MaxAge() int {
	if i.MaxAgeDays > 0 {
		return i.MaxAgeDays
	}
	return DefaultImageMaxAgeDays
}

// MaxSize returns the large-image threshold in bytes.
func (i *Images) MaxSize() int64 {
	if i.MaxSizeMB > 0 {
		return int64(i.MaxSizeMB) << 20
	}
	return DefaultImageMaxSizeMB << 20
}

// Versions tunes the versions practice.
type Versions struct {
	// KubernetesVersion is the version the scanned manifests are deployed to ("1.33.4"), for
	// scans of files; the cluster's own version wins when it is known.
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	// TargetVersion is the version deprecated APIs are judged for ("1.36"). Empty means the
	// minor after the cluster's version, or the newest minor the release data knows.
	TargetVersion string `json:"targetVersion,omitempty"`
	// ReleaseData is a release table that replaces the one built in (the same YAML format);
	// a relative path is relative to the config file.
	ReleaseData string `json:"releaseData,omitempty"`
	// EOLWarningDays is how many days before its end of support a version is reported.
	// Zero means DefaultEOLWarningDays.
	EOLWarningDays int `json:"eolWarningDays,omitempty"`
}

// DefaultEOLWarningDays is the end-of-support warning window when unset.
const DefaultEOLWarningDays = 60

// EOLWarning returns the end-of-support warning window in days.
func (v *Versions) EOLWarning() int {
	if v.EOLWarningDays > 0 {
		return v.EOLWarningDays
	}
	return DefaultEOLWarningDays
}

// PodSecurity tunes the podsecurity practice.
type PodSecurity struct {
	// ExemptNamespaces are namespaces the practice does not judge (globs allowed): system
	// namespaces whose agents need host access by design. Unset, it is
	// DefaultPodSecurityExemptNamespaces; an empty list judges every namespace.
	ExemptNamespaces []string `json:"exemptNamespaces,omitempty"`
	// Admission is the API server's PodSecurity admission configuration: the defaults for
	// namespaces without labels and the exemptions. --admission-config fills it from the
	// file the API server reads. Nil means unknown, and unlabeled namespaces are then judged
	// at baseline.
	Admission *PodSecurityAdmission `json:"admission,omitempty"`
}

// DefaultPodSecurityExemptNamespaces are the namespaces that PodSecurity.ExemptNamespaces
// stands for when unset.
var DefaultPodSecurityExemptNamespaces = []string{"kube-system", "kube-public", "kube-node-lease"}

// Exempt returns the namespace patterns the podsecurity practice skips.
func (p *PodSecurity) Exempt() []string {
	if p.ExemptNamespaces == nil {
		return DefaultPodSecurityExemptNamespaces
	}
	return p.ExemptNamespaces
}

// PodSecurityAdmission is the body of a PodSecurityConfiguration
// (pod-security.admission.config.k8s.io/v1), spelled as the API server reads it.
type PodSecurityAdmission struct {
	Defaults   PodSecurityDefaults   `json:"defaults"`
	Exemptions PodSecurityExemptions `json:"exemptions"`
}

// PodSecurityDefaults are the levels ("privileged", "baseline", "restricted") and versions
// ("latest", "v1.N") that apply to namespaces without labels. Empty fields mean
// privileged and latest, as in the API server.
type PodSecurityDefaults struct {
	Enforce        string `json:"enforce,omitempty"`
	EnforceVersion string `json:"enforce-version,omitempty"`
	Audit          string `json:"audit,omitempty"`
	AuditVersion   string `json:"audit-version,omitempty"`
	Warn           string `json:"warn,omitempty"`
	WarnVersion    string `json:"warn-version,omitempty"`
}

// PodSecurityExemptions are requests the API server's PodSecurity admission never checks.
type PodSecurityExemptions struct {
	Usernames      []string `json:"usernames,omitempty"`
	Namespaces     []string `json:"namespaces,omitempty"`
	RuntimeClasses []string `json:"runtimeClasses,omitempty"`
}

// validate checks the levels and versions, which the API server would refuse to start with.
func (a *PodSecurityAdmission) validate() error {
	d := a.Defaults
	for _, f := range []struct{ name, level, version string }{
		{"enforce", d.Enforce, d.EnforceVersion},
		{"audit", d.Audit, d.AuditVersion},
		{"warn", d.Warn, d.WarnVersion},
	} {
		switch f.level {
		case "", "privileged", "baseline", "restricted":
		default:
			return fmt.Errorf("podSecurity.admission.defaults.%s: %q is not privileged, baseline or restricted", f.name, f.level)
		}
		if !validPSAVersion(f.version) {
			return fmt.Errorf("podSecurity.admission.defaults.%s-version: %q is not latest or v1.N", f.name, f.version)
		}
	}
	return nil
}

func validPSAVersion(v string) bool {
	if v == "" || v == "latest" {
		return true
	}
	minor, ok := strings.CutPrefix(v, "v1.")
	if !ok || minor == "" || (len(minor) > 1 && minor[0] == '0') {
		return false
	}
	for _, r := range minor {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
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
	// Line is where the exception starts in the config file.
	Line int `json:"-"`
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
		return nil, decodeError(path, b, err)
	}
	lines := exceptionLines(b)
	for i := range c.Exceptions {
		e := &c.Exceptions[i]
		if i < len(lines) {
			e.Line = lines[i]
		}
		if e.Check == "" {
			return nil, fmt.Errorf("%s:%d: exceptions[%d]: check is required", path, e.Line, i)
		}
		if strings.TrimSpace(e.Reason) == "" {
			return nil, fmt.Errorf("%s:%d: exceptions[%d] (%s): reason is required", path, e.Line, i, e.Check)
		}
	}
	if a := c.PodSecurity.Admission; a != nil {
		if err := a.validate(); err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
	}
	if err := c.Ingress.validate(); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if err := c.Namespaces.validate(); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if err := c.locateCustomChecks(b, path); err != nil {
		return nil, err
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
