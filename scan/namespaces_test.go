package scan

import (
	"testing"

	"github.com/kubeharden/kubeharden/inventory"
)

func TestNamespacesKeep(t *testing.T) {
	for _, c := range []struct {
		f    Namespaces
		ns   string
		keep bool
	}{
		{Namespaces{}, "shop", true},
		{Namespaces{Include: []string{"team-*"}}, "team-a", true},
		{Namespaces{Include: []string{"team-*"}}, "shop", false},
		{Namespaces{Include: []string{"team-*"}}, ClusterScope, true},
		{Namespaces{Include: []string{"team-*"}, Exclude: []string{"team-b"}}, "team-b", false},
		{Namespaces{Exclude: []string{ClusterScope}}, ClusterScope, false},
		{Namespaces{Exclude: []string{"*"}}, ClusterScope, false},
		{Namespaces{Exclude: []string{"kube-*"}}, ClusterScope, true},
	} {
		if got := c.f.Keep(c.ns); got != c.keep {
			t.Errorf("%+v.Keep(%q) = %v, want %v", c.f, c.ns, got, c.keep)
		}
	}
	if err := (Namespaces{Exclude: []string{"["}}).Validate(); err == nil {
		t.Error("a malformed glob validates")
	}
}

func TestNamespaceOf(t *testing.T) {
	for ref, want := range map[inventory.Ref]string{
		{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "api"}:                        "shop",
		{APIVersion: "apps/v1", Kind: "Deployment", Name: "api"}:                                           inventory.DefaultNamespace,
		{APIVersion: "v1", Kind: "Namespace", Name: "shop"}:                                                "shop",
		{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRoleBinding", Name: "admins"}:           ClusterScope,
		{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration", Name: "x"}: ClusterScope,
	} {
		if got := NamespaceOf(ref); got != want {
			t.Errorf("NamespaceOf(%v) = %q, want %q", ref, got, want)
		}
	}
}
