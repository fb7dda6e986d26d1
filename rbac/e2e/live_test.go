package e2e

import (
	"context"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/live"
	"github.com/kubeharden/kubeharden/rbac"
	"github.com/kubeharden/kubeharden/rbac/rbactest"
)

// TestLiveInventory reads the cluster as `kubeharden who-can --cluster` does (the live loader,
// then FromInventory without the default policy, which the cluster has) and compares Allowed
// with SubjectAccessReviews: the loader's objects must mean what the API server's do.
func TestLiveInventory(t *testing.T) {
	cs := client(t)
	ctx := context.Background()
	g := rbactest.New(seed + 1)
	g.Prefix, g.Namespaces = "live-", []string{"live-a", "live-b", "live-c"}
	populate(ctx, t, cs, g, 100)

	cfg := rest.CopyConfig(tc.Admin)
	cfg.QPS, cfg.Burst = -1, 0
	res, err := live.Cluster(ctx, cfg, live.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors {
		t.Errorf("reading the cluster: %v", e)
	}
	inv := inventory.Build(res.Objects)
	e := rbac.FromInventory(inv, rbac.Options{})
	if n := len(e.Bindings()); n < 100 {
		t.Fatalf("only %d bindings read from the cluster", n)
	}
	subjects := e.Subjects()
	const n = 1000
	reqs := make([]request, n)
	for i := range reqs {
		user, groups := g.Principal(subjects)
		reqs[i] = request{user, groups, g.Attributes()}
		if i%2 == 1 {
			// Requests in the live namespaces, where the new bindings grant.
			reqs[i].a.Namespace = g.Namespaces[g.Intn(len(g.Namespaces))]
		}
	}
	allowed, disagree := compareAllowed(ctx, t, cs, e, reqs)
	t.Logf("live inventory: %d bindings, %d requests, %d allowed, %d disagreements", len(e.Bindings()), n, allowed, disagree)
}
