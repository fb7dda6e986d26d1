package review_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeharden/kubeharden/audit"
	"github.com/kubeharden/kubeharden/audit/audittest"
	"github.com/kubeharden/kubeharden/rbac"
	"github.com/kubeharden/kubeharden/rbac/review"
)

func sa(ns, name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}
}

func user(name string) rbacv1.Subject {
	return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}
}

func objects() rbac.Objects {
	crRef := func(n string) rbacv1.RoleRef {
		return rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: n}
	}
	return rbac.Objects{
		Roles: []*rbacv1.Role{{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "app-role"}, Rules: []rbacv1.PolicyRule{
			{Verbs: []string{"get", "list", "create", "delete"}, APIGroups: []string{""}, Resources: []string{"pods", "configmaps", "secrets"}},
		}}},
		ClusterRoles: []*rbacv1.ClusterRole{
			{ObjectMeta: metav1.ObjectMeta{Name: "cluster-admin", Labels: map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"}},
				Rules: []rbacv1.PolicyRule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}, {Verbs: []string{"*"}, NonResourceURLs: []string{"*"}}}},
			{ObjectMeta: metav1.ObjectMeta{Name: "shared-reader"}, Rules: []rbacv1.PolicyRule{
				{Verbs: []string{"get", "list", "watch"}, APIGroups: []string{""}, Resources: []string{"pods", "services"}},
				{Verbs: []string{"get", "list", "watch"}, APIGroups: []string{"apps"}, Resources: []string{"deployments"}},
			}},
		},
		RoleBindings: []*rbacv1.RoleBinding{
			{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "app"}, Subjects: []rbacv1.Subject{sa("shop", "api"), sa("shop", "idle")},
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "app-role"}},
			{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "unused"}, Subjects: []rbacv1.Subject{user("carol")},
				RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "app-role"}},
			{ObjectMeta: metav1.ObjectMeta{Namespace: "dev", Name: "r1"}, Subjects: []rbacv1.Subject{user("alice")}, RoleRef: crRef("shared-reader")},
			{ObjectMeta: metav1.ObjectMeta{Namespace: "dev", Name: "r2"}, Subjects: []rbacv1.Subject{user("bob")}, RoleRef: crRef("shared-reader")},
		},
		ClusterRoleBindings: []*rbacv1.ClusterRoleBinding{
			{ObjectMeta: metav1.ObjectMeta{Name: "ci-admin"}, Subjects: []rbacv1.Subject{sa("ci", "builder")}, RoleRef: crRef("cluster-admin")},
		},
	}
}

func writeLog(t *testing.T, evs ...audittest.Event) string {
	var b bytes.Buffer
	for i, e := range evs {
		e.Time = time.Date(2026, 12, 1, 10, 0, i, 0, time.UTC)
		if e.URI == "" {
			e.URI = audittest.URI(e.Group, "", e.Resource, e.Subresource, e.NS, e.Name, e.Verb == "watch")
		}
		if e.Decision == "" {
			e.Decision = "allow"
		}
		if strings.HasPrefix(e.User, "system:serviceaccount:") && e.Groups == nil {
			ns := strings.Split(e.User, ":")[2]
			e.Groups = []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}
		}
		b.Write(audittest.Line(e))
	}
	f := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(f, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

const (
	api     = "system:serviceaccount:shop:api"
	builder = "system:serviceaccount:ci:builder"
)

func TestReview(t *testing.T) {
	auth := []string{"system:authenticated"}
	log := writeLog(t,
		audittest.Event{User: api, Verb: "get", Resource: "pods", NS: "shop", Name: "web-1"},
		audittest.Event{User: api, Verb: "list", Resource: "configmaps", NS: "shop"},
		audittest.Event{User: api, Verb: "create", Resource: "configmaps", NS: "shop", Name: "cfg"},
		audittest.Event{User: api, Verb: "list", Resource: "nodes", Decision: "forbid", Code: 403},
		audittest.Event{User: "admin", Groups: []string{"system:masters", "system:authenticated"}, ImpersonatedUser: api,
			ImpersonatedGroups: []string{"system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated"},
			Verb:               "get", Resource: "configmaps", NS: "shop", Name: "cfg"},
		audittest.Event{User: builder, Verb: "get", Resource: "secrets", NS: "ci", Name: "token"},
		audittest.Event{User: builder, Verb: "list", Resource: "pods"},
		audittest.Event{User: "alice", Groups: auth, Verb: "get", Resource: "pods", NS: "dev", Name: "p"},
		audittest.Event{User: "alice", Groups: auth, Verb: "list", Resource: "services", NS: "dev"},
		audittest.Event{User: "bob", Groups: auth, Verb: "get", Resource: "pods", NS: "dev", Name: "q"},
	)
	e := rbac.New(objects())
	ev := review.Collect([]string{log}, e, audit.Options{})
	if len(ev.Errors) > 0 {
		t.Fatal(ev.Errors)
	}
	rep := review.Review(e, ev)
	if !rep.Verified {
		t.Fatalf("not verified: %v", rep.Problems)
	}
	by := map[string]*review.Subject{}
	var order []string
	for _, s := range rep.Subjects {
		by[s.Subject.String()] = s
		order = append(order, s.Subject.String())
	}
	if order[0] != "ServiceAccount ci/builder" && order[1] != "User admin" {
		t.Errorf("order %v: cluster-admin equivalents first", order)
	}
	apiRev := by["ServiceAccount shop/api"]
	if got := perms(apiRev.Used); got != "create configmaps -n shop; get configmaps -n shop; list configmaps -n shop; get pods -n shop" {
		t.Errorf("api used: %s", got)
	}
	if got := perms(apiRev.Unused); got != "delete configmaps -n shop; create pods -n shop; delete pods -n shop; list pods -n shop; create secrets -n shop; delete secrets -n shop; get secrets -n shop; list secrets -n shop" {
		t.Errorf("api unused: %s", got)
	}
	if got := perms(apiRev.Denied); got != "list nodes (all namespaces)" {
		t.Errorf("api denied: %s", got)
	}
	if len(apiRev.ImpersonatedBy) != 1 || apiRev.ImpersonatedBy[0].User != "admin" {
		t.Errorf("impersonated by %v", apiRev.ImpersonatedBy)
	}
	if a := by["User admin"]; a == nil || a.Risk.Level != "cluster-admin" || !strings.Contains(perms(a.Used), "impersonate serviceaccounts -n shop names=api") {
		t.Errorf("admin: %+v", a)
	}
	if idle := by["ServiceAccount shop/idle"]; idle.Active || len(idle.Unused) != 12 || idle.Bindings[0].Used {
		t.Errorf("idle: active %v, %d unused, bindings %+v", idle.Active, len(idle.Unused), idle.Bindings)
	}
	var actions []string
	for _, c := range rep.Changes {
		actions = append(actions, c.Action+" "+c.Target)
	}
	want := []string{
		"split-role ClusterRoleBinding/ci-admin",
		"narrow-role ClusterRole/shared-reader",
		"split-role RoleBinding/dev/r2",
		"remove-binding RoleBinding/shop/unused",
		"narrow-role Role/shop/app-role",
		"remove-subjects RoleBinding/shop/app",
	}
	if strings.Join(actions, "\n") != strings.Join(want, "\n") {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(actions, "\n"), strings.Join(want, "\n"))
	}
	for _, c := range rep.Changes {
		t.Logf("%s %s: %s\n%s", c.Action, c.Target, c.Reason, c.Apply)
	}

	// The changes applied: every request allowed, the removed ones denied.
	ne := rbac.New(review.Apply(e, rep.Changes))
	for _, u := range ev.Requests {
		if !u.Denied && !ne.Allowed(u.User, u.Groups, u.RBAC()) {
			t.Errorf("%s by %s denied after the changes", u.RBAC(), u.User)
		}
	}
	apiUser, apiGroups := rbac.Subject{Kind: "ServiceAccount", Namespace: "shop", Name: "api"}.Principal()
	for _, p := range apiRev.Unused {
		a := rbac.Attributes{Verb: p.Verb, Resource: p.Resource, Namespace: p.Namespace}
		if ne.Allowed(apiUser, apiGroups, a) {
			t.Errorf("%s still allowed to api", a)
		}
	}
	bu, bg := rbac.Subject{Kind: "ServiceAccount", Namespace: "ci", Name: "builder"}.Principal()
	for _, a := range []rbac.Attributes{{Verb: "delete", Resource: "pods", Namespace: "x"}, {Verb: "get", Resource: "secrets", Namespace: "other"}, {Verb: "get", Resource: "configmaps", Namespace: "ci"}} {
		if !e.Allowed(bu, bg, a) || ne.Allowed(bu, bg, a) {
			t.Errorf("builder %s: before %v after %v, want true then false", a, e.Allowed(bu, bg, a), ne.Allowed(bu, bg, a))
		}
	}
	if ne.Allowed("carol", []string{"system:authenticated"}, rbac.Attributes{Verb: "get", Resource: "pods", Namespace: "shop"}) {
		t.Error("carol still allowed")
	}
	if !ne.Allowed("bob", nil, rbac.Attributes{Verb: "get", Resource: "pods", Namespace: "dev"}) ||
		ne.Allowed("bob", nil, rbac.Attributes{Verb: "list", Resource: "services", Namespace: "dev"}) {
		t.Error("bob: want get pods only")
	}
}

func perms(ps []review.Permission) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.String())
	}
	return strings.Join(s, "; ")
}
