package certs_test

import (
	"bytes"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeharden/kubeharden/certs"
	"github.com/kubeharden/kubeharden/certs/certstest"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func mk(t *testing.T, spec certstest.Spec, issuer *certstest.Pair) *certstest.Pair {
	t.Helper()
	if spec.NotBefore.IsZero() {
		spec.NotBefore = now.AddDate(0, 0, -1)
	}
	if spec.NotAfter.IsZero() {
		spec.NotAfter = now.AddDate(1, 0, 0)
	}
	p, err := certstest.New(spec, issuer)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestMatchHost(t *testing.T) {
	for _, c := range []struct {
		pattern, host string
		want          bool
	}{
		{"shop.example.com", "shop.example.com", true},
		{"Shop.Example.com.", "shop.example.COM", true},
		{"*.example.com", "a.example.com", true},
		{"*.example.com", "example.com", false},     // a wildcard needs one label
		{"*.example.com", "a.b.example.com", false}, // and covers only one
		{"*.example.com", "*.example.com", true},    // the same wildcard
		{"*.example.com", "*.a.example.com", false},
		{"a.example.com", "*.example.com", false}, // one name does not cover all
		{"*.example.com", ".example.com", false},
		{"*", "example", false},
		{"", "", false},
		{"*.com", "example.com", true},
	} {
		if got := certs.MatchHost(c.pattern, c.host); got != c.want {
			t.Errorf("MatchHost(%q, %q) = %v, want %v", c.pattern, c.host, got, c.want)
		}
	}
}

func TestCoversUsesSANsNotCN(t *testing.T) {
	wild := mk(t, certstest.Spec{CommonName: "example.com", DNSNames: []string{"*.example.com"}}, nil)
	c, err := certs.Parse(wild.CertPEM, wild.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]bool{"a.example.com": true, "example.com": false, "a.b.example.com": false, "*.example.com": true} {
		if got := c.Covers(host); got != want {
			t.Errorf("Covers(%q) = %v, want %v", host, got, want)
		}
	}
	if c.Key != certs.KeyMatch {
		t.Errorf("key status = %v, want match", c.Key)
	}
	if !c.SelfSigned() {
		t.Error("self-signed certificate not recognised")
	}
}

func TestKeyAndStrength(t *testing.T) {
	ca := mk(t, certstest.Spec{CommonName: "test CA", CA: true}, nil)
	leaf := mk(t, certstest.Spec{CommonName: "a", DNSNames: []string{"a.example.com"}}, ca)
	other := mk(t, certstest.Spec{CommonName: "b"}, ca)
	weak := mk(t, certstest.Spec{CommonName: "w", Key: certstest.RSA1024}, ca)
	p224 := mk(t, certstest.Spec{CommonName: "p", Key: certstest.P224}, ca)
	sha1 := mk(t, certstest.Spec{CommonName: "s", SHA1: true}, ca)

	c, err := certs.Parse(leaf.Chain(ca), other.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if c.Key != certs.KeyMismatch || len(c.Chain) != 1 || c.SelfSigned() {
		t.Errorf("key %v, chain %d, self-signed %v", c.Key, len(c.Chain), c.SelfSigned())
	}
	if certs.WeakKey(leaf.Cert) != "" || certs.WeakSignature(leaf.Cert) != "" {
		t.Error("a P-256 SHA-256 certificate reported weak")
	}
	if w := certs.WeakKey(weak.Cert); !strings.Contains(w, "RSA 1024-bit") {
		t.Errorf("WeakKey(rsa1024) = %q", w)
	}
	if w := certs.WeakKey(p224.Cert); !strings.Contains(w, "P-224") {
		t.Errorf("WeakKey(p224) = %q", w)
	}
	if w := certs.WeakSignature(sha1.Cert); w != "ECDSA-SHA1" {
		t.Errorf("WeakSignature = %q", w)
	}
	if d := certs.KeyDescription(weak.Cert); d != "RSA 1024" {
		t.Errorf("KeyDescription = %q", d)
	}
	selfSHA1 := mk(t, certstest.Spec{CommonName: "s1", SHA1: true}, nil)
	if c, _ := certs.Parse(selfSHA1.CertPEM, nil); !c.SelfSigned() {
		t.Error("a self-signed SHA-1 certificate (which Go refuses to verify) is still self-signed")
	}
}

// TestNoKeyMaterialInOutput checks that nothing the package returns for humans quotes the
// key, whatever is wrong with it.
func TestNoKeyMaterialInOutput(t *testing.T) {
	p := mk(t, certstest.Spec{CommonName: "a", DNSNames: []string{"a.example.com"}}, nil)
	block, _ := pem.Decode(p.KeyPEM)
	encrypted := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00"}, Bytes: block.Bytes})
	corrupt := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: block.Bytes[:20]})
	for name, key := range map[string][]byte{"encrypted": encrypted, "corrupt": corrupt, "not pem": []byte("hunter2-not-a-key"), "cert as key": p.CertPEM} {
		c, err := certs.Parse(p.CertPEM, key)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c.Key != certs.KeyUnreadable {
			t.Errorf("%s: key status %v, want unreadable", name, c.Key)
		}
		for _, s := range []string{c.KeyNote, c.Describe()} {
			if strings.Contains(s, "hunter2") || bytes.Contains(key, []byte(s)) && len(s) > 20 || strings.Contains(s, string(block.Bytes[:8])) {
				t.Errorf("%s: output quotes the key: %q", name, s)
			}
		}
	}
	if _, err := certs.Parse([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), nil); err == nil || !strings.Contains(err.Error(), "cannot be parsed") {
		t.Errorf("garbage certificate: %v", err)
	}
	if _, err := certs.Parse(p.KeyPEM, nil); err == nil {
		t.Error("a key given as tls.crt was accepted")
	}
}

func TestFromSecret(t *testing.T) {
	p := mk(t, certstest.Spec{CommonName: "a", DNSNames: []string{"a.example.com"}}, nil)
	q := mk(t, certstest.Spec{CommonName: "b", DNSNames: []string{"b.example.com"}}, nil)
	// stringData overrides data, as the API server merges them.
	s := &corev1.Secret{
		Data:       map[string][]byte{"tls.crt": q.CertPEM, "tls.key": q.KeyPEM},
		StringData: map[string]string{"tls.crt": string(p.CertPEM), "tls.key": string(p.KeyPEM)},
	}
	c, err := certs.FromSecret(s)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Covers("a.example.com") || c.Key != certs.KeyMatch {
		t.Errorf("stringData not preferred: covers a %v, key %v", c.Covers("a.example.com"), c.Key)
	}
	if _, field, _ := certs.SecretValue(s, "tls.crt"); field != "stringData.tls.crt" {
		t.Errorf("field = %q", field)
	}
	// A live read keeps tls.key as an empty value: nothing to compare.
	live := &corev1.Secret{Type: corev1.SecretTypeTLS, Data: map[string][]byte{"tls.crt": p.CertPEM, "tls.key": {}}}
	if c, err := certs.FromSecret(live); err != nil || c.Key != certs.KeyUnknown {
		t.Errorf("live secret: key %v, err %v", c.Key, err)
	}
	if _, err := certs.FromSecret(&corev1.Secret{Type: corev1.SecretTypeTLS}); err != certs.ErrNoCert {
		t.Errorf("empty secret: %v", err)
	}
}

func TestPublicHost(t *testing.T) {
	for host, want := range map[string]bool{
		"shop.example.com": true, "*.example.com": true, "api.internal": false, "db.svc": false,
		"web.default.svc.cluster.local": false, "printer.local": false, "localhost": false,
		"10.0.0.1": false, "intranet": false, "router.home.arpa": false, "app.test": false,
	} {
		if got := certs.PublicHost(host); got != want {
			t.Errorf("PublicHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestDescribeNamesPublicParts(t *testing.T) {
	p := mk(t, certstest.Spec{CommonName: "shop", DNSNames: []string{"a.example.com", "b.example.com"}}, nil)
	c, _ := certs.Parse(p.CertPEM, nil)
	d := c.Describe()
	for _, want := range []string{"CN=shop", "a.example.com, b.example.com", "valid 2026-05-31 to 2027-06-01"} {
		if !strings.Contains(d, want) {
			t.Errorf("Describe() = %q lacks %q", d, want)
		}
	}
}
