package secrets_test

import (
	"path/filepath"
	"testing"

	"github.com/kubeharden/kubeharden/check/checktest"
	"github.com/kubeharden/kubeharden/checks/secrets"
)

// TestRBACFixtures runs the RBAC-based secret checks over their fixtures (testdata/rbac_*).
func TestRBACFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/rbac_*.yaml")
	if len(files) == 0 {
		t.Fatal("no fixtures")
	}
	for _, f := range files {
		checktest.RunFile(t, f, secrets.RBACReadSecrets)
	}
}
