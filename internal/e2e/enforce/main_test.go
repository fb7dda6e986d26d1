// Package enforce holds the end-to-end tests of admission enforcement: the webhook served in
// process and registered on a real kube-apiserver, exported ValidatingAdmissionPolicies
// evaluated by that API server against scan's verdicts, and a load test of the webhook.
package enforce

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/kubeharden/kubeharden/admission"
	_ "github.com/kubeharden/kubeharden/checks/all"
	"github.com/kubeharden/kubeharden/internal/testcluster"
)

var tc *testcluster.Cluster

// auditLog is the API server's audit log: Metadata events of pods and Deployments, which
// carry the audit annotations the webhook returns in audit mode.
var auditLog string

const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  resources:
  - group: ""
    resources: [pods]
  - group: apps
    resources: [deployments]
- level: None
`

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kubeharden-enforce-")
	if err != nil {
		panic(err)
	}
	policy := filepath.Join(dir, "audit-policy.yaml")
	if err := os.WriteFile(policy, []byte(auditPolicy), 0o600); err != nil {
		panic(err)
	}
	auditLog = filepath.Join(dir, "audit.log")
	code := testcluster.Main(m, &tc, testcluster.Options{AuditPolicy: policy, AuditLog: auditLog})
	os.RemoveAll(dir)
	os.Exit(code)
}

// servingCert writes a CA and a certificate it signed for 127.0.0.1 into dir; it returns the
// files and the CA's PEM.
func servingCert(t testing.TB, dir string) (certFile, keyFile string, caPEM []byte) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kubeharden-e2e-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
}

// webhook is a webhook served in process on loopback HTTPS.
type webhook struct {
	URL   string
	CA    []byte
	srv   *http.Server
	cache *admission.Cache
}

// startWebhook serves opts (with a cache of the test cluster) until the test ends or Stop.
func startWebhook(t testing.TB, opts admission.Options) *webhook {
	t.Helper()
	certFile, keyFile, ca := servingCert(t, t.TempDir())
	certs, err := admission.NewCertReloader(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	c := admission.NewCache(kubernetes.NewForConfigOrDie(tc.Admin), 0)
	if !c.Start(ctx) {
		t.Fatal("cache did not sync")
	}
	opts.Cluster = c
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: admission.NewServer(opts),
		TLSConfig: &tls.Config{GetCertificate: certs.GetCertificate, MinVersion: tls.VersionTLS12}}
	go srv.ServeTLS(ln, "", "")
	w := &webhook{URL: "https://" + ln.Addr().String(), CA: ca, srv: srv, cache: c}
	t.Cleanup(w.Stop)
	return w
}

// Stop closes the server: the API server's calls then fail to connect.
func (w *webhook) Stop() { _ = w.srv.Close() }
