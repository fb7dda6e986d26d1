package e2e

import (
	"net"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/kubeharden/kubeharden/internal/testcluster"
)

// unreachable asserts exit 3 with one clear line on stderr and nothing on stdout.
func unreachable(t *testing.T, r run, within time.Duration) {
	t.Helper()
	if r.code != 3 {
		t.Errorf("exit %d, want 3; stderr:\n%s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimRight(string(r.stderr), "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "error: cannot reach the cluster at https://127.0.0.1:") {
		t.Errorf("stderr is not one clear line:\n%s", r.stderr)
	}
	if len(r.stdout) > 0 {
		t.Errorf("stdout not empty:\n%s", r.stdout)
	}
	if r.took > within {
		t.Errorf("took %v, want under %v", r.took, within)
	}
	t.Logf("%v: %s", r.took.Round(time.Millisecond), lines[0])
}

// TestUnreachableRefused: nothing listens on the port.
func TestUnreachableRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kubeharden binary")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	kc := writeKubeconfig(t, &rest.Config{Host: "https://" + addr, BearerToken: "x", TLSClientConfig: rest.TLSClientConfig{Insecure: true}})
	unreachable(t, kubeharden(t, kc, "scan", "--cluster", "-o", "json"), 10*time.Second)
}

// TestUnreachableHangs: the server accepts connections and never answers; the scan gives up
// after --request-timeout.
func TestUnreachableHangs(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the kubeharden binary")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // held open, never answered
		}
	}()
	kc := writeKubeconfig(t, &rest.Config{Host: "https://" + l.Addr().String(), BearerToken: "x", TLSClientConfig: rest.TLSClientConfig{Insecure: true}})
	r := kubeharden(t, kc, "scan", "--cluster", "--request-timeout", "2s")
	unreachable(t, r, 2*time.Second+3*time.Second)
	if r.took < 2*time.Second {
		t.Errorf("gave up after %v, before the 2s request timeout", r.took)
	}
	// Snapshot takes the same flags and path.
	unreachable(t, kubeharden(t, kc, "snapshot", "--request-timeout", "1s"), time.Second+3*time.Second)
}

// TestBadCredentials: a server that rejects the credentials is as unusable as one that cannot
// be reached: exit 3, one line that says why.
func TestBadCredentials(t *testing.T) {
	c := testcluster.Need(t, tc)
	cfg := &rest.Config{Host: c.Admin.Host, BearerToken: "not-a-token", TLSClientConfig: rest.TLSClientConfig{CAData: c.Admin.CAData}}
	r := kubeharden(t, writeKubeconfig(t, cfg), "scan", "--cluster")
	if r.code != 3 || strings.TrimSpace(string(r.stderr)) != "error: cannot use the cluster at "+c.Admin.Host+": it rejected the credentials (401 Unauthorized)" {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}
