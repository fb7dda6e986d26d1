package images_test

import (
	"testing"

	"github.com/kubeharden/kubeharden/check/checktest"
	"github.com/kubeharden/kubeharden/checks/images"
)

func TestFixtures(t *testing.T) {
	checktest.Run(t, "testdata", images.Checks()...)
}
