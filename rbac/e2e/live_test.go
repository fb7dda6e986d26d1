package e2e

import (
	"context"
	"sync"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
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
	res, err := load.Cluster(ctx, cfg, load.ClusterOptions{})
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
	var mu sync.Mutex
	disagree, allowed := 0, 0
	const n = 1000
	type req struct {
		user   string
		groups []string
		a      rbac.Attributes
	}
	reqs := make([]req, n)
	for i := range reqs {
		user, groups := g.Principal(subjects)
		reqs[i] = req{user, groups, g.Attributes()}
		if i%2 == 1 {
			// Requests in the live namespaces, where the new bindings grant.
			reqs[i].a.Namespace = g.Namespaces[g.Intn(len(g.Namespaces))]
		}
	}
	parallel(n, func(i int) {
		r := reqs[i]
		got := e.Allowed(r.user, r.groups, r.a)
		want := review(ctx, t, cs, r.user, r.groups, r.a)
		mu.Lock()
		defer mu.Unlock()
		if want {
			allowed++
		}
		if got != want {
			disagree++
			if disagree <= 10 {
				t.Errorf("live Allowed(%q, %q, %s) = %v, API server says %v", r.user, r.groups, r.a, got, want)
			}
		}
	})
	t.Logf("live inventory: %d bindings, %d requests, %d allowed, %d disagreements", len(e.Bindings()), n, allowed, disagree)
}
