// Package e2e holds the end-to-end tests of live-cluster reading: the kubeharden binary against
// a real kube-apiserver and etcd (internal/testcluster).
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/rest"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/internal/benchmetric"
	"github.com/kubeharden/kubeharden/internal/testcluster"
	"github.com/kubeharden/kubeharden/scan"
)

var tc *testcluster.Cluster

func TestMain(m *testing.M) {
	if os.Getenv(envBaseline) != "" {
		// Re-executed by the live benchmark to measure a bare list in a process of its own.
		os.Exit(baselineMain())
	}
	os.Exit(testcluster.Main(m, &tc, testcluster.Options{}))
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds cmd/kubeharden once per test run: the e2e tests run the real binary, so that
// exit codes, stderr and anything a library logs are what users see.
func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		root, err := testcluster.RepoRoot()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := os.MkdirTemp("", "kubeharden-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "kubeharden")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/kubeharden")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = errors.New("go build ./cmd/kubeharden: " + err.Error() + "\n" + string(out))
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// run is one kubeharden process.
type run struct {
	stdout, stderr []byte
	code           int
	took           time.Duration
	maxRSS         int64 // bytes
}

// kubeharden runs the binary with args, KUBECONFIG set to kubeconfig (when not empty).
func kubeharden(t testing.TB, kubeconfig string, args ...string) run {
	t.Helper()
	bin := binary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "HOME="+t.TempDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	peak, err := benchmetric.RunPeak(cmd)
	r := run{stdout: stdout.Bytes(), stderr: stderr.Bytes(), took: time.Since(start), maxRSS: peak}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("kubeharden %v: %v", args, err)
	}
	return r
}

// writeKubeconfig writes a kubeconfig for cfg into the test's temp dir.
func writeKubeconfig(t testing.TB, cfg *rest.Config) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kubeconfig")
	if err := testcluster.WriteKubeConfig(p, cfg); err != nil {
		t.Fatal(err)
	}
	return p
}

// jsonResult is `scan -o json` read back.
type jsonResult struct {
	Findings []check.Finding `json:"findings"`
	Summary  scan.Summary    `json:"summary"`
	Errors   []check.Error   `json:"errors"`
}

func decodeResult(t testing.TB, r run) jsonResult {
	t.Helper()
	var res jsonResult
	if err := json.Unmarshal(r.stdout, &res); err != nil {
		t.Fatalf("scan -o json output is not JSON (%v); exit %d; stderr:\n%s\nstdout:\n%.2000s", err, r.code, r.stderr, r.stdout)
	}
	return res
}
