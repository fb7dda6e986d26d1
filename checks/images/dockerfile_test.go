package images_test

import (
	"testing"

	"github.com/kubeharden/kubeharden/check/checktest"
	"github.com/kubeharden/kubeharden/checks/images"
)

// TestDockerfileFixtures runs the Dockerfile checks over testdata/dockerfiles, where a
// "# want" comment line names the findings of the instruction below it.
func TestDockerfileFixtures(t *testing.T) {
	checktest.Run(t, "testdata/dockerfiles", images.DockerfileChecks()...)
}
