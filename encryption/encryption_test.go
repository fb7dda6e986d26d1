package encryption

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/internal/apiserverflags"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

func key(b byte, n int) string {
	raw := make([]byte, n)
	for i := range raw {
		raw[i] = b + byte(i*37)
	}
	return base64.StdEncoding.EncodeToString(raw)
}

func TestDecodeReducesKeys(t *testing.T) {
	k1, k2 := key(0x80, 32), key(0x81, 16)
	text := base64.StdEncoding.EncodeToString([]byte("secret is secure"))
	data := `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - aesgcm:
          keys:
            - {name: a, secret: "` + k1 + `"}
            - {name: b, secret: "` + k2 + `"}
      - aescbc:
          keys:
            - {name: a, secret: "` + k1 + `"}
            - {name: t, secret: "` + text + `"}
      - kms:
          name: vault
          endpoint: unix:///run/kms.sock
      - identity: {}
`
	c := Decode([]byte(data))
	if len(c.Problems) != 0 {
		t.Fatalf("problems: %v", c.Problems)
	}
	ps := c.Rules[0].Providers
	if ps[0].Type != AESGCM || ps[1].Type != AESCBC || ps[2].Type != KMS || ps[3].Type != Identity {
		t.Fatalf("types = %+v", ps)
	}
	if ps[2].APIVersion != "v1" || ps[2].Name != "vault" {
		t.Errorf("KMS apiVersion must default to v1 as the API server does: %+v", ps[2])
	}
	a, b, a2, tk := ps[0].Keys[0], ps[0].Keys[1], ps[1].Keys[0], ps[1].Keys[1]
	if a.Size != 32 || b.Size != 16 || tk.Size != 16 {
		t.Errorf("sizes = %d %d %d", a.Size, b.Size, tk.Size)
	}
	if a.Material != a2.Material || a.Material == b.Material || a.Material == tk.Material || a.Material == 0 {
		t.Errorf("materials = %d %d %d %d", a.Material, b.Material, a2.Material, tk.Material)
	}
	if a.Text || !tk.Text {
		t.Errorf("text: random key %v, passphrase %v", a.Text, tk.Text)
	}
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{k1, k2, text, "secret is secure"} {
		if strings.Contains(string(out), s) {
			t.Errorf("the reduced configuration holds key material: %s", out)
		}
	}
}

func TestProblemPaths(t *testing.T) {
	c := Decode([]byte(`apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: ["*.*"]
    providers: [{identity: {}}]
  - resources: [secrets]
    providers:
      - aescbc:
          keys: [{name: k, secret: "` + key(1, 20) + `"}]
`))
	want := map[string]bool{
		"resources[1].resources[0]":                       false, // masked by *.*
		"resources[1].providers[0].aescbc.keys[0].secret": false, // 20 bytes
	}
	for _, p := range c.Problems {
		if _, ok := want[p.Path]; !ok {
			t.Errorf("unexpected problem %s", p)
		}
		want[p.Path] = true
	}
	for p, seen := range want {
		if !seen {
			t.Errorf("no problem at %s (got %v)", p, c.Problems)
		}
	}
}

// Nothing Decode says about a file it cannot read quotes a key.
func TestDecodeErrorsNeverQuoteKeys(t *testing.T) {
	k := key(7, 32)
	for _, data := range []string{
		"apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - aescbc:\n          keys:\n            - name: k\n              secret: " + k + "\n              extra: " + k + "\n",
		"apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - aescbc:\n          keys:\n            - name: k\n              secret: [" + k + "]\n",
		"apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources: " + k + "\n",
		"apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n" + k + ": {\n",
		"{\"apiVersion\": \"apiserver.config.k8s.io/v1\", \"kind\": \"EncryptionConfiguration\", \"resources\": [" + k + "]}",
	} {
		c := Decode([]byte(data))
		if len(c.Problems) == 0 {
			t.Errorf("no problem for %q", data)
		}
		out, _ := json.Marshal(c)
		if strings.Contains(string(out), k) || strings.Contains(string(out), k[:16]) {
			t.Errorf("problem quotes the key: %s", out)
		}
	}
}

func TestParseResourceAndProviders(t *testing.T) {
	for in, want := range map[string]GroupResource{
		"secrets": {"", "secrets"}, "*.": {"", "*"}, "*.*": {"*", "*"}, "deployments.apps": {"apps", "deployments"},
		"*.apps": {"apps", "*"}, "widgets.example.com": {"example.com", "widgets"},
	} {
		if got := ParseResource(in); got != want {
			t.Errorf("ParseResource(%q) = %v, want %v", in, got, want)
		}
		if got := want.String(); got != in {
			t.Errorf("%v.String() = %q, want %q", want, got, in)
		}
	}
	c := &Config{Rules: []Rule{
		{Resources: []string{"secrets"}, Providers: []Provider{{Type: AESGCM}}},
		{Resources: []string{"configmaps", "secrets"}, Providers: []Provider{{Type: AESCBC}, {Type: Identity}}},
		{Resources: []string{"*.apps"}, Providers: []Provider{{Type: Secretbox}}},
		{Resources: []string{"*.*"}, Providers: []Provider{{Type: Identity}}},
	}}
	got := c.Providers(Secrets)
	if len(got) != 3 || got[0] != (ProviderRef{0, 0}) || got[1] != (ProviderRef{1, 0}) || got[2] != (ProviderRef{1, 1}) {
		t.Errorf("secrets: %v (exact rules are joined in file order)", got)
	}
	if w, _ := c.Writer(GroupResource{"apps", "deployments"}); w != (ProviderRef{2, 0}) {
		t.Errorf("deployments.apps: %v", w)
	}
	if w, _ := c.Writer(GroupResource{"batch", "jobs"}); w != (ProviderRef{3, 0}) {
		t.Errorf("jobs.batch: %v", w)
	}
	if ws := c.Writes(1); len(ws) != 1 || ws[0] != "configmaps" {
		t.Errorf("Writes(1) = %v: secrets are written by rule 0", ws)
	}
	if !c.WritesSecrets(0) || c.WritesSecrets(1) {
		t.Error("WritesSecrets")
	}
	none := &Config{Rules: []Rule{{Resources: []string{"configmaps"}, Providers: []Provider{{Type: AESCBC}}}}}
	if _, ok := none.Writer(Secrets); ok {
		t.Error("secrets are not covered")
	}
}

func TestParseStoredReadsOnlyThePrefix(t *testing.T) {
	for in, want := range map[string]Stored{
		"k8s:enc:aescbc:v1:key1:\x01\x02payload": {true, "aescbc", "v1", "key1"},
		"k8s:enc:kms:v2:vault:\x0a\x0b":          {true, "kms", "v2", "vault"},
		"k8s\x00\x0a\x02v1\x12\x06Secret":        {},
		`{"kind":"Widget"}`:                      {},
		"k8s:enc:aesgcm":                         {true, "aesgcm", "", ""},
	} {
		if got := ParseStored([]byte(in)); got != want {
			t.Errorf("ParseStored(%q) = %+v, want %+v", in, got, want)
		}
	}
	// A name longer than MaxPrefix is not read past it.
	long := "k8s:enc:aescbc:v1:" + strings.Repeat("n", 2*MaxPrefix) + ":payload"
	if s := ParseStored([]byte(long)); s.Key != "" || !s.Encrypted {
		t.Errorf("read past MaxPrefix: %+v", s)
	}
	p := Provider{Type: KMS, Name: "vault"}
	if p.Prefix("") != "k8s:enc:kms:v1:vault:" {
		t.Error(p.Prefix(""))
	}
	if (&Provider{Type: Identity}).WritePrefix() != "" {
		t.Error("identity writes no prefix")
	}
}

func TestMatchPlaintextNeedsIdentity(t *testing.T) {
	c := &Config{Rules: []Rule{{Resources: []string{"secrets"}, Providers: []Provider{{Type: AESCBC, Keys: []Key{{Name: "k"}}}}}}}
	if _, _, _, ok := c.Match(Secrets, []byte("k8s\x00plain")); ok {
		t.Error("without identity the API server cannot read plaintext")
	}
	if _, _, _, ok := c.Match(Secrets, []byte("k8s:enc:aescbc:v1:old:x")); ok {
		t.Error("a key the configuration no longer has cannot be read")
	}
	if s, _, k, ok := c.Match(Secrets, []byte("k8s:enc:aescbc:v1:k:x")); !ok || k != 0 || s.Key != "k" {
		t.Error("current key not matched")
	}
}

func TestAPIServerFlagsAndHostPath(t *testing.T) {
	spec := &corev1.PodSpec{
		Containers: []corev1.Container{{Name: "sidecar", Command: []string{"sleep"}}, {
			Name:    "kube-apiserver",
			Command: []string{"/usr/local/bin/kube-apiserver", "--encryption-provider-config=/etc/kubernetes/enc/enc.yaml"},
			Args:    []string{"--feature-gates", "KMSv1=true,Other=false", "--v=2", "--anonymous-auth=false", "--anonymous-auth=true"},
			VolumeMounts: []corev1.VolumeMount{
				{Name: "etc", MountPath: "/etc/kubernetes"},
				{Name: "enc", MountPath: "/etc/kubernetes/enc"},
			},
		}},
		Volumes: []corev1.Volume{
			{Name: "etc", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/etc/kubernetes"}}},
			{Name: "enc", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/srv/secrets/enc"}}},
		},
	}
	i := apiserverflags.Container(spec)
	if i != 1 {
		t.Fatalf("container %d", i)
	}
	f := apiserverflags.Of(&spec.Containers[i])
	if f[Flag] != "/etc/kubernetes/enc/enc.yaml" || f["v"] != "2" || f["anonymous-auth"] != "true" {
		t.Errorf("flags = %v", f)
	}
	if !apiserverflags.FeatureEnabled(f["feature-gates"], "KMSv1") || apiserverflags.FeatureEnabled(f["feature-gates"], "Other") {
		t.Error("feature gates")
	}
	if got := HostPath(spec, i, f[Flag]); got != "/srv/secrets/enc/enc.yaml" {
		t.Errorf("HostPath = %s", got)
	}
	if got := HostPath(spec, i, "/var/run/x"); got != "/var/run/x" {
		t.Errorf("unmounted HostPath = %s", got)
	}
}

// The examples in this package's testdata parse; their keys never reach the reduced form.
func TestFixturesNeverLeakKeys(t *testing.T) {
	files, _ := filepath.Glob("testdata/upstream/*.yaml")
	secret := regexp.MustCompile(`secret"?:\s*"?([A-Za-z0-9+/=!-]{8,})`)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out, _ := json.Marshal(Decode(data))
		for _, m := range secret.FindAllStringSubmatch(string(data), -1) {
			if strings.Contains(string(out), m[1]) {
				t.Errorf("%s: key material in %s", f, out)
			}
		}
	}
}

// Redact keeps everything Decode says and none of the keys.
func TestRedactKeepsTheAnalysis(t *testing.T) {
	files, _ := filepath.Glob("testdata/upstream/*.yaml")
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var content map[string]any
		if err := yaml.Unmarshal(data, &content); err != nil || content == nil {
			continue
		}
		want := Decode(data)
		Redact(content)
		got := DecodeObject(content)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: redacted %+v, original %+v", f, got, want)
		}
		out, _ := json.Marshal(content)
		for _, s := range keySecretsOf(data) {
			if strings.Contains(string(out), s) {
				t.Errorf("%s: a key survived", f)
			}
		}
	}
}

func keySecretsOf(data []byte) []string {
	var out []string
	for _, s := range secretStrings(data) {
		if len(s) >= 16 {
			out = append(out, s)
		}
	}
	return out
}
