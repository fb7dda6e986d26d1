package etcdverify_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeharden/kubeharden/encryption"
	"github.com/kubeharden/kubeharden/encryption/etcdverify"
	"github.com/kubeharden/kubeharden/internal/cli"
	"github.com/kubeharden/kubeharden/internal/testcluster"
)

// These tests run the real kube-apiserver (internal/testcluster) on an etcd of their own, so
// that the API server can be restarted with another encryption configuration while etcd
// keeps its data, as an operator does when enabling encryption or rotating a key.

var etcdURL string

func TestMain(m *testing.M) {
	if os.Getenv(testcluster.EnvE2E) == "skip" {
		os.Exit(m.Run())
	}
	if err := testcluster.Available(); err != nil {
		if testcluster.Required() {
			fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "\n*** SKIPPING E2E TESTS: %v ***\n\n", err)
		os.Exit(m.Run())
	}
	url, stop, err := startEtcd()
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: start etcd: %v\n", err)
		os.Exit(1)
	}
	etcdURL = url
	code := m.Run()
	stop()
	os.Exit(code)
}

func need(t *testing.T) {
	t.Helper()
	if etcdURL == "" {
		if testcluster.Required() {
			t.Fatal("test control plane required but its binaries are missing")
		}
		t.Skip("SKIPPED (no test control plane binaries)")
	}
}

// startEtcd runs the test etcd binary on free loopback ports with a fresh data folder.
func startEtcd() (string, func(), error) {
	bin, err := testcluster.BinDir()
	if err != nil {
		return "", nil, err
	}
	dir, err := os.MkdirTemp("", "kubeharden-etcd-")
	if err != nil {
		return "", nil, err
	}
	client, peer := freePort(), freePort()
	url := "http://127.0.0.1:" + client
	peerURL := "http://127.0.0.1:" + peer
	cmd := exec.Command(filepath.Join(bin, "etcd"),
		"--name=default", "--data-dir="+dir, "--unsafe-no-fsync",
		"--listen-client-urls="+url, "--advertise-client-urls="+url,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=default="+peerURL)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = os.RemoveAll(dir)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return url, stop, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	return "", nil, fmt.Errorf("etcd did not become healthy: %s", logs.String())
}

func freePort() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

// apiServer runs a kube-apiserver on the shared etcd with the configuration in file ("" for
// none) until the test, or the next apiServer call of the test, ends.
type apiServer struct {
	t  *testing.T
	tc *testcluster.Cluster
	cs kubernetes.Interface
}

func startAPIServer(t *testing.T, file string) *apiServer {
	t.Helper()
	tc, err := testcluster.Start(testcluster.Options{
		EncryptionConfig: file,
		Args:             map[string][]string{"etcd-servers": {etcdURL}},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := &apiServer{t: t, tc: tc, cs: kubernetes.NewForConfigOrDie(tc.Admin)}
	t.Cleanup(s.stop)
	return s
}

func (s *apiServer) stop() {
	if s.tc != nil {
		if err := s.tc.Stop(); err != nil {
			s.t.Logf("stop API server: %v", err)
		}
		s.tc = nil
	}
}

func randomValue(t *testing.T) string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "kh-" + hex.EncodeToString(b)
}

func key32(t *testing.T) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// writeConfig writes an EncryptionConfiguration for secrets with the providers given as
// YAML list items.
func writeConfig(t *testing.T, dir, name string, providers ...string) string {
	t.Helper()
	body := "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n"
	for _, p := range providers {
		body += "      - " + p + "\n"
	}
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

func aescbc(keys ...string) string {
	s := "aescbc: {keys: ["
	for i, k := range keys {
		if i > 0 {
			s += ", "
		}
		s += k
	}
	return s + "]}"
}

func namedKey(name, secret string) string { return fmt.Sprintf("{name: %s, secret: %q}", name, secret) }

// secrets tracks the Secrets a test created and their values.
type secrets struct {
	t      *testing.T
	ns     string
	values []string
}

func (s *secrets) create(api *apiServer, name string) {
	s.t.Helper()
	v := randomValue(s.t)
	s.values = append(s.values, v)
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: s.ns}, StringData: map[string]string{"password": v}}
	if _, err := api.cs.CoreV1().Secrets(s.ns).Create(context.Background(), sec, metav1.CreateOptions{}); err != nil {
		s.t.Fatalf("create secret %s: %v", name, err)
	}
}

// rewrite does what `kubectl get secret NAME -o json | kubectl replace -f -` does.
func (s *secrets) rewrite(api *apiServer, name string) {
	s.t.Helper()
	ctx := context.Background()
	sec, err := api.cs.CoreV1().Secrets(s.ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		s.t.Fatal(err)
	}
	if _, err := api.cs.CoreV1().Secrets(s.ns).Update(ctx, sec, metav1.UpdateOptions{}); err != nil {
		s.t.Fatal(err)
	}
}

func verify(t *testing.T, cfg *encryption.Config, res ...encryption.GroupResource) *etcdverify.Report {
	t.Helper()
	c, err := etcdverify.NewClient([]string{etcdURL}, etcdverify.TLSFiles{}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := etcdverify.Verify(context.Background(), c, etcdverify.Options{Config: cfg, Resources: res, PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func decodeFile(t *testing.T, file string) *encryption.Config {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	c := encryption.Decode(data)
	if len(c.Problems) > 0 {
		t.Fatalf("%s: %v", file, c.Problems)
	}
	return c
}

// states returns "status stored" of each Secret of ns, by name.
func states(rep *etcdverify.Report, ns string) map[string]string {
	out := map[string]string{}
	for _, o := range rep.Objects {
		if o.Namespace == ns {
			out[o.Name] = o.Status + " " + o.Stored.String()
		}
	}
	return out
}

func expect(t *testing.T, phase string, got map[string]string, want map[string]string) {
	t.Helper()
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: %s is %q, want %q", phase, name, got[name], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s: %d secrets in etcd, want %d: %v", phase, len(got), len(want), got)
	}
}

// TestEncryptionLifecycle follows a cluster from no encryption, through a configuration that
// lists aescbc after identity (which writes plaintext), to aescbc first and a key rotation,
// checking at each step what etcd really holds.
func TestEncryptionLifecycle(t *testing.T) {
	need(t)
	dir := t.TempDir()
	k1, k2 := key32(t), key32(t)
	s := &secrets{t: t, ns: "lifecycle"}

	// 1. No encryption configuration: Secrets are plaintext.
	api := startAPIServer(t, "")
	if _, err := api.cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: s.ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	s.create(api, "before-1")
	s.create(api, "before-2")
	rep := verify(t, nil)
	expect(t, "no encryption", states(rep, s.ns), map[string]string{
		"before-1": "plaintext plaintext", "before-2": "plaintext plaintext",
	})
	if rep.Clean() || rep.Resources[0].Writes != "plaintext" || !rep.Resources[0].Inferred {
		t.Errorf("no encryption: clean %v, writes %q", rep.Clean(), rep.Resources[0].Writes)
	}
	api.stop()

	// 2. identity first, aescbc second: every new Secret is still plaintext.
	identityFirst := writeConfig(t, dir, "identity-first.yaml", "identity: {}", aescbc(namedKey("key1", k1)))
	api = startAPIServer(t, identityFirst)
	s.create(api, "identity-1")
	rep = verify(t, decodeFile(t, identityFirst))
	expect(t, "identity first", states(rep, s.ns), map[string]string{
		"before-1": "plaintext plaintext", "before-2": "plaintext plaintext", "identity-1": "plaintext plaintext",
	})
	if rep.Resources[0].Writes != "plaintext" || rep.Clean() {
		t.Errorf("identity first: writes %q, clean %v", rep.Resources[0].Writes, rep.Clean())
	}
	api.stop()

	// 3. aescbc first: new Secrets are encrypted with key1; the older ones stay plaintext
	// until rewritten.
	cbc := writeConfig(t, dir, "aescbc.yaml", aescbc(namedKey("key1", k1)), "identity: {}")
	api = startAPIServer(t, cbc)
	cfg := decodeFile(t, cbc)
	s.create(api, "after-1")
	rep = verify(t, cfg)
	expect(t, "aescbc first", states(rep, s.ns), map[string]string{
		"before-1": "rewrite plaintext", "before-2": "rewrite plaintext", "identity-1": "rewrite plaintext",
		"after-1": "ok aescbc key1",
	})
	if got := rep.RewriteCommands(); len(got) != 1 || got[0] != "kubectl get secrets -n lifecycle -o json | kubectl replace -f -" {
		t.Errorf("rewrite commands = %q", got)
	}
	s.rewrite(api, "before-1")
	expect(t, "one rewritten", states(verify(t, cfg), s.ns), map[string]string{
		"before-1": "ok aescbc key1", "before-2": "rewrite plaintext", "identity-1": "rewrite plaintext",
		"after-1": "ok aescbc key1",
	})
	s.rewrite(api, "before-2")
	s.rewrite(api, "identity-1")
	rep = verify(t, cfg)
	if !rep.Clean() || len(rep.RewriteCommands()) != 0 {
		t.Errorf("all rewritten: clean %v, %v", rep.Clean(), states(rep, s.ns))
	}
	// Without the configuration, the latest write stands for it.
	if r := verify(t, nil); !r.Clean() || r.Resources[0].Writes != "aescbc key1" {
		t.Errorf("inferred: clean %v, writes %q", r.Clean(), r.Resources[0].Writes)
	}
	api.stop()

	// 4. Rotation: key2 first. Everything written with key1 must be rewritten.
	rotated := writeConfig(t, dir, "rotated.yaml", aescbc(namedKey("key2", k2), namedKey("key1", k1)), "identity: {}")
	api = startAPIServer(t, rotated)
	s.create(api, "rotated-1")
	rep = verify(t, decodeFile(t, rotated))
	expect(t, "rotated", states(rep, s.ns), map[string]string{
		"before-1": "rewrite aescbc key1", "before-2": "rewrite aescbc key1", "identity-1": "rewrite aescbc key1",
		"after-1": "rewrite aescbc key1", "rotated-1": "ok aescbc key2",
	})

	// 5. The command: exit 1 while objects need a rewrite, the kubectl command printed, and
	// no Secret value or key anywhere in its output.
	for _, format := range []string{"table", "json"} {
		var out, errOut bytes.Buffer
		code := cli.Main([]string{"verify", "encryption", "--etcd-endpoints", etcdURL, "--encryption-config", rotated, "-o", format}, nil, &out, &errOut)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1; stderr: %s", format, code, errOut.String())
		}
		if format == "table" && !strings.Contains(out.String(), "kubectl get secrets -n lifecycle -o json | kubectl replace -f -") {
			t.Errorf("table output lacks the rewrite command:\n%s", out.String())
		}
		if format == "json" {
			var parsed etcdverify.Report
			if err := json.Unmarshal(out.Bytes(), &parsed); err != nil || len(parsed.Objects) == 0 {
				t.Errorf("json output: %v", err)
			}
		}
		all := out.String() + errOut.String()
		for _, v := range append(s.values, k1, k2, base64.StdEncoding.EncodeToString([]byte(s.values[0]))) {
			if strings.Contains(all, v) {
				t.Errorf("%s output contains a secret value or key", format)
			}
		}
	}
	// An API server that cannot read plaintext any more: a configuration without identity
	// cannot read what was never encrypted, and says so.
	noIdentity := writeConfig(t, dir, "no-identity.yaml", aescbc(namedKey("key2", k2)))
	s.create(api, "rotated-2")
	rep = verify(t, decodeFile(t, noIdentity))
	if got := states(rep, s.ns)["before-1"]; got != "unreadable aescbc key1" {
		t.Errorf("key1 dropped: before-1 is %q, want unreadable", got)
	}
	if got := states(rep, s.ns)["rotated-2"]; got != "ok aescbc key2" {
		t.Errorf("key1 dropped: rotated-2 is %q", got)
	}
}

// TestKeyPrefixes checks the table of where the API server keeps resources in etcd: an
// object of each kind created through the API server is found under KeyPrefix.
func TestKeyPrefixes(t *testing.T) {
	need(t)
	api := startAPIServer(t, "")
	ctx := context.Background()
	ns := "prefixes"
	if _, err := api.cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	meta := metav1.ObjectMeta{Name: "probe", Namespace: ns}
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(api.cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: meta}, metav1.CreateOptions{}))
	must(api.cs.CoreV1().Services(ns).Create(ctx, &corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{}))
	must(api.cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: meta}, metav1.CreateOptions{}))
	pathType := networkingv1.PathTypePrefix
	must(api.cs.NetworkingV1().Ingresses(ns).Create(ctx, &networkingv1.Ingress{ObjectMeta: meta, Spec: networkingv1.IngressSpec{
		DefaultBackend: &networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "probe", Port: networkingv1.ServiceBackendPort{Number: 80}}},
		Rules: []networkingv1.IngressRule{{Host: "probe.example.com", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
			Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: &pathType, Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "probe", Port: networkingv1.ServiceBackendPort{Number: 80}}}}},
		}}}},
	}}, metav1.CreateOptions{}))
	resources := []encryption.GroupResource{
		{Resource: "configmaps"}, {Resource: "services"}, {Resource: "serviceaccounts"},
		{Group: "networking.k8s.io", Resource: "ingresses"}, {Resource: "namespaces"},
	}
	rep := verify(t, nil, resources...)
	found := map[string]bool{}
	for _, o := range rep.Objects {
		if o.Name == "probe" || (o.Resource == "namespaces" && o.Name == ns) {
			found[o.Resource] = true
		}
	}
	for _, r := range resources {
		if !found[r.String()] {
			t.Errorf("%s: no object under %s%s/", r, etcdverify.DefaultPrefix, "/"+etcdverify.KeyPrefix(r))
		}
	}
}
