package resources_test

import (
	"testing"

	"github.com/kubeharden/kubeharden/check/checktest"
	"github.com/kubeharden/kubeharden/checks/resources"
)

func TestFixtures(t *testing.T) {
	checktest.Run(t, "testdata", resources.Checks()...)
}
