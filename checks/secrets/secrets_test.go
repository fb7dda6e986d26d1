package secrets_test

import (
	"testing"

	"github.com/kubeharden/kubeharden/check/checktest"
	"github.com/kubeharden/kubeharden/checks/secrets"
)

// TestEncryptionFixtures runs every check of the package over the EncryptionConfiguration
// and kube-apiserver fixtures: one per provider ordering, wildcard and validity case.
func TestEncryptionFixtures(t *testing.T) {
	checktest.Run(t, "testdata/encryption", secrets.Checks()...)
}

// TestExposureFixtures runs every check of the package over the workload, ConfigMap,
// token, RBAC and external-manager fixtures.
func TestExposureFixtures(t *testing.T) {
	checktest.Run(t, "testdata/exposure", secrets.Checks()...)
}
