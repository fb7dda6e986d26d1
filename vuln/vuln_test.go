package vuln_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/check/checktest"
	"github.com/kubeharden/kubeharden/checks/images"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
	"github.com/kubeharden/kubeharden/vuln"
)

const (
	trivyDigest      = "sha256:0e75a0da8a8e0a4ad4ec4e3c9c8b32e7ffb2d1a8e33a7b0ec2ec0d6aa1a6c2f1"
	grypeManifest    = "sha256:4b1a6d1c77e0f6a3b1f2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718"
	grypeIndexDigest = "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
)

// trivyReport is a report in the format `trivy image -f json` writes (schema version 2):
// the fields kubeharden reads, among others it ignores.
func trivyReport() map[string]any {
	vuln := func(id, pkg, installed, fixed, sev string) map[string]any {
		v := map[string]any{
			"VulnerabilityID": id, "PkgID": pkg + "@" + installed, "PkgName": pkg, "InstalledVersion": installed,
			"Status": "affected", "Layer": map[string]any{"DiffID": "sha256:aa"}, "SeveritySource": "nvd",
			"PrimaryURL": "https://avd.aquasec.com/nvd/" + strings.ToLower(id), "Title": pkg + ": a flaw", "Severity": sev,
			"CVSS": map[string]any{"nvd": map[string]any{"V3Score": 9.8}},
		}
		if fixed != "" {
			v["FixedVersion"], v["Status"] = fixed, "fixed"
		}
		return v
	}
	return map[string]any{
		"SchemaVersion": 2, "CreatedAt": "2026-05-30T10:00:00Z", "ArtifactName": "nginx:1.25.3", "ArtifactType": "container_image",
		"Metadata": map[string]any{
			"OS":          map[string]any{"Family": "debian", "Name": "12.4"},
			"ImageID":     "sha256:a8758716bb6aa4d90071160d27028fe4eaee7ce8166221a97d30440c8eac2be6",
			"DiffIDs":     []string{"sha256:aa"},
			"RepoTags":    []string{"nginx:1.25.3"},
			"RepoDigests": []string{"nginx@" + trivyDigest},
		},
		"Results": []any{
			map[string]any{"Target": "nginx:1.25.3 (debian 12.4)", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": []any{
				vuln("CVE-2024-6119", "libssl3", "3.0.11-1~deb12u2", "3.0.14-1~deb12u2", "CRITICAL"),
				vuln("CVE-2024-45490", "libexpat1", "2.5.0-1", "2.5.0-1+deb12u1", "HIGH"),
				vuln("CVE-2023-52425", "libexpat1", "2.5.0-1", "", "HIGH"),
				vuln("CVE-2024-2511", "libssl3", "3.0.11-1~deb12u2", "3.0.13-1~deb12u1", "MEDIUM"),
			}},
			map[string]any{"Target": "Node.js", "Class": "lang-pkgs", "Type": "node-pkg"},
		},
	}
}

// grypeReport is a report in the format `grype -o json` writes.
func grypeReport() map[string]any {
	match := func(id, sev, pkg, version, state string, fixes []string) map[string]any {
		return map[string]any{
			"vulnerability": map[string]any{
				"id": id, "dataSource": "https://nvd.nist.gov/vuln/detail/" + id, "namespace": "alpine:distro:alpine:3.20",
				"severity": sev, "urls": []string{"https://example.invalid/" + id}, "description": "A flaw. More text.",
				"fix": map[string]any{"versions": fixes, "state": state}, "advisories": []any{},
			},
			"relatedVulnerabilities": []any{},
			"matchDetails":           []any{map[string]any{"type": "exact-direct-match", "matcher": "apk-matcher"}},
			"artifact":               map[string]any{"id": "1", "name": pkg, "version": version, "type": "apk", "locations": []any{}, "purl": "pkg:apk/alpine/" + pkg},
		}
	}
	return map[string]any{
		"matches": []any{
			match("CVE-2025-0001", "Critical", "busybox", "1.36.1-r29", "not-fixed", []string{}),
			match("CVE-2025-0002", "Medium", "musl", "1.2.5-r0", "fixed", []string{"1.2.5-r1"}),
		},
		"source": map[string]any{"type": "image", "target": map[string]any{
			"userInput": "ghcr.io/acme/api:2.0", "imageID": "sha256:c0ffee", "manifestDigest": grypeManifest,
			"mediaType": "application/vnd.oci.image.manifest.v1+json", "tags": []string{"ghcr.io/acme/api:2.0"},
			"imageSize": 12345, "layers": []any{}, "repoDigests": []string{"ghcr.io/acme/api@" + grypeIndexDigest},
			"architecture": "amd64", "os": "linux",
		}},
		"distro":     map[string]any{"name": "alpine", "version": "3.20.3", "idLike": []string{}},
		"descriptor": map[string]any{"name": "grype", "version": "0.80.0"},
	}
}

func writeJSON(t *testing.T, dir, name string, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParse(t *testing.T) {
	dir := t.TempDir()
	reports, errs := vuln.ReadFiles([]string{writeJSON(t, dir, "trivy.json", trivyReport()), writeJSON(t, dir, "grype.json", grypeReport())})
	if len(errs) != 0 || len(reports) != 2 {
		t.Fatalf("reports %v, errors %v", reports, errs)
	}
	tr, gr := reports[0], reports[1]
	if tr.Scanner != "trivy" || tr.Image != "nginx:1.25.3" || len(tr.Vulnerabilities) != 4 || tr.Digests[0] != "nginx@"+trivyDigest {
		t.Errorf("trivy report = %+v", tr)
	}
	if v := tr.Vulnerabilities[0]; v.ID != "CVE-2024-6119" || v.Package != "libssl3" || v.Fixed != "3.0.14-1~deb12u2" || v.Severity != "critical" {
		t.Errorf("trivy vulnerability = %+v", v)
	}
	if tr.Vulnerabilities[2].Fixed != "" {
		t.Errorf("a vulnerability without FixedVersion got fix %q", tr.Vulnerabilities[2].Fixed)
	}
	if gr.Scanner != "grype" || gr.Image != "ghcr.io/acme/api:2.0" || len(gr.Digests) != 2 || gr.Digests[1] != grypeManifest {
		t.Errorf("grype report = %+v", gr)
	}
	if v := gr.Vulnerabilities[1]; v.Fixed != "1.2.5-r1" || v.Severity != "medium" || v.Package != "musl" || v.Installed != "1.2.5-r0" {
		t.Errorf("grype vulnerability = %+v", v)
	}
	if gr.Vulnerabilities[0].Fixed != "" {
		t.Errorf("a not-fixed grype match got fix %q", gr.Vulnerabilities[0].Fixed)
	}

	for name, doc := range map[string]string{
		"notjson.json": "{", "other.json": `{"a":1}`, "k8s.json": `{"ClusterName":"x","Resources":[]}`,
		"schema1.json": `{"SchemaVersion":1,"ArtifactName":"x"}`, "dir.json": `{"matches":[],"source":{"type":"directory","target":"/src"}}`,
	} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(doc), 0o644)
		if _, errs := vuln.ReadFiles([]string{p}); len(errs) != 1 || errs[0].File != p {
			t.Errorf("%s: errors %v, want one naming the file", name, errs)
		}
	}
}

// TestMapOntoWorkloads attaches the reports to the workloads that run each image: by tag, by
// normalised name, by digest, and by the digest inspection resolved a tag to.
func TestMapOntoWorkloads(t *testing.T) {
	dir := t.TempDir()
	reports, errs := vuln.ReadFiles([]string{writeJSON(t, dir, "trivy.json", trivyReport()), writeJSON(t, dir, "grype.json", grypeReport())})
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	src, err := os.ReadFile("testdata/workloads.yaml")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "workloads.yaml")
	os.WriteFile(file, []byte(strings.ReplaceAll(string(src), "GRYPE_DIGEST", grypeManifest)), 0o644)
	objs, lerrs := load.Files([]string{file}, load.Options{})
	inv := inventory.Build(objs)
	inv.SetImageData(&inventory.ImageData{
		Vulnerabilities: reports,
		Facts:           map[string]*inventory.ImageFacts{"nginx:stable": {Reference: "nginx:stable", Digest: trivyDigest}},
	})
	res := scan.Run(inv, scan.Options{Checks: []*check.Check{images.Vulnerable, images.VulnerableExposed}, Now: checktest.Now, Errors: lerrs})
	checktest.Compare(t, file, res)
	for _, f := range res.Findings {
		if f.Check == images.Vulnerable.ID && f.Object.Name == "web" && f.Severity.String() == "critical" &&
			!strings.Contains(f.Message, "CVE-2024-6119 in libssl3 3.0.11-1~deb12u2 (fixed in 3.0.14-1~deb12u2)") {
			t.Errorf("critical finding does not name the CVE and its fix: %s", f.Message)
		}
		if f.Check == images.VulnerableExposed.ID && f.Object.Name == "web" && !strings.Contains(f.Message, "Ingress web") {
			t.Errorf("exposed finding does not name the Ingress: %s", f.Message)
		}
	}
}

// TestScanRunsTrivy runs a stand-in trivy executable, checking the arguments kubeharden passes
// and that it reads the report trivy prints; an image trivy fails on is an error.
func TestScanRunsTrivy(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("shell script stand-in")
	}
	dir := t.TempDir()
	report := writeJSON(t, dir, "report.json", trivyReport())
	script := "#!/bin/sh\n" +
		"[ \"$1 $2 $3 $4\" = \"image --format json --quiet\" ] || { echo \"bad args: $*\" >&2; exit 2; }\n" +
		"case \"$5\" in nginx:1.25.3) cat " + report + ";; *) echo 'FATAL unable to find the image' >&2; exit 1;; esac\n"
	bin := filepath.Join(dir, "trivy")
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	reports, errs := vuln.Scan(context.Background(), []string{"nginx:1.25.3", "nginx:nope"}, vuln.ScanOptions{Trivy: bin})
	if len(reports) != 1 || reports[0].Image != "nginx:1.25.3" || len(reports[0].Vulnerabilities) != 4 {
		t.Errorf("reports = %+v", reports)
	}
	if len(errs) != 1 || errs[0].Resource != "image nginx:nope" || !strings.Contains(errs[0].Message, "unable to find the image") {
		t.Errorf("errors = %v", errs)
	}
}
