package versions_test

import (
	"testing"

	"github.com/kubeharden/kubeharden/check/checktest"
	"github.com/kubeharden/kubeharden/checks/versions"
)

// TestFixtures runs every versions check over testdata: snapshots (a ClusterFacts document
// gives the cluster's and kubelets' versions) and manifests judged for a target version.
func TestFixtures(t *testing.T) {
	checktest.Run(t, "testdata", versions.Checks()...)
}
