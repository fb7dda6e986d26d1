package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"sort"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeharden/kubeharden/rbac"
)

var update = flag.Bool("update", false, "rewrite rbac/defaults.json from the API server")

// TestDefaultPolicy checks that the default policy the engine embeds for manifests is the one
// the API server creates at start-up; with -update it rewrites it.
func TestDefaultPolicy(t *testing.T) {
	cs := client(t)
	ctx := context.Background()
	o := listRBAC(ctx, t, cs, metav1.ListOptions{LabelSelector: "kubernetes.io/bootstrapping=rbac-defaults"})
	var p rbac.Policy
	clean := func(m *metav1.ObjectMeta) {
		*m = metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, Labels: m.Labels, Annotations: m.Annotations}
	}
	for _, r := range o.ClusterRoles {
		r := *r
		clean(&r.ObjectMeta)
		if r.AggregationRule != nil {
			r.Rules = nil // the controller's to fill (and other tests may have)
		}
		p.ClusterRoles = append(p.ClusterRoles, r)
	}
	for _, b := range o.ClusterRoleBindings {
		b := *b
		clean(&b.ObjectMeta)
		p.ClusterRoleBindings = append(p.ClusterRoleBindings, b)
	}
	for _, r := range o.Roles {
		r := *r
		clean(&r.ObjectMeta)
		p.Roles = append(p.Roles, r)
	}
	for _, b := range o.RoleBindings {
		b := *b
		clean(&b.ObjectMeta)
		p.RoleBindings = append(p.RoleBindings, b)
	}
	sort.Slice(p.ClusterRoles, func(i, j int) bool { return p.ClusterRoles[i].Name < p.ClusterRoles[j].Name })
	sort.Slice(p.ClusterRoleBindings, func(i, j int) bool { return p.ClusterRoleBindings[i].Name < p.ClusterRoleBindings[j].Name })
	sort.Slice(p.Roles, func(i, j int) bool {
		return p.Roles[i].Namespace+"/"+p.Roles[i].Name < p.Roles[j].Namespace+"/"+p.Roles[j].Name
	})
	sort.Slice(p.RoleBindings, func(i, j int) bool {
		return p.RoleBindings[i].Namespace+"/"+p.RoleBindings[i].Name < p.RoleBindings[j].Namespace+"/"+p.RoleBindings[j].Name
	})
	got, err := json.MarshalIndent(&p, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	const file = "../defaults.json"
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("rbac/defaults.json differs from the API server's default policy; run go test ./rbac/e2e -run TestDefaultPolicy -update")
	}
	if n := len(p.ClusterRoles); n < 50 {
		t.Errorf("only %d default ClusterRoles: the API server's policy was not read", n)
	}
}
