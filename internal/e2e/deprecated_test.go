package e2e

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeharden/kubeharden/internal/testcluster"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/live"
)

// TestDeprecatedAPIRequests calls a deprecated API (v1 Endpoints, deprecated in 1.33) of the
// real API server and reads it back from its apiserver_requested_deprecated_apis metric; a
// user without access to /metrics gets an error, not a silent empty list.
func TestDeprecatedAPIRequests(t *testing.T) {
	tc := testcluster.Need(t, tc)
	ctx := context.Background()
	cs, err := kubernetes.NewForConfig(tc.Admin)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Endpoints(metav1.NamespaceDefault).List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatal(err)
	}
	reqs, err := live.DeprecatedAPIRequests(ctx, tc.Admin)
	if err != nil {
		t.Fatal(err)
	}
	want := inventory.DeprecatedAPIRequest{Group: "", Version: "v1", Resource: "endpoints"}
	found := false
	for _, r := range reqs {
		found = found || r == want
	}
	if !found {
		t.Errorf("requests %+v do not include %+v", reqs, want)
	}

	dev, err := tc.User("dev")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := live.DeprecatedAPIRequests(ctx, dev); err == nil {
		t.Error("a user without /metrics access read the metric")
	}
}
