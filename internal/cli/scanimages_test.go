package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

type scanJSON struct {
	Findings []struct {
		Check   string `json:"check"`
		File    string `json:"file"`
		Line    int    `json:"line"`
		Message string `json:"message"`
		Object  struct {
			Kind string `json:"kind"`
			Name string `json:"name"`
		} `json:"object"`
	} `json:"findings"`
	Errors []struct {
		File, Resource, Message string
		Line                    int
	} `json:"errors"`
}

func runScan(t *testing.T, args ...string) (scanJSON, int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(append([]string{"scan", "-o", "json"}, args...), nil, &out, &errb)
	var res scanJSON
	if out.Len() > 0 {
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatalf("%v\n%s", err, out.String())
		}
	}
	return res, code, out.String() + errb.String()
}

func (s scanJSON) has(check, name string) bool {
	for _, f := range s.Findings {
		if f.Check == check && strings.Contains(f.Object.Name, name) {
			return true
		}
	}
	return false
}

// TestScanImagesAndVersions scans a directory with a manifest and a Dockerfile, a Trivy report
// and a declared Kubernetes version, as a user would.
func TestScanImagesAndVersions(t *testing.T) {
	dir := t.TempDir()
	reports := t.TempDir() // outside the scanned directory: a .json file there is read as a manifest
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if strings.HasSuffix(name, ".json") {
			p = filepath.Join(reports, name)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("app.yaml", `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - {name: web, image: "nginx:1.25.3"}
---
apiVersion: autoscaling/v2beta2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec: {scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}, maxReplicas: 3}
`)
	write("Dockerfile", "FROM golang:1.23\nENV API_TOKEN=value-that-must-not-leak\nRUN go build -o /app .\n")
	report := write("trivy.json", `{"SchemaVersion": 2, "ArtifactName": "nginx:1.25.3", "ArtifactType": "container_image",
 "Metadata": {"RepoTags": ["nginx:1.25.3"]},
 "Results": [{"Target": "nginx:1.25.3 (debian 12.4)", "Vulnerabilities": [
  {"VulnerabilityID": "CVE-2024-6119", "PkgName": "libssl3", "InstalledVersion": "3.0.11", "FixedVersion": "3.0.14", "Severity": "CRITICAL"}]}]}`)

	res, code, out := runScan(t, "--vuln-report", report, "--kubernetes-version", "1.31.2", "--target-version", "1.26", dir)
	if code != 1 {
		t.Fatalf("exit %d: %s", code, out)
	}
	for _, w := range []struct{ check, name string }{
		{"images/dockerfile-secret", "Dockerfile"}, {"images/dockerfile-not-multistage", "Dockerfile"},
		{"images/vulnerable", "web"}, {"versions/control-plane-unsupported", "cluster"}, {"versions/removed-api", "web"},
	} {
		if !res.has(w.check, w.name) {
			t.Errorf("no %s finding on %s", w.check, w.name)
		}
	}
	if strings.Contains(out, "value-that-must-not-leak") {
		t.Error("a Dockerfile secret value is in the output")
	}

	for _, bad := range [][]string{{"--kubernetes-version", "bogus"}, {"--target-version", "1.x"}, {"--release-data", filepath.Join(dir, "none.yaml")}} {
		if _, code, out := runScan(t, append(bad, dir)...); code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", bad, code, out)
		}
	}
	res, code, _ = runScan(t, "--vuln-report", filepath.Join(reports, "none.json"), dir)
	if code != 2 || len(res.Errors) != 1 || !strings.HasSuffix(res.Errors[0].File, "none.json") {
		t.Errorf("a missing report: exit %d, errors %+v", code, res.Errors)
	}
}

// TestScanInspectImages runs --inspect-images against a registry served in-process.
func TestScanInspectImages(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	t.Setenv("HOME", t.TempDir()) // no Docker credentials of the machine
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	img, err := random.Image(1024, 1) // no USER: runs as root
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := name.ParseReference(host + "/shop/web:1.0")
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "app.yaml"), []byte(`apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
    - {name: web, image: "`+host+`/shop/web:1.0"}
    - {name: gone, image: "`+host+`/shop/gone:1.0"}
`), 0o644)
	res, code, out := runScan(t, "--inspect-images", "--check", "images/image-*", dir)
	if !res.has("images/image-runs-as-root", "web") {
		t.Errorf("no images/image-runs-as-root finding: %s", out)
	}
	if code != 2 || len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Resource, "shop/gone") {
		t.Errorf("the missing image: exit %d, errors %+v", code, res.Errors)
	}
	if res, _, _ := runScan(t, "--check", "images/image-*", dir); len(res.Findings) != 0 {
		t.Errorf("without --inspect-images: %d findings, want none", len(res.Findings))
	}
}
