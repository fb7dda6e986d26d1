package testcluster

import (
	"errors"
	"fmt"
	"os"
	"testing"
)

// Main is the body of a package's TestMain: it starts one control plane with opts into *c,
// runs the tests and stops it, returning the exit code for os.Exit.
//
// KUBEHARDEN_E2E=skip (make unit) starts nothing and skips the tests that Need a cluster.
// Binaries missing: with KUBEHARDEN_E2E=required the package fails; otherwise *c stays nil,
// a banner says the e2e tests are skipped, and Need skips each of them.
func Main(m *testing.M, c **Cluster, opts Options) int {
	if os.Getenv(EnvE2E) == "skip" {
		skipReason = EnvE2E + "=skip"
		return m.Run()
	}
	if err := Available(); err != nil {
		if Required() || !errors.Is(err, ErrMissing) {
			fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
			return 1
		}
		fmt.Fprintf(os.Stderr, "\n*** SKIPPING E2E TESTS: %v ***\n*** (set %s=required to make this a failure) ***\n\n", err, EnvE2E)
		skipReason = err.Error()
		return m.Run()
	}
	tc, err := Start(opts)
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		return 1
	}
	*c = tc
	code := m.Run()
	if err := tc.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "testcluster: stop: %v\n", err)
	}
	return code
}

var skipReason = "the package's TestMain did not start a test control plane (use testcluster.Main)"

// Need returns c, or skips the test (loudly) when Main found no binaries.
func Need(t testing.TB, c *Cluster) *Cluster {
	t.Helper()
	if c == nil {
		if Required() {
			t.Fatalf("test control plane required but not running: %s", skipReason)
		}
		t.Skipf("SKIPPED (no test control plane): %s", skipReason)
	}
	return c
}
