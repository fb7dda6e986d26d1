package secrets_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/internal/cli"
)

// The scan command brings the API server's EncryptionConfiguration to these checks: the file
// given with --encryption-config, or the file the kube-apiserver static pod's flag names.

const identityFirst = `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - identity: {}
      - aescbc:
          keys:
            - name: key1
              secret: dGhpcy1rZXktbXVzdC1uZXZlci1iZS1wcmludGVkISE=
`

func scanJSON(t *testing.T, args ...string) (findings []check.Finding, code int, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = cli.Main(append([]string{"scan", "-o", "json", "--check", "secrets/*"}, args...), nil, &out, &errb)
	if strings.Contains(out.String(), "dGhpcy1rZXkt") || strings.Contains(out.String(), "this-key-must") {
		t.Errorf("the key is in the output")
	}
	var res struct {
		Findings []check.Finding `json:"findings"`
	}
	if code != 2 {
		if err := json.Unmarshal(out.Bytes(), &res); err != nil {
			t.Fatalf("exit %d, output %q: %v; stderr %s", code, out.String(), err, errb.String())
		}
	}
	return res.Findings, code, errb.String()
}

func TestScanEncryptionConfigFlag(t *testing.T) {
	dir := t.TempDir()
	enc := filepath.Join(dir, "enc.yaml")
	if err := os.WriteFile(enc, []byte(identityFirst), 0o600); err != nil {
		t.Fatal(err)
	}
	manifests := filepath.Join(dir, "app.yaml")
	if err := os.WriteFile(manifests, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: shop}\ndata: {a: b}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	fs, code, stderr := scanJSON(t, manifests, "--encryption-config", enc)
	if code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	found := false
	for _, f := range fs {
		if f.Check == "secrets/encryption-identity-first" && f.File == enc && f.Line == 6 {
			found = true
		}
	}
	if !found {
		t.Errorf("no identity-first finding at %s:6: %+v", enc, fs)
	}

	other := filepath.Join(dir, "other.yaml")
	if err := os.WriteFile(other, []byte("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: z}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, code, stderr := scanJSON(t, manifests, "--encryption-config", other); code != 2 || !strings.Contains(stderr, "holds no EncryptionConfiguration") {
		t.Errorf("a file without a configuration: exit %d, %s", code, stderr)
	}
}

// A scan of a control-plane node's manifests reads the configuration its kube-apiserver
// names, through the static pod's hostPath mount.
func TestScanFindsTheAPIServersConfig(t *testing.T) {
	dir := t.TempDir()
	node := filepath.Join(dir, "node-enc")
	if err := os.MkdirAll(node, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(node, "config.yaml"), []byte(identityFirst), 0o600); err != nil {
		t.Fatal(err)
	}
	pod := `apiVersion: v1
kind: Pod
metadata: {name: kube-apiserver, namespace: kube-system, labels: {tier: control-plane}}
spec:
  containers:
    - name: kube-apiserver
      image: registry.k8s.io/kube-apiserver:v1.37.2
      command: [kube-apiserver, --encryption-provider-config=/etc/kubernetes/enc/config.yaml]
      volumeMounts: [{name: enc, mountPath: /etc/kubernetes/enc, readOnly: true}]
  volumes:
    - {name: enc, hostPath: {path: ` + node + `, type: DirectoryOrCreate}}
`
	manifests := filepath.Join(dir, "manifests")
	if err := os.MkdirAll(manifests, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(manifests, "kube-apiserver.yaml"), []byte(pod), 0o600); err != nil {
		t.Fatal(err)
	}
	fs, _, stderr := scanJSON(t, manifests)
	found := false
	for _, f := range fs {
		found = found || (f.Check == "secrets/encryption-identity-first" && f.File == filepath.Join(node, "config.yaml"))
		if f.Check == "secrets/encryption-not-configured" {
			t.Errorf("the flag is set: %s", f.Message)
		}
	}
	if !found {
		t.Errorf("the configuration the flag names was not judged: %+v %s", fs, stderr)
	}
}
