package etcdverify_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubeharden/kubeharden/encryption/etcdverify"
	"github.com/kubeharden/kubeharden/internal/testcluster"
)

// pki writes a CA, a serving certificate for 127.0.0.1 and a client certificate, as a
// kubeadm control plane has them for etcd.
type pki struct{ ca, serverCert, serverKey, clientCert, clientKey string }

func newPKI(t *testing.T, dir string) pki {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "etcd-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(name string, serial int64, usage []x509.ExtKeyUsage, ips []net.IP) (string, string) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: usage, IPAddresses: ips,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, _ := x509.MarshalECPrivateKey(key)
		certFile, keyFile := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
		write(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
		write(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}))
		return certFile, keyFile
	}
	p := pki{ca: filepath.Join(dir, "ca.crt")}
	write(t, p.ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))
	// etcd's gateway dials etcd's own gRPC port with the serving certificate, so it is a
	// client certificate too (as kubeadm's etcd/server.crt is).
	p.serverCert, p.serverKey = issue("server", 2, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, []net.IP{net.ParseIP("127.0.0.1")})
	p.clientCert, p.clientKey = issue("client", 3, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, nil)
	return p
}

func write(t *testing.T, file string, data []byte) {
	t.Helper()
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestTLSClientCertificates runs etcd as kubeadm does (TLS, client certificates required),
// stores values as the API server would, and reads them back with --cacert, --cert, --key.
func TestTLSClientCertificates(t *testing.T) {
	need(t)
	bin, err := testcluster.BinDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := newPKI(t, dir)
	client, peer := freePort(), freePort()
	url := "https://127.0.0.1:" + client
	peerURL := "http://127.0.0.1:" + peer
	cmd := exec.Command(filepath.Join(bin, "etcd"),
		"--name=default", "--data-dir="+filepath.Join(dir, "data"), "--unsafe-no-fsync",
		"--listen-client-urls="+url, "--advertise-client-urls="+url,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL, "--initial-cluster=default="+peerURL,
		"--cert-file="+p.serverCert, "--key-file="+p.serverKey, "--trusted-ca-file="+p.ca, "--client-cert-auth")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	cert, err := tls.LoadX509KeyPair(p.clientCert, p.clientKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	caPEM, _ := os.ReadFile(p.ca)
	pool.AppendCertsFromPEM(caPEM)
	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}}}}
	put := func(key, value string) error {
		body, _ := json.Marshal(map[string]string{
			"key": base64.StdEncoding.EncodeToString([]byte(key)), "value": base64.StdEncoding.EncodeToString([]byte(value)),
		})
		resp, err := hc.Post(url+"/v3/kv/put", "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return errors.New(resp.Status)
		}
		return nil
	}
	deadline := time.Now().Add(60 * time.Second)
	for put("/registry/secrets/ns/plain", "k8s\x00\x0a\x02v1\x12\x06Secret-payload") != nil {
		if time.Now().After(deadline) {
			t.Fatalf("etcd with TLS did not start: %s", logs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	long := "k8s:enc:aesgcm:v1:key2:" + strings.Repeat("\x8f", 4096)
	for _, kv := range [][2]string{
		{"/registry/secrets/ns/gcm", long},
		{"/registry/configmaps/ns/cfg", "k8s\x00plain"},
		{"/registry/secrets/ns/kms", "k8s:enc:kms:v2:vault:\x0a\x20rest"}, // the latest write
	} {
		if err := put(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}

	c, err := etcdverify.NewClient([]string{"127.0.0.1:" + client}, etcdverify.TLSFiles{CACert: p.ca, Cert: p.clientCert, Key: p.clientKey}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := etcdverify.Verify(context.Background(), c, etcdverify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, o := range rep.Objects {
		got[o.Name] = o.Stored.String()
	}
	want := map[string]string{"plain": "plaintext", "gcm": "aesgcm key2", "kms": "kms v2 vault"}
	if len(got) != len(want) {
		t.Errorf("objects = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s stored as %q, want %q", k, got[k], v)
		}
	}
	// The most recent write is the kms one: it stands for the configuration.
	if rep.Resources[0].Writes != "kms v2 vault" || !strings.HasPrefix(rep.Endpoint, "https://") {
		t.Errorf("writes %q via %s", rep.Resources[0].Writes, rep.Endpoint)
	}

	// Without a client certificate etcd refuses the connection.
	noCert, err := etcdverify.NewClient([]string{url}, etcdverify.TLSFiles{CACert: p.ca}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_, err = etcdverify.Verify(context.Background(), noCert, etcdverify.Options{})
	var ue *etcdverify.UnreachableError
	if err == nil || !errors.As(err, &ue) {
		t.Errorf("without a client certificate: %v", err)
	}
}
