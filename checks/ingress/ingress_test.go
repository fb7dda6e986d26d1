package ingress_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/kubeharden/kubeharden/certs/certstest"
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/check/checktest"
	"github.com/kubeharden/kubeharden/checks/ingress"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
)

func TestFixtures(t *testing.T) {
	checktest.Run(t, "testdata", ingress.Checks()...)
}

// TestCertFixtures renders testdata/certs/*.yaml.tmpl with certificates generated now,
// dated relative to checktest.Now, and checks them like any fixture.
func TestCertFixtures(t *testing.T) {
	dir := renderCertFixtures(t)
	checktest.Run(t, dir, ingress.Checks()...)
}

// TestNoSecretInMessages checks that no finding quotes a private key or a certificate's
// encoding, whatever is wrong with the Secret.
func TestNoSecretInMessages(t *testing.T) {
	dir := renderCertFixtures(t)
	objs, errs := load.Files([]string{dir}, load.Options{})
	res := scan.Run(inventory.Build(objs), scan.Options{Checks: ingress.Checks(), Now: checktest.Now, Errors: errs})
	if len(res.Findings) < 15 {
		t.Fatalf("only %d findings: the fixtures did not load", len(res.Findings))
	}
	b, _ := json.Marshal(res)
	for _, bad := range []string{"PRIVATE KEY", "BEGIN CERTIFICATE", "LS0tLS1CRUdJTi"} {
		if bytes.Contains(b, []byte(bad)) {
			t.Errorf("the scan result contains %q", bad)
		}
	}
	for _, p := range testCerts(t) {
		if block, _ := pem.Decode(p.KeyPEM); block != nil && bytes.Contains(b, []byte(base64.StdEncoding.EncodeToString(block.Bytes)[:24])) {
			t.Error("the scan result contains key material")
		}
	}
}

// TestMeshSeverity checks that ingress.meshSeverity sets the severity of the mesh findings.
func TestMeshSeverity(t *testing.T) {
	objs, errs := load.Files([]string{"testdata/mesh.yaml"}, load.Options{})
	inv := inventory.Build(objs)
	for _, c := range []struct {
		set  string
		want check.Severity
	}{{"", check.Info}, {"high", check.High}, {"Medium", check.Medium}} {
		cfg := &config.Config{Ingress: config.Ingress{MeshSeverity: c.set}}
		res := scan.Run(inv, scan.Options{Config: cfg, Checks: []*check.Check{ingress.PodTrafficUnencrypted, ingress.MTLSNotStrict}, Now: checktest.Now, Errors: errs})
		if len(res.Findings) == 0 {
			t.Fatal("no mesh findings")
		}
		for _, f := range res.Findings {
			if f.Severity != c.want {
				t.Errorf("meshSeverity %q: %s has severity %v, want %v", c.set, f.Check, f.Severity, c.want)
			}
		}
	}
}

var (
	certsOnce map[string]*certstest.Pair
	certsErr  error
)

// testCerts generates the fixtures' certificates once per test binary.
func testCerts(t *testing.T) map[string]*certstest.Pair {
	t.Helper()
	if certsOnce == nil && certsErr == nil {
		certsOnce, certsErr = generate(checktest.Now)
	}
	if certsErr != nil {
		t.Fatal(certsErr)
	}
	return certsOnce
}

// chains are the names whose tls.crt carries more than the leaf.
var chains = map[string][]string{"valid": {"ca"}, "chain-expired": {"intermediate-expired"}}

func generate(now time.Time) (map[string]*certstest.Pair, error) {
	day := 24 * time.Hour
	out := map[string]*certstest.Pair{}
	mk := func(name string, spec certstest.Spec, issuer string) error {
		if spec.NotBefore.IsZero() {
			spec.NotBefore = now.Add(-30 * day)
		}
		if spec.NotAfter.IsZero() {
			spec.NotAfter = now.Add(300 * day)
		}
		if spec.CommonName == "" && len(spec.DNSNames) > 0 {
			spec.CommonName = spec.DNSNames[0]
		}
		p, err := certstest.New(spec, out[issuer])
		out[name] = p
		return err
	}
	for _, c := range []struct {
		name   string
		spec   certstest.Spec
		issuer string
	}{
		{"ca", certstest.Spec{CommonName: "kubeharden test CA", CA: true, NotBefore: now.Add(-365 * day), NotAfter: now.Add(3650 * day)}, ""},
		{"intermediate-expired", certstest.Spec{CommonName: "expired intermediate", CA: true, NotBefore: now.Add(-400 * day), NotAfter: now.Add(-1 * day)}, "ca"},
		{"valid", certstest.Spec{DNSNames: []string{"shop.example.com", "www.shop.example.com"}}, "ca"},
		{"wildcard", certstest.Spec{DNSNames: []string{"*.example.com"}}, "ca"},
		{"expired", certstest.Spec{DNSNames: []string{"expired.example.com"}, NotBefore: now.Add(-100 * day), NotAfter: now.Add(-10 * day)}, "ca"},
		{"expiring", certstest.Spec{DNSNames: []string{"expiring.example.com"}, NotAfter: now.Add(10 * day)}, "ca"},
		{"expiring45", certstest.Spec{DNSNames: []string{"expiring45.example.com"}, NotAfter: now.Add(45 * day)}, "ca"},
		{"notyet", certstest.Spec{DNSNames: []string{"notyet.example.com"}, NotBefore: now.Add(5 * day), NotAfter: now.Add(400 * day)}, "ca"},
		{"chain-expired", certstest.Spec{DNSNames: []string{"chain.example.com"}}, "intermediate-expired"},
		{"wrongsan", certstest.Spec{DNSNames: []string{"other.example.org"}}, "ca"},
		{"nosan", certstest.Spec{CommonName: "nosan.example.com"}, "ca"},
		{"mismatch", certstest.Spec{DNSNames: []string{"mismatch.example.com"}}, "ca"},
		{"other", certstest.Spec{DNSNames: []string{"other.example.com"}}, "ca"},
		{"weak", certstest.Spec{DNSNames: []string{"weak.example.com"}, Key: certstest.RSA1024}, "ca"},
		{"sha1", certstest.Spec{DNSNames: []string{"sha1.example.com"}, SHA1: true}, "ca"},
		{"selfsigned", certstest.Spec{DNSNames: []string{"self.example.com"}}, ""},
		{"selfsigned-internal", certstest.Spec{DNSNames: []string{"app.internal"}}, ""},
	} {
		if err := mk(c.name, c.spec, c.issuer); err != nil {
			return nil, err
		}
	}
	// An encrypted PEM key (legacy RFC 1421 headers), which controllers cannot use.
	block, _ := pem.Decode(out["valid"].KeyPEM)
	out["encrypted"] = &certstest.Pair{KeyPEM: pem.EncodeToMemory(&pem.Block{
		Type: "PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,0011"}, Bytes: block.Bytes})}
	return out, nil
}

func renderCertFixtures(t *testing.T) string {
	t.Helper()
	pairs := testCerts(t)
	chain := func(name string) []byte {
		p := pairs[name]
		if p == nil {
			t.Fatalf("template names unknown certificate %q", name)
		}
		var extra []*certstest.Pair
		for _, c := range chains[name] {
			extra = append(extra, pairs[c])
		}
		return p.Chain(extra...)
	}
	key := func(name string) []byte {
		p := pairs[name]
		if p == nil {
			t.Fatalf("template names unknown key %q", name)
		}
		return p.KeyPEM
	}
	quote := func(b []byte) string {
		q, _ := json.Marshal(string(b))
		return string(q)
	}
	b64 := base64.StdEncoding.EncodeToString
	funcs := template.FuncMap{
		"crt":  func(n string) string { return b64(chain(n)) },
		"key":  func(n string) string { return b64(key(n)) },
		"crtq": func(n string) string { return quote(chain(n)) },
		"keyq": func(n string) string { return quote(key(n)) },
		"b64":  func(s string) string { return b64([]byte(s)) },
	}
	dir := t.TempDir()
	tmpls, err := filepath.Glob("testdata/certs/*")
	if err != nil || len(tmpls) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	for _, f := range tmpls {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(f)
		if !strings.HasSuffix(name, ".tmpl") {
			// Fixture configs are copied as they are.
			if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		tpl, err := template.New(name).Funcs(funcs).Option("missingkey=error").Parse(string(src))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := tpl.Execute(&out, nil); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, strings.TrimSuffix(name, ".tmpl")), out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestConfigValidation(t *testing.T) {
	dir := t.TempDir()
	for body, ok := range map[string]bool{
		"ingress: {meshSeverity: loud}\n":                                               false,
		"ingress: {certExpiryDays: -1}\n":                                               false,
		"ingress: {meshSeverity: \"off\"}\n":                                            true,
		"ingress: {meshSeverity: HIGH, certExpiryDays: 14, istioRootNamespace: mesh}\n": true,
	} {
		f := filepath.Join(dir, "c.yaml")
		if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := config.Load(f)
		if (err == nil) != ok {
			t.Errorf("%q: err = %v", body, err)
		}
	}
}
