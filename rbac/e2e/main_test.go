// Package e2e proves the RBAC engine against a real kube-apiserver: the default policy it
// embeds, and Allowed and WhoCan against SubjectAccessReviews over random RBAC objects.
package e2e

import (
	"context"
	"flag"
	"os"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubeharden/kubeharden/internal/testcluster"
	"github.com/kubeharden/kubeharden/rbac"
)

var tc *testcluster.Cluster

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(testcluster.Main(m, &tc, testcluster.Options{}))
}

// client returns a clientset for the admin without client-side rate limits: the tests send
// thousands of reviews.
func client(t testing.TB) *kubernetes.Clientset {
	c := testcluster.Need(t, tc)
	cfg := rest.CopyConfig(c.Admin)
	cfg.QPS, cfg.Burst = -1, 0
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// listRBAC reads every RBAC object of the cluster.
func listRBAC(ctx context.Context, t testing.TB, cs *kubernetes.Clientset, opts metav1.ListOptions) rbac.Objects {
	t.Helper()
	var o rbac.Objects
	roles, err := cs.RbacV1().Roles("").List(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range roles.Items {
		o.Roles = append(o.Roles, &roles.Items[i])
	}
	crs, err := cs.RbacV1().ClusterRoles().List(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range crs.Items {
		o.ClusterRoles = append(o.ClusterRoles, &crs.Items[i])
	}
	rbs, err := cs.RbacV1().RoleBindings("").List(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rbs.Items {
		o.RoleBindings = append(o.RoleBindings, &rbs.Items[i])
	}
	crbs, err := cs.RbacV1().ClusterRoleBindings().List(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range crbs.Items {
		o.ClusterRoleBindings = append(o.ClusterRoleBindings, &crbs.Items[i])
	}
	return o
}

var _ = rbacv1.GroupName
