package e2e

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeharden/kubeharden/internal/testcluster"
	"github.com/kubeharden/kubeharden/report"
)

// secretValue is a random value that cannot appear anywhere by chance.
func secretValue(t *testing.T) string {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "kh-" + hex.EncodeToString(b)
}

// selfSigned returns a PEM certificate and its PEM private key.
func selfSigned(t *testing.T, host string) (crt, key []byte) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd})
}

// forms are the ways a secret value could leak: as is, base64 (as Secret data is written),
// and the payload lines of a PEM block.
func forms(v []byte) []string {
	out := []string{string(v), base64.StdEncoding.EncodeToString(v), base64.RawURLEncoding.EncodeToString(v)}
	if b, _ := pem.Decode(v); b != nil {
		enc := base64.StdEncoding.EncodeToString(b.Bytes)
		for i := 0; i+48 <= len(enc); i += 48 {
			out = append(out, enc[i:i+48])
		}
	}
	return out
}

// TestNoSecretValueLeaks fills a namespace with Secrets of known random values — Opaque,
// basic-auth, docker config, TLS (the private key), one with kubectl's last-applied
// annotation repeating its data — and asserts that no value appears in any output format of
// scan --cluster, in a snapshot, in a scan of that snapshot, or on stderr.
func TestNoSecretValueLeaks(t *testing.T) {
	c := testcluster.Need(t, tc)
	ctx := context.Background()
	cs := kubernetes.NewForConfigOrDie(c.Admin)
	ns := c.Namespace(t, "e2e-redact", nil)

	var secrets [][]byte
	val := func() []byte { v := []byte(secretValue(t)); secrets = append(secrets, v); return v }
	crt, key := selfSigned(t, "shop.example.com")
	secrets = append(secrets, key)
	opaque, user, pass := val(), val(), val()
	docker := []byte(`{"auths":{"registry.example.com":{"auth":"` + base64.StdEncoding.EncodeToString(val()) + `"}}}`)
	applied := val()
	lastApplied, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "applied", "namespace": ns}, "data": map[string]any{"token": base64.StdEncoding.EncodeToString(applied)}})
	stringData := val()

	objs := []*corev1.Secret{
		{ObjectMeta: metav1.ObjectMeta{Name: "opaque"}, Data: map[string][]byte{"password": opaque}},
		{ObjectMeta: metav1.ObjectMeta{Name: "string-data"}, StringData: map[string]string{"api-key": string(stringData)}},
		{ObjectMeta: metav1.ObjectMeta{Name: "basic"}, Type: corev1.SecretTypeBasicAuth, Data: map[string][]byte{"username": user, "password": pass}},
		{ObjectMeta: metav1.ObjectMeta{Name: "pull"}, Type: corev1.SecretTypeDockerConfigJson, Data: map[string][]byte{".dockerconfigjson": docker}},
		{ObjectMeta: metav1.ObjectMeta{Name: "tls"}, Type: corev1.SecretTypeTLS, Data: map[string][]byte{"tls.crt": crt, "tls.key": key}},
		{ObjectMeta: metav1.ObjectMeta{Name: "applied", Annotations: map[string]string{"kubectl.kubernetes.io/last-applied-configuration": string(lastApplied)}},
			Data: map[string][]byte{"token": applied}},
	}
	for _, s := range objs {
		if _, err := cs.CoreV1().Secrets(ns).Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// A workload that consumes them, so secret-related checks have something to say.
	one := int32(1)
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "consumer"},
		Spec: appsv1.DeploymentSpec{Replicas: &one,
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "consumer"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "consumer"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "busybox",
					Env: []corev1.EnvVar{{Name: "PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
						LocalObjectReference: corev1.LocalObjectReference{Name: "opaque"}, Key: "password"}}}},
					EnvFrom: []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "basic"}}}},
				}}},
			}},
	}
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	kc := writeKubeconfig(t, c.Admin)
	var outputs []string
	record := func(what string, r run) {
		outputs = append(outputs, what+" stdout:\n"+string(r.stdout), what+" stderr:\n"+string(r.stderr))
	}
	for _, f := range report.Formats {
		for _, scope := range [][]string{{"--cluster"}, {"--cluster", "-n", ns}} {
			args := append([]string{"scan", "-o", f, "--fail-on", "none", "--show-suppressed"}, scope...)
			r := kubeharden(t, kc, args...)
			if r.code != 0 {
				t.Errorf("%v: exit %d, stderr:\n%s", args, r.code, r.stderr)
			}
			record(strings.Join(args, " "), r)
		}
	}
	snap := filepath.Join(t.TempDir(), "cluster.yaml")
	r := kubeharden(t, kc, "snapshot", "--file", snap, "-n", ns)
	record("snapshot --file FILE", r)
	b, err := os.ReadFile(snap)
	if err != nil {
		t.Fatal(err)
	}
	outputs = append(outputs, "snapshot file:\n"+string(b))
	record("snapshot to stdout", kubeharden(t, kc, "snapshot"))
	for _, f := range report.Formats {
		record("scan of snapshot -o "+f, kubeharden(t, "", "scan", snap, "-o", f, "--fail-on", "none", "--show-suppressed"))
	}

	all := strings.Join(outputs, "\n")
	for _, v := range secrets {
		for _, form := range forms(v) {
			if strings.Contains(all, form) {
				for _, o := range outputs {
					if strings.Contains(o, form) {
						head, _, _ := strings.Cut(o, "\n")
						t.Errorf("a secret value leaked into %s", head)
					}
				}
			}
		}
	}
	// Positive controls: the secrets were read, and the certificate (public) was kept for
	// certificate checks; tls.key is there, empty.
	snapText := string(b)
	for _, name := range []string{"opaque", "string-data", "basic", "pull", "tls", "applied"} {
		if !strings.Contains(snapText, "name: "+name+"\n") {
			t.Errorf("secret %s missing from the snapshot", name)
		}
	}
	if !strings.Contains(snapText, base64.StdEncoding.EncodeToString(crt)) {
		t.Error("tls.crt missing from the snapshot")
	}
	if !bytes.Contains(b, []byte(`tls.key: ""`)) {
		t.Error("the snapshot does not mark that the TLS Secret has a key")
	}
}
