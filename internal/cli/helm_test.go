package cli

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// appChart is a packaged chart whose image tag must be a string: any other value falls back
// to "latest", which images/latest-tag reports at line 14 of the rendered template (the image).
var appChart = map[string]string{
	"app/Chart.yaml":  "apiVersion: v2\nname: app\nversion: 1.2.3\n",
	"app/values.yaml": "tag: \"1.0\"\n",
	"app/templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-app
spec:
  selector:
    matchLabels: {app: app}
  template:
    metadata:
      labels: {app: app}
    spec:
      containers:
        - name: app
          image: nginx:{{ if kindIs "string" .Values.tag }}{{ .Values.tag }}{{ else }}latest{{ end }}
`,
}

func writeTgz(t *testing.T, path string, files map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, data := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestScanChartArchive: scan CHART.tgz renders the packaged chart with the --set flags;
// --set-string keeps 2024 a string where --set makes it a number, and findings point into
// the archive.
func TestScanChartArchive(t *testing.T) {
	tgz := filepath.Join(t.TempDir(), "app-1.2.3.tgz")
	writeTgz(t, tgz, appChart)
	type finding struct {
		Check, File string
		Line        int
		Rendered    bool
	}
	run := func(args ...string) (int, []finding, string) {
		code, out, errOut := runCLI(t, "", append([]string{"scan", "-o", "json", "--check", "images/latest-tag", tgz}, args...)...)
		var res struct {
			Findings []finding
			Errors   []json.RawMessage
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("%v\n%s%s", err, out, errOut)
		}
		if len(res.Errors) > 0 {
			t.Errorf("errors %s", res.Errors)
		}
		return code, res.Findings, out + errOut
	}
	if code, fs, out := run("--set-string", "tag=2024"); code != 0 || len(fs) != 0 {
		t.Errorf("--set-string tag=2024: exit %d, findings %v, want 0 and none\n%s", code, fs, out)
	}
	code, fs, out := run("--set", "tag=2024")
	want := finding{Check: "images/latest-tag", File: tgz + "/app/templates/deployment.yaml", Line: 14, Rendered: true}
	if code != 1 || len(fs) != 1 || fs[0] != want {
		t.Errorf("--set tag=2024: exit %d, findings %+v, want 1 and %+v\n%s", code, fs, want, out)
	}
}

// TestScanSetFileMissing: a --set-file whose file is missing is an input error (exit 2)
// naming the flag and the file.
func TestScanSetFileMissing(t *testing.T) {
	dir := t.TempDir()
	tgz := filepath.Join(dir, "app-1.2.3.tgz")
	writeTgz(t, tgz, appChart)
	missing := filepath.Join(dir, "tag.txt")
	code, out, errOut := runCLI(t, "", "scan", "-o", "json", "--check", "images/latest-tag", tgz, "--set-file", "tag="+missing)
	if code != 2 || !bytes.Contains([]byte(out), []byte(`"--set-file tag: cannot read: no such file or directory"`)) || !bytes.Contains([]byte(out), []byte(missing)) {
		t.Errorf("exit %d, want 2 with an error naming --set-file and %s\n%s%s", code, missing, out, errOut)
	}
}
