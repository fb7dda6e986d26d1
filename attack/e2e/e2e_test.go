// Package e2e proves attack paths against a real kube-apiserver: the examples (and the
// fixtures with RBAC hops) are applied to the test control plane, and every RBAC request of
// every path must be allowed by a SubjectAccessReview for the subject taking the step.
package e2e

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeharden/kubeharden/attack"
	"github.com/kubeharden/kubeharden/internal/testcluster"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/live"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/rbac"
)

var tc *testcluster.Cluster

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(testcluster.Main(m, &tc, testcluster.Options{}))
}

// sources are the manifests applied: the insecure example, and the fixtures whose paths take
// RBAC hops other than a direct grant (creating Jobs in a privileged namespace, a DaemonSet's
// token). Their namespaces do not overlap. The hardened example uses the insecure one's
// namespaces and has no path: it is only checked to have none.
var sources = []string{"../../examples/insecure", "../testdata/lateral.yaml", "../testdata/node.yaml"}

// TestRBACHopsHold computes the paths from the manifests, as `kubeharden attack-paths` does,
// applies the manifests, and asks the API server about every request of every RBAC step.
// A request that the paths' subjects must not be allowed is asked too, so that an
// authorizer allowing everything would fail the test.
func TestRBACHopsHold(t *testing.T) {
	c := testcluster.Need(t, tc)
	cs, err := kubernetes.NewForConfig(c.Admin)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	type hop struct {
		path string
		e    *attack.Edge
	}
	var hops []hop
	var objs []*inventory.Object
	paths := 0
	for _, src := range sources {
		loaded, errs := load.Files([]string{src}, load.Options{})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		objs = append(objs, loaded...)
		g, err := attack.Analyze(inventory.Build(loaded), attack.Options{RBACDefaults: true})
		if err != nil {
			t.Fatal(err)
		}
		ps, err := g.Paths(attack.Query{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) == 0 {
			t.Errorf("%s: no path", src)
		}
		paths += len(ps)
		for _, p := range ps {
			for _, s := range p.Steps {
				if s.Edge != nil && len(s.Edge.Claim.Requests) > 0 {
					hops = append(hops, hop{filepath.Base(src) + ": " + p.String(), s.Edge})
				}
			}
		}
	}
	var us []*unstructured.Unstructured
	for _, o := range objs {
		u, err := testcluster.ToUnstructured(o.Obj)
		if err != nil {
			t.Fatal(err)
		}
		us = append(us, u...)
	}
	res, err := testcluster.Apply(ctx, c.Admin, us, 4)
	if err != nil {
		t.Fatal(err)
	}
	for u, err := range res.Failed {
		// The examples use API versions removed long ago on purpose (versions practice);
		// everything RBAC reads must be there.
		switch u.GetKind() {
		case "Namespace", "ServiceAccount", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding":
			t.Fatalf("apply %s %s/%s: %v", u.GetKind(), u.GetNamespace(), u.GetName(), err)
		}
	}

	kinds := map[attack.EdgeKind]int{}
	asked := 0
	for _, h := range hops {
		kinds[h.e.Kind]++
		for _, a := range h.e.Claim.Requests {
			asked++
			if !review(ctx, t, cs, h.e.Claim.User, h.e.Claim.Groups, a) {
				t.Errorf("%s\n  step %s → %s (%s): the API server denies %q for %s %v", h.path, h.e.From, h.e.To, h.e.Evidence, a, h.e.Claim.User, h.e.Claim.Groups)
			}
		}
	}
	t.Logf("%d paths, %d RBAC steps, %d requests reviewed; steps by kind %v", paths, len(hops), asked, kinds)
	if len(hops) < 10 || kinds[attack.Escalates] == 0 || kinds[attack.Escapes] == 0 {
		t.Fatalf("too few RBAC steps to test with: %v", kinds)
	}
	// Negative control: a step's subject that is not cluster-admin is denied what only
	// cluster-admin may do.
	weak := rbac.Subject{Kind: rbac.ServiceAccountKind, Namespace: "web", Name: "back"}
	user, groups := weak.Principal()
	if review(ctx, t, cs, user, groups, rbac.Attributes{Verb: "create", Resource: "pods", Namespace: "kube-system"}) {
		t.Errorf("%s may create pods in kube-system: the reviews prove nothing", weak)
	}
	if !slices.ContainsFunc(hops, func(h hop) bool { return h.e.Claim.User == user }) {
		t.Errorf("no step of %s was reviewed", weak)
	}

	// The same paths from the live cluster as from the applied files together, with the
	// cluster's own default RBAC policy instead of the one kubeharden embeds. Node ports are
	// allocated there, so endpoints are compared with the port left out.
	all, err := attack.Analyze(inventory.Build(objs), attack.Options{RBACDefaults: true})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := all.Paths(attack.Query{})
	if err != nil {
		t.Fatal(err)
	}
	var fromFiles []string
	for _, p := range ps {
		fromFiles = append(fromFiles, nodePort.ReplaceAllString(p.String(), "node:PORT/"))
	}
	live, err := live.Cluster(ctx, c.Admin, live.Options{})
	if err != nil {
		t.Fatal(err)
	}
	g, err := attack.Analyze(inventory.Build(live.Objects), attack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ps, err = g.Paths(attack.Query{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range ps {
		got = append(got, nodePort.ReplaceAllString(p.String(), "node:PORT/"))
	}
	slices.Sort(got)
	slices.Sort(fromFiles)
	if strings.Join(got, "\n") != strings.Join(fromFiles, "\n") {
		t.Errorf("paths from the live cluster:\n%s\nfrom the files:\n%s", strings.Join(got, "\n"), strings.Join(fromFiles, "\n"))
	}
}

var nodePort = regexp.MustCompile(`node:(\d+|allocated)/`)

// review asks the API server whether the caller may make the request, retrying briefly:
// the authorizer's cache may not have the bindings just created yet.
func review(ctx context.Context, t *testing.T, cs *kubernetes.Clientset, user string, groups []string, a rbac.Attributes) bool {
	t.Helper()
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: user, Groups: groups,
		ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: a.Namespace, Verb: a.Verb, Group: a.APIGroup,
			Resource: a.Resource, Subresource: a.Subresource, Name: a.Name}}}
	var allowed bool
	for try := 0; try < 20; try++ {
		res, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("review %s: %v", a, err)
		}
		if res.Status.EvaluationError != "" {
			t.Errorf("review %s: %s", a, res.Status.EvaluationError)
		}
		if allowed = res.Status.Allowed; allowed {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return allowed
}

// TestHardenedExample: the hardened example has no path (it shares the insecure example's
// namespaces, so it is not applied next to it).
func TestHardenedExample(t *testing.T) {
	objs, errs := load.Files([]string{"../../examples/hardened"}, load.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	g, err := attack.Analyze(inventory.Build(objs), attack.Options{RBACDefaults: true})
	if err != nil {
		t.Fatal(err)
	}
	if ps, err := g.Paths(attack.Query{}); err != nil || len(ps) > 0 {
		t.Errorf("hardened example: %d paths, %v", len(ps), err)
	}
}
