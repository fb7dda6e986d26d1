package rbac_test

import (
	"testing"

	"github.com/kubeharden/kubeharden/rbac"
)

func TestPaths(t *testing.T) {
	e, _ := engineFor(t, rbac.Options{Defaults: true}, "testdata/paths.yaml")
	user := func(n string) rbac.Subject { return rbac.Subject{Kind: rbac.UserKind, Name: n} }
	for _, tt := range []struct {
		from rbac.Subject
		to   rbac.Target
		want string
	}{
		{user("alice"), rbac.ToClusterAdmin, "User alice —[create pods in namespace ci and run pods as the service account via RoleBinding/ci/devs]→ ServiceAccount ci/deployer —[allowed * on * cluster-wide via ClusterRoleBinding/deployer-admin]→ cluster-admin"},
		{user("bob"), rbac.ToSecrets, "User bob —[impersonate the user via ClusterRoleBinding/bob-impersonates]→ User carol —[list secrets in all namespaces via ClusterRoleBinding/carol-secrets]→ secrets"},
		{user("bob"), rbac.ToClusterAdmin, ""},
		{user("eve"), rbac.ToClusterAdmin, "User eve —[create a ClusterRoleBinding to ClusterRole cluster-admin (bind) via ClusterRoleBinding/eve-binds, ClusterRoleBinding/eve-binds]→ Group system:masters —[member of system:masters, which is allowed everything]→ cluster-admin"},
		{user("frank"), rbac.ToClusterAdmin, "User frank —[escalate ClusterRole frank-role (bound to it by ClusterRoleBinding/frank) to allow everything via ClusterRoleBinding/frank, ClusterRoleBinding/frank]→ Group system:masters —[member of system:masters, which is allowed everything]→ cluster-admin"},
		{user("gina"), rbac.ToClusterAdmin, "User gina —[create and approve a client certificate in group system:masters via ClusterRoleBinding/gina, ClusterRoleBinding/gina, ClusterRoleBinding/gina]→ Group system:masters —[member of system:masters, which is allowed everything]→ cluster-admin"},
		{user("harry"), rbac.ToClusterAdmin, "User harry —[impersonate a user in the group via ClusterRoleBinding/harry, ClusterRoleBinding/harry]→ Group system:masters —[member of system:masters, which is allowed everything]→ cluster-admin"},
		{user("ivan"), rbac.ToClusterAdmin, "User ivan —[exec into a running pod of the service account and read its token via RoleBinding/ops/ivan]→ ServiceAccount ops/runner —[allowed * on * cluster-wide via ClusterRoleBinding/runner-admin]→ cluster-admin"},
		{user("judy"), rbac.ToClusterAdmin, ""},
		{user("judy"), rbac.ToSecrets, ""},
		{rbac.Subject{Kind: rbac.ServiceAccountKind, Namespace: "ci", Name: "deployer"}, rbac.ToSecrets, "ServiceAccount ci/deployer —[list secrets in all namespaces via ClusterRoleBinding/deployer-admin]→ secrets"},
	} {
		p := e.Paths(tt.from, tt.to)
		got := ""
		if p != nil {
			got = p.String()
		}
		if got != tt.want {
			t.Errorf("Paths(%s, %s):\n got %s\nwant %s", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestPathsUnknownSubject(t *testing.T) {
	e, _ := engineFor(t, rbac.Options{Defaults: true}, "testdata/paths_everyone.yaml")
	s := e.Searcher(rbac.ToClusterAdmin)
	want := "User zed —[create pods in namespace sandbox and run pods as the service account via RoleBinding/sandbox/everyone-runs-pods]→ ServiceAccount sandbox/builder —[allowed * on * cluster-wide via ClusterRoleBinding/builder-admin]→ cluster-admin"
	if p := s.Find(rbac.Subject{Kind: rbac.UserKind, Name: "zed"}); p == nil || p.String() != want {
		t.Errorf("Find(zed) = %v\nwant %s", p, want)
	}
	if p := s.Find(rbac.Subject{Kind: rbac.UserKind, Name: rbac.Anonymous}); p != nil {
		t.Errorf("Find(system:anonymous) = %s, want none", p)
	}
	// The group itself is a subject of the graph.
	if p := s.Find(rbac.Subject{Kind: rbac.GroupKind, Name: rbac.AllAuthenticated}); p == nil || len(p.Hops) != 2 {
		t.Errorf("Find(system:authenticated) = %v, want 2 hops", p)
	}
}

// TestPathRequests: every hop records one request per grant, each allowed for the hop's
// subject by the engine, and each allowed by the grant paired with it.
func TestPathRequests(t *testing.T) {
	e, _ := engineFor(t, rbac.Options{Defaults: true}, "testdata/paths.yaml")
	hops := 0
	for _, name := range []string{"alice", "bob", "eve", "frank", "gina", "harry", "ivan"} {
		for _, to := range []rbac.Target{rbac.ToClusterAdmin, rbac.ToSecrets} {
			p := e.Paths(rbac.Subject{Kind: rbac.UserKind, Name: name}, to)
			if p == nil {
				continue
			}
			for _, h := range p.Hops {
				hops++
				if len(h.Requests) != len(h.Grants) {
					t.Errorf("%s: hop %q: %d requests for %d grants", name, h.Action, len(h.Requests), len(h.Grants))
					continue
				}
				user, groups := h.From.Principal()
				if h.From.Kind == rbac.GroupKind {
					user, groups = "", []string{h.From.Name, rbac.AllAuthenticated}
				}
				for i, a := range h.Requests {
					if !e.Allowed(user, groups, a) {
						t.Errorf("%s: hop %q: %s may not %s", name, h.Action, h.From, a)
					}
					if !rbac.RuleAllows(h.Grants[i].PolicyRule(), &a) {
						t.Errorf("%s: hop %q: grant %s does not allow %s", name, h.Action, h.Grants[i].Binding, a)
					}
				}
			}
		}
	}
	if hops < 12 {
		t.Errorf("only %d hops checked", hops)
	}
}
