// Package vuln reads vulnerability scanners' reports on container images, Trivy's
// (`trivy image -f json`, schema version 2) and Grype's (`grype -o json`), into
// inventory.VulnReport, which the images checks attach to the workloads that run each image.
// It can also run trivy itself on the images a scan finds, when trivy is installed.
//
// Reading JSON keeps kubeharden free of the scanners' code and vulnerability databases: the
// scanners stay the authority on what is vulnerable, kubeharden on where it runs.
package vuln

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"

	"github.com/kubeharden/kubeharden/internal/parallel"
	"github.com/kubeharden/kubeharden/inventory"
)

// ReadFile reads one report file.
func ReadFile(path string) (*inventory.VulnReport, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	r.Source = path
	return r, nil
}

// ReadFiles reads report files; a file that cannot be read is an error naming it, and the
// others are still read.
func ReadFiles(paths []string) ([]*inventory.VulnReport, []inventory.Error) {
	var out []*inventory.VulnReport
	var errs []inventory.Error
	for _, p := range paths {
		r, err := ReadFile(p)
		if err != nil {
			errs = append(errs, inventory.Error{File: p, Message: "vulnerability report: " + strings.TrimPrefix(err.Error(), p+": ")})
			continue
		}
		out = append(out, r)
	}
	return out, errs
}

// Parse reads a Trivy or Grype JSON report, telling them apart by their top-level fields.
func Parse(data []byte) (*inventory.VulnReport, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("not a JSON report: %v", err)
	}
	switch {
	case probe["SchemaVersion"] != nil && probe["ArtifactName"] != nil:
		return parseTrivy(data)
	case probe["matches"] != nil && probe["source"] != nil:
		return parseGrype(data)
	case probe["ClusterName"] != nil:
		return nil, errors.New("a trivy k8s report; give per-image reports (trivy image -f json)")
	}
	return nil, errors.New("neither a Trivy (trivy image -f json) nor a Grype (grype -o json) report")
}

// trivyReport is the part of Trivy's report (pkg/types.Report, schema version 2) read here.
type trivyReport struct {
	SchemaVersion int    `json:"SchemaVersion"`
	ArtifactName  string `json:"ArtifactName"`
	ArtifactType  string `json:"ArtifactType"`
	Metadata      struct {
		ImageID     string   `json:"ImageID"`
		RepoTags    []string `json:"RepoTags"`
		RepoDigests []string `json:"RepoDigests"`
	} `json:"Metadata"`
	Results []struct {
		Target          string `json:"Target"`
		Vulnerabilities []struct {
			VulnerabilityID  string `json:"VulnerabilityID"`
			PkgName          string `json:"PkgName"`
			InstalledVersion string `json:"InstalledVersion"`
			FixedVersion     string `json:"FixedVersion"`
			Severity         string `json:"Severity"`
			Title            string `json:"Title"`
			PrimaryURL       string `json:"PrimaryURL"`
		} `json:"Vulnerabilities"`
	} `json:"Results"`
}

func parseTrivy(data []byte) (*inventory.VulnReport, error) {
	var t trivyReport
	if err := json.Unmarshal(data, &t); err != nil {
		return nil, fmt.Errorf("trivy report: %v", err)
	}
	if t.SchemaVersion != 2 {
		return nil, fmt.Errorf("trivy report schema version %d; version 2 is read", t.SchemaVersion)
	}
	if t.ArtifactType != "" && t.ArtifactType != "container_image" {
		return nil, fmt.Errorf("trivy report on a %s, not a container image", t.ArtifactType)
	}
	r := &inventory.VulnReport{Scanner: "trivy", Image: t.ArtifactName, Tags: t.Metadata.RepoTags, Digests: t.Metadata.RepoDigests,
		Vulnerabilities: []inventory.Vulnerability{}}
	for _, res := range t.Results {
		for _, v := range res.Vulnerabilities {
			r.Vulnerabilities = append(r.Vulnerabilities, inventory.Vulnerability{
				ID: v.VulnerabilityID, Package: v.PkgName, Installed: v.InstalledVersion, Fixed: v.FixedVersion,
				Severity: severity(v.Severity), Title: v.Title, URL: v.PrimaryURL,
			})
		}
	}
	return r, nil
}

// grypeReport is the part of Grype's JSON report read here.
type grypeReport struct {
	Matches []struct {
		Vulnerability struct {
			ID          string   `json:"id"`
			Severity    string   `json:"severity"`
			Description string   `json:"description"`
			URLs        []string `json:"urls"`
			DataSource  string   `json:"dataSource"`
			Fix         struct {
				Versions []string `json:"versions"`
				State    string   `json:"state"`
			} `json:"fix"`
		} `json:"vulnerability"`
		Artifact struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		} `json:"artifact"`
	} `json:"matches"`
	Source struct {
		Type   string          `json:"type"`
		Target json.RawMessage `json:"target"`
	} `json:"source"`
}

type grypeImage struct {
	UserInput      string   `json:"userInput"`
	ImageID        string   `json:"imageID"`
	ManifestDigest string   `json:"manifestDigest"`
	Tags           []string `json:"tags"`
	RepoDigests    []string `json:"repoDigests"`
}

func parseGrype(data []byte) (*inventory.VulnReport, error) {
	var g grypeReport
	if err := json.Unmarshal(data, &g); err != nil {
		return nil, fmt.Errorf("grype report: %v", err)
	}
	if g.Source.Type != "image" {
		return nil, fmt.Errorf("grype report on a %q source, not an image", g.Source.Type)
	}
	var img grypeImage
	if err := json.Unmarshal(g.Source.Target, &img); err != nil {
		return nil, fmt.Errorf("grype report: source.target: %v", err)
	}
	r := &inventory.VulnReport{Scanner: "grype", Image: img.UserInput, Tags: img.Tags, Digests: img.RepoDigests,
		Vulnerabilities: []inventory.Vulnerability{}}
	if img.ManifestDigest != "" {
		r.Digests = append(r.Digests, img.ManifestDigest)
	}
	for _, m := range g.Matches {
		v := inventory.Vulnerability{
			ID: m.Vulnerability.ID, Package: m.Artifact.Name, Installed: m.Artifact.Version,
			Severity: severity(m.Vulnerability.Severity), Title: firstSentence(m.Vulnerability.Description),
			URL: m.Vulnerability.DataSource,
		}
		if m.Vulnerability.Fix.State == "fixed" && len(m.Vulnerability.Fix.Versions) > 0 {
			v.Fixed = strings.Join(m.Vulnerability.Fix.Versions, ", ")
		}
		if v.URL == "" && len(m.Vulnerability.URLs) > 0 {
			v.URL = m.Vulnerability.URLs[0]
		}
		r.Vulnerabilities = append(r.Vulnerabilities, v)
	}
	return r, nil
}

// severity normalises scanners' severities: Trivy's CRITICAL..UNKNOWN, Grype's
// Critical..Negligible, Unknown.
func severity(s string) string {
	switch l := strings.ToLower(s); l {
	case "critical", "high", "medium", "low":
		return l
	case "negligible":
		return "low"
	}
	return "unknown"
}

func firstSentence(s string) string {
	if i := strings.Index(s, ". "); i > 0 {
		s = s[:i+1]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// ScanOptions tune Scan.
type ScanOptions struct {
	// Trivy is the trivy executable; empty means "trivy" found on PATH.
	Trivy string
	// Args are extra arguments for trivy image (e.g. --severity, --offline-scan).
	Args []string
	// Workers is how many trivy processes run at once; zero means 2 (trivy is heavy).
	Workers int
	// Progress, when set, is called after each image with the number done and the total.
	Progress func(done, total int)
}

// TrivyPath returns the trivy on PATH, or "" when there is none.
func TrivyPath() string {
	p, err := exec.LookPath("trivy")
	if err != nil {
		return ""
	}
	return p
}

// Scan runs `trivy image -f json --quiet IMAGE` on every image and reads the reports. An
// image trivy cannot scan is an error naming it; the others are still scanned.
func Scan(ctx context.Context, images []string, opts ScanOptions) ([]*inventory.VulnReport, []inventory.Error) {
	bin := opts.Trivy
	if bin == "" {
		bin = TrivyPath()
	}
	if bin == "" {
		return nil, []inventory.Error{{Message: "--scan-images: trivy is not on PATH; install it, or give reports with --vuln-report"}}
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = 2
	}
	reports := make([]*inventory.VulnReport, len(images))
	errs := make([]*inventory.Error, len(images))
	parallel.Each(len(images), workers, func(i int) { reports[i], errs[i] = scanOne(ctx, bin, images[i], opts.Args) }, opts.Progress)
	var out []*inventory.VulnReport
	var all []inventory.Error
	for i := range images {
		if errs[i] != nil {
			all = append(all, *errs[i])
		} else if reports[i] != nil {
			out = append(out, reports[i])
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Image < out[j].Image })
	return out, all
}

func scanOne(ctx context.Context, bin, image string, extra []string) (*inventory.VulnReport, *inventory.Error) {
	args := append([]string{"image", "--format", "json", "--quiet"}, extra...)
	args = append(args, image)
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:]
		}
		if msg == "" {
			msg = err.Error()
		}
		return nil, &inventory.Error{Resource: "image " + image, Message: "trivy: " + msg}
	}
	r, err := Parse(stdout.Bytes())
	if err != nil {
		return nil, &inventory.Error{Resource: "image " + image, Message: "trivy output: " + err.Error()}
	}
	r.Source = "trivy image " + image
	// Trivy names the artifact as given; keep the reference as the manifest wrote it.
	if r.Image == "" {
		r.Image = image
	}
	return r, nil
}
