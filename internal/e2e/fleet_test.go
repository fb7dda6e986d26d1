package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubeharden/kubeharden/internal/testcluster"
)

// fleetKubeconfig has contexts a and b for the test cluster (as two clusters), and c for an
// address where nothing listens.
func fleetKubeconfig(t *testing.T, c *testcluster.Cluster, withDead bool) string {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	for _, name := range []string{"a", "b"} {
		kc.Clusters[name] = &clientcmdapi.Cluster{Server: c.Admin.Host, CertificateAuthorityData: c.Admin.CAData}
		kc.AuthInfos[name] = &clientcmdapi.AuthInfo{ClientCertificateData: c.Admin.CertData, ClientKeyData: c.Admin.KeyData, Token: c.Admin.BearerToken}
		kc.Contexts[name] = &clientcmdapi.Context{Cluster: name, AuthInfo: name}
	}
	if withDead {
		kc.Clusters["c"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:1", InsecureSkipTLSVerify: true}
		kc.AuthInfos["c"] = &clientcmdapi.AuthInfo{Token: "x"}
		kc.Contexts["c"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "c"}
	}
	kc.CurrentContext = "a"
	b, err := clientcmd.Write(*kc)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFleetScan scans two contexts into one report: every finding names its cluster, each
// cluster's findings are those of a scan of it alone, and the output of a single-cluster scan
// has no cluster field at all.
func TestFleetScan(t *testing.T) {
	c := testcluster.Need(t, tc)
	applyExamples(t, c)
	kc := fleetKubeconfig(t, c, false)

	single := kubeharden(t, kc, "scan", "--cluster", "--context", "a", "-o", "json", "--fail-on", "none")
	if single.code != 0 {
		t.Fatalf("scan --context a: exit %d: %s", single.code, single.stderr)
	}
	var raw struct{ Findings []map[string]any }
	if err := json.Unmarshal(single.stdout, &raw); err != nil {
		t.Fatal(err)
	}
	for _, f := range raw.Findings {
		if _, ok := f["cluster"]; ok {
			t.Fatalf("a single-cluster scan writes a cluster field: %v", f)
		}
	}
	one := decodeResult(t, single)

	for _, args := range [][]string{{"--context", "a", "--context", "b"}, {"--all-contexts"}} {
		r := kubeharden(t, kc, append([]string{"scan", "--cluster", "-o", "json", "--fail-on", "none"}, args...)...)
		if r.code != 0 {
			t.Fatalf("scan %v: exit %d: %s", args, r.code, r.stderr)
		}
		res := decodeResult(t, r)
		byCluster := map[string][]string{}
		for _, f := range res.Findings {
			if f.Cluster != "a" && f.Cluster != "b" {
				t.Fatalf("finding without its cluster: %+v", f)
			}
			f2 := f
			f2.Cluster = ""
			byCluster[f.Cluster] = append(byCluster[f.Cluster], findingKey(f2))
		}
		var want []string
		for _, f := range one.Findings {
			want = append(want, findingKey(f))
		}
		for _, name := range []string{"a", "b"} {
			if d := diffKeys(byCluster[name], want); d != "" {
				t.Errorf("scan %v: cluster %s differs from its scan alone:\n%s", args, name, d)
			}
		}
		if res.Summary.Objects != 2*one.Summary.Objects || res.Summary.Findings != 2*one.Summary.Findings {
			t.Errorf("scan %v: summary %+v, want twice %+v", args, res.Summary, one.Summary)
		}
	}

	// A cluster that cannot be reached: the others are reported, the exit code is 3.
	kc = fleetKubeconfig(t, c, true)
	r := kubeharden(t, kc, "scan", "--cluster", "-o", "json", "--fail-on", "none", "--all-contexts", "--request-timeout", "5s")
	if r.code != 3 {
		t.Fatalf("with an unreachable context: exit %d, want 3: %s", r.code, r.stderr)
	}
	if !bytes.Contains(r.stderr, []byte("context c:")) {
		t.Errorf("stderr does not name the unreachable context: %s", r.stderr)
	}
	if res := decodeResult(t, r); res.Summary.Objects != 2*one.Summary.Objects {
		t.Errorf("with an unreachable context: %d objects, want those of a and b (%d)", res.Summary.Objects, 2*one.Summary.Objects)
	}
}

// diffKeys describes how got differs from want as multisets, "" when equal.
func diffKeys(got, want []string) string {
	g, w := map[string]int{}, map[string]int{}
	for _, k := range got {
		g[k]++
	}
	for _, k := range want {
		w[k]++
	}
	var b bytes.Buffer
	for k, n := range w {
		if g[k] < n {
			b.WriteString("  missing: " + k + "\n")
		}
	}
	for k, n := range g {
		if w[k] < n {
			b.WriteString("  unexpected: " + k + "\n")
		}
	}
	return b.String()
}
