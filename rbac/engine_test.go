package rbac_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/rbac"
	"github.com/kubeharden/kubeharden/rbac/rbactest"
)

func TestAllowed(t *testing.T) {
	e, _ := engineFor(t, rbac.Options{}, "testdata/engine.yaml")
	builder, builderGroups := rbac.Subject{Kind: rbac.ServiceAccountKind, Namespace: "dev", Name: "builder"}.Principal()
	deployer := rbac.ServiceAccountUser("prod", "deployer")
	getPods := func(ns string) rbac.Attributes { return rbac.Attributes{Verb: "get", Resource: "pods", Namespace: ns} }
	tests := []struct {
		user   string
		groups []string
		a      rbac.Attributes
		want   bool
	}{
		{"alice", nil, getPods("dev"), true},
		{"alice", nil, getPods("prod"), false},
		{"alice", nil, getPods(""), false}, // all namespaces: only ClusterRoleBindings count
		{"alice", nil, rbac.Attributes{Verb: "get", Resource: "pods", Subresource: "log", Namespace: "dev", Name: "x"}, true},
		{"alice", nil, rbac.Attributes{Verb: "get", Path: "/healthz"}, false}, // non-resource rules need a ClusterRoleBinding
		{builder, builderGroups, getPods("dev"), true},
		{builder, builderGroups, getPods("prod"), false},
		{deployer, nil, getPods("dev"), true}, // a subject from another namespace, granted in dev
		{deployer, nil, getPods("prod"), false},
		{"dave", []string{"ops"}, rbac.Attributes{Verb: "get", Resource: "nodes"}, true},
		{"dave", []string{"ops"}, rbac.Attributes{Verb: "get", Resource: "nodes", Namespace: "dev"}, true},
		{"dave", nil, rbac.Attributes{Verb: "get", Resource: "nodes"}, false},
		{rbac.ServiceAccountUser("dev", "lost"), nil, rbac.Attributes{Verb: "get", Resource: "nodes"}, false},
		{"bob", nil, rbac.Attributes{Verb: "get", Resource: "secrets", Namespace: "dev", Name: "tls"}, true},
		{"bob", nil, rbac.Attributes{Verb: "get", Resource: "secrets", Namespace: "dev", Name: "db"}, false},
		{"bob", nil, rbac.Attributes{Verb: "list", Resource: "secrets", Namespace: "dev"}, false},
		{"bob", nil, rbac.Attributes{Verb: "get", Resource: "secrets", Namespace: "prod", Name: "tls"}, false},
		{"carol", nil, getPods("dev"), false},
		{"mallory", []string{rbac.Masters}, rbac.Attributes{Verb: "*", APIGroup: "*", Resource: "*"}, true},
	}
	for _, tt := range tests {
		if got := e.Allowed(tt.user, tt.groups, tt.a); got != tt.want {
			t.Errorf("Allowed(%q, %q, %s) = %v, want %v", tt.user, tt.groups, tt.a, got, tt.want)
		}
	}
}

func grantsString(gs []rbac.Grant) string {
	var s []string
	for _, g := range gs {
		s = append(s, fmt.Sprintf("%s via %s", g.Subject, g.Binding))
	}
	return strings.Join(s, "; ")
}

func TestWhoCan(t *testing.T) {
	e, _ := engineFor(t, rbac.Options{}, "testdata/engine.yaml")
	for _, tt := range []struct {
		a    rbac.Attributes
		want string
	}{
		{rbac.Attributes{Verb: "list", Resource: "pods", Namespace: "dev"},
			"ServiceAccount dev/builder via RoleBinding/dev/readers; ServiceAccount prod/deployer via RoleBinding/dev/readers; User alice via RoleBinding/dev/readers"},
		{rbac.Attributes{Verb: "list", Resource: "pods", Namespace: "prod"}, ""},
		{rbac.Attributes{Verb: "get", Resource: "nodes"}, "Group ops via ClusterRoleBinding/node-readers"},
		{rbac.Attributes{Verb: "get", Resource: "secrets", Namespace: "dev", Name: "tls"}, "User bob via RoleBinding/dev/tls"},
		{rbac.Attributes{Verb: "get", Resource: "secrets", Namespace: "dev"}, ""},
		{rbac.Attributes{Verb: "get", Path: "/healthz"}, ""},
	} {
		if got := grantsString(e.WhoCan(tt.a)); got != tt.want {
			t.Errorf("WhoCan(%s) = %s\nwant %s", tt.a, got, tt.want)
		}
	}
	got := grantsString(e.Holders(rbac.Attributes{Verb: "list", Resource: "pods"}))
	if want := "ServiceAccount dev/builder via RoleBinding/dev/readers; ServiceAccount prod/deployer via RoleBinding/dev/readers; User alice via RoleBinding/dev/readers"; got != want {
		t.Errorf("Holders(list pods) = %s\nwant %s", got, want)
	}
}

func TestPermissions(t *testing.T) {
	e, _ := engineFor(t, rbac.Options{}, "testdata/engine.yaml")
	p := e.Permissions(rbac.Subject{Kind: rbac.ServiceAccountKind, Namespace: "prod", Name: "deployer"})
	if len(p) != 1 || len(p["dev"]) != 2 {
		t.Fatalf("Permissions(deployer) = %v, want the two pod-reader rules in dev", p)
	}
	if g := p["dev"][0]; g.Role.Name != "pod-reader" || g.Binding.Name != "readers" {
		t.Errorf("grant %s via %s", g.Role, g.Binding)
	}
	if p := e.Permissions(rbac.Subject{Kind: rbac.UserKind, Name: "carol"}); len(p) != 0 {
		t.Errorf("Permissions(carol) = %v, want none (dangling binding)", p)
	}
}

// TestQueriesAgree checks, over random objects and requests, that WhoCan, Holders and
// Permissions answer as Allowed does for every subject.
func TestQueriesAgree(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		g := rbactest.New(seed)
		e := rbac.New(g.Objects(300))
		subjects := append(e.Subjects(), rbac.Subject{Kind: rbac.UserKind, Name: "nobody"})
		perms := make([]map[string][]rbac.Grant, len(subjects))
		for i, s := range subjects {
			user, groups := s.Principal()
			if s.Kind == rbac.GroupKind {
				user = "nobody"
			}
			perms[i] = e.PermissionsOf(user, groups)
		}
		for range 300 {
			a := g.Attributes()
			who := e.WhoCan(a)
			for i, s := range subjects {
				user, groups := s.Principal()
				if s.Kind == rbac.GroupKind {
					user = "nobody"
				}
				// Allowed for the subject's principal (its implicit groups included) versus a
				// grant to the subject or to one of its groups.
				listed := false
				for _, gr := range who {
					listed = listed || gr.Subject.Matches(user, groups)
				}
				if got := e.Allowed(user, groups, a); got != listed {
					t.Fatalf("seed %d: Allowed(%q, %q, %s) = %v but WhoCan lists it: %v", seed, user, groups, a, got, listed)
				}
				perm := false
				for ns, gs := range perms[i] {
					if ns != "" && (ns != a.Namespace || a.NonResource()) {
						continue
					}
					for _, gr := range gs {
						perm = perm || rbac.RuleAllows(gr.PolicyRule(), &a)
					}
				}
				if got := e.Allowed(user, groups, a); got != perm {
					t.Fatalf("seed %d: Allowed(%q, %q, %s) = %v but Permissions say %v", seed, user, groups, a, got, perm)
				}
			}
			if a.NonResource() {
				continue
			}
			// Holders: the ClusterRoleBinding grants of a cluster-wide request plus, for each
			// RoleBinding grant, a grant in its namespace.
			for _, h := range e.Holders(a) {
				b := a
				b.Namespace = h.Binding.Namespace
				user, groups := h.Subject.Principal()
				if h.Subject.Kind == rbac.GroupKind {
					user = "nobody"
				}
				if !e.Allowed(user, groups, b) {
					t.Fatalf("seed %d: Holders(%s) lists %s via %s, but it is not allowed in %q", seed, a, h.Subject, h.Binding, b.Namespace)
				}
			}
		}
	}
}
