package e2e

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kubeharden/kubeharden/internal/testcluster"
	"github.com/kubeharden/kubeharden/live"
	"github.com/kubeharden/kubeharden/load"
)

// readerRole reads the ClusterRole shipped in deploy/rbac.yaml, and every object of the file.
func readerRole(t *testing.T) (*rbacv1.ClusterRole, []*unstructured.Unstructured) {
	t.Helper()
	root, err := testcluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	objs, errs := load.Files([]string{filepath.Join(root, "deploy", "rbac.yaml")}, load.Options{})
	if len(errs) > 0 {
		t.Fatalf("deploy/rbac.yaml: %v", errs)
	}
	var role *rbacv1.ClusterRole
	var us []*unstructured.Unstructured
	for _, o := range objs {
		if r, ok := o.Obj.(*rbacv1.ClusterRole); ok {
			role = r
		}
		u, err := testcluster.ToUnstructured(o.Obj)
		if err != nil {
			t.Fatal(err)
		}
		us = append(us, u...)
	}
	if role == nil {
		t.Fatal("deploy/rbac.yaml has no ClusterRole")
	}
	return role, us
}

// TestRBACManifestMatchesLoader keeps deploy/rbac.yaml minimal and complete: exactly get and
// list on exactly the resources the cluster loader reads, and get on /metrics.
func TestRBACManifestMatchesLoader(t *testing.T) {
	role, _ := readerRole(t)
	granted := map[string]bool{}
	metrics := false
	for _, r := range role.Rules {
		if len(r.NonResourceURLs) > 0 {
			// The loader reads /metrics for the deprecated APIs clients call, and nothing else.
			if !reflect.DeepEqual(r.NonResourceURLs, []string{"/metrics"}) || !reflect.DeepEqual(r.Verbs, []string{"get"}) || len(r.Resources)+len(r.APIGroups) > 0 {
				t.Errorf("rule %v: the only non-resource rule needed is get on /metrics", r)
			}
			metrics = true
			continue
		}
		if len(r.ResourceNames) > 0 {
			t.Errorf("rule %v: resource names are not needed", r)
		}
		verbs := append([]string{}, r.Verbs...)
		sort.Strings(verbs)
		if !reflect.DeepEqual(verbs, []string{"get", "list"}) {
			t.Errorf("rule %v: verbs must be exactly get and list", r)
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				name := res
				if g != "" {
					name += "." + g
				}
				if granted[name] {
					t.Errorf("%s granted twice", name)
				}
				granted[name] = true
			}
		}
	}
	for _, r := range live.Resources() {
		if !granted[r.Name()] {
			t.Errorf("deploy/rbac.yaml does not grant %s, which the cluster loader reads", r.Name())
		}
		delete(granted, r.Name())
	}
	for name := range granted {
		t.Errorf("deploy/rbac.yaml grants %s, which the cluster loader never reads", name)
	}
	if !metrics {
		t.Error("deploy/rbac.yaml does not grant get on /metrics")
	}
}

// waitAllowed polls a SubjectAccessReview until user may list pods: a new binding reaches the
// authorizer's cache after a moment.
func waitAllowed(t *testing.T, admin *rest.Config, user string, groups []string) {
	t.Helper()
	cs := kubernetes.NewForConfigOrDie(admin)
	deadline := time.Now().Add(30 * time.Second)
	for {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: user, Groups: groups,
			ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "list", Resource: "pods"},
		}}
		res, err := cs.AuthorizationV1().SubjectAccessReviews().Create(context.Background(), sar, metav1.CreateOptions{})
		if err == nil && res.Status.Allowed {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never allowed to list pods (err %v)", user, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// withoutGrantsToEveryone removes, until the test ends, the bindings that grant something to
// every authenticated (or unauthenticated) user other than the API server's bootstrap ones
// (examples/insecure has one for Secrets): tests of limited access need them gone.
func withoutGrantsToEveryone(t *testing.T, admin *rest.Config) {
	t.Helper()
	ctx := context.Background()
	cs := kubernetes.NewForConfigOrDie(admin)
	everyone := func(subjects []rbacv1.Subject) bool {
		for _, s := range subjects {
			if s.Kind == rbacv1.GroupKind && (s.Name == "system:authenticated" || s.Name == "system:unauthenticated") {
				return true
			}
		}
		return false
	}
	bootstrap := func(m metav1.ObjectMeta) bool { return m.Labels["kubernetes.io/bootstrapping"] == "rbac-defaults" }
	crbs, err := cs.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range crbs.Items {
		if everyone(b.Subjects) && !bootstrap(b.ObjectMeta) {
			if err := cs.RbacV1().ClusterRoleBindings().Delete(ctx, b.Name, metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			b := b
			b.ResourceVersion, b.UID = "", ""
			t.Cleanup(func() {
				if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &b, metav1.CreateOptions{}); err != nil {
					t.Errorf("restore ClusterRoleBinding %s: %v", b.Name, err)
				}
			})
		}
	}
	rbs, err := cs.RbacV1().RoleBindings("").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range rbs.Items {
		if everyone(b.Subjects) && !bootstrap(b.ObjectMeta) {
			if err := cs.RbacV1().RoleBindings(b.Namespace).Delete(ctx, b.Name, metav1.DeleteOptions{}); err != nil {
				t.Fatal(err)
			}
			b := b
			b.ResourceVersion, b.UID = "", ""
			t.Cleanup(func() {
				if _, err := cs.RbacV1().RoleBindings(b.Namespace).Create(ctx, &b, metav1.CreateOptions{}); err != nil {
					t.Errorf("restore RoleBinding %s/%s: %v", b.Namespace, b.Name, err)
				}
			})
		}
	}
}

// waitDenied polls a SubjectAccessReview until user may no longer list secrets.
func waitDenied(t *testing.T, admin *rest.Config, user string) {
	t.Helper()
	cs := kubernetes.NewForConfigOrDie(admin)
	deadline := time.Now().Add(30 * time.Second)
	for {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: user, Groups: []string{"system:authenticated"},
			ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "list", Resource: "secrets"},
		}}
		res, err := cs.AuthorizationV1().SubjectAccessReviews().Create(context.Background(), sar, metav1.CreateOptions{})
		if err == nil && !res.Status.Allowed {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still allowed to list secrets (err %v)", user, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestMinimalRoleHasNoErrors applies deploy/rbac.yaml as shipped, scans as its
// ServiceAccount (with a real token) and expects no permission error, cluster-wide and in one
// namespace.
func TestMinimalRoleHasNoErrors(t *testing.T) {
	c := testcluster.Need(t, tc)
	applyExamples(t, c)
	withoutGrantsToEveryone(t, c.Admin)
	_, objs := readerRole(t)
	ctx := context.Background()
	res, err := testcluster.Apply(ctx, c.Admin, objs, 2)
	if err != nil || len(res.Failed) > 0 || len(res.Unserved) > 0 {
		t.Fatalf("apply deploy/rbac.yaml: %v %v %v", err, res.SortedErrors(), res.Unserved)
	}
	cs := kubernetes.NewForConfigOrDie(c.Admin)
	tok, err := cs.CoreV1().ServiceAccounts("kubeharden").CreateToken(ctx, "kubeharden",
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitAllowed(t, c.Admin, "system:serviceaccount:kubeharden:kubeharden", []string{"system:serviceaccounts", "system:serviceaccounts:kubeharden", "system:authenticated"})
	sa := &rest.Config{Host: c.Admin.Host, TLSClientConfig: rest.TLSClientConfig{CAData: c.Admin.CAData}, BearerToken: tok.Status.Token}
	kc := writeKubeconfig(t, sa)

	for _, args := range [][]string{
		{"scan", "--cluster", "-o", "json", "--fail-on", "none"},
		{"scan", "--cluster", "-n", "shop-api", "-o", "json", "--fail-on", "none"},
	} {
		r := kubeharden(t, kc, args...)
		got := decodeResult(t, r)
		if r.code != 0 || len(got.Errors) > 0 || got.Summary.Incomplete {
			t.Errorf("%v as the deploy/rbac.yaml ServiceAccount: exit %d, errors %v, incomplete %v, stderr:\n%s",
				args, r.code, got.Errors, got.Summary.IncompletePractices, r.stderr)
		}
		if got.Summary.Objects == 0 {
			t.Errorf("%v: no objects read", args)
		}
	}
}

// TestForbiddenSecrets scans as a user whose role lacks secrets: the scan goes on, the error
// names the resource and the missing permission, the practices that read Secrets are
// incomplete, and the exit code is 2. A snapshot taken with the same access carries all of it.
func TestForbiddenSecrets(t *testing.T) {
	c := testcluster.Need(t, tc)
	applyExamples(t, c)
	withoutGrantsToEveryone(t, c.Admin)
	role, _ := readerRole(t)
	ctx := context.Background()
	cs := kubernetes.NewForConfigOrDie(c.Admin)

	limited := role.DeepCopy()
	limited.ObjectMeta = metav1.ObjectMeta{Name: "e2e-reader-without-secrets"}
	for i := range limited.Rules {
		limited.Rules[i].Resources = slices.DeleteFunc(limited.Rules[i].Resources, func(r string) bool { return r == "secrets" })
	}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, limited, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "e2e-reader-without-secrets"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: limited.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "no-secrets"}},
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.RbacV1().ClusterRoleBindings().Delete(ctx, binding.Name, metav1.DeleteOptions{})
		_ = cs.RbacV1().ClusterRoles().Delete(ctx, limited.Name, metav1.DeleteOptions{})
	})
	user, err := c.User("no-secrets")
	if err != nil {
		t.Fatal(err)
	}
	waitAllowed(t, c.Admin, "no-secrets", nil)
	waitDenied(t, c.Admin, "no-secrets")
	kc := writeKubeconfig(t, user)

	r := kubeharden(t, kc, "scan", "--cluster", "-o", "json", "--fail-on", "none")
	got := decodeResult(t, r)
	if r.code != 2 {
		t.Errorf("exit %d, want 2; stderr:\n%s\nstdout:\n%.3000s", r.code, r.stderr, r.stdout)
	}
	if len(got.Errors) != 1 {
		t.Fatalf("errors %v, want exactly one for secrets", got.Errors)
	}
	e := got.Errors[0]
	want := `forbidden: cannot list secrets in all namespaces (needs "list" on "secrets")`
	if e.Resource != "secrets" || e.Message != want || e.File != "" {
		t.Errorf("error %+v, want resource secrets, message %q", e, want)
	}
	// Practices follow from the checks that read Secrets (check.Set.Kinds): the RBAC
	// escalation search, image exposure and attack paths read them too.
	if want := []string{"secrets", "rbac", "ingress", "images", "attack"}; !reflect.DeepEqual(got.Summary.IncompletePractices, want) {
		t.Errorf("incomplete %v, want %v", got.Summary.IncompletePractices, want)
	}
	if got.Summary.Objects == 0 {
		t.Error("nothing else was read")
	}

	// The same read, offline.
	snap := filepath.Join(t.TempDir(), "cluster.yaml")
	s := kubeharden(t, kc, "snapshot", "--file", snap)
	if s.code != 2 || !strings.Contains(string(s.stderr), want) {
		t.Errorf("snapshot: exit %d, stderr %q; want 2 and the error", s.code, s.stderr)
	}
	off := kubeharden(t, "", "scan", snap, "-o", "json", "--fail-on", "none")
	offRes := decodeResult(t, off)
	if off.code != 2 || !reflect.DeepEqual(offRes.Errors, got.Errors) || !reflect.DeepEqual(offRes.Summary.IncompletePractices, got.Summary.IncompletePractices) {
		t.Errorf("scan of the snapshot: exit %d, errors %v, incomplete %v; want 2, %v, %v",
			off.code, offRes.Errors, offRes.Summary.IncompletePractices, got.Errors, got.Summary.IncompletePractices)
	}
	if d := diffFindings(got.Findings, offRes.Findings); d != "" {
		t.Errorf("snapshot findings differ (- live, + snapshot):\n%s", d)
	}
}

// TestNamespaceOnlyAccess scans one namespace as a user who may read only that namespace:
// every namespaced kind reads, the cluster-scoped kinds are reported, one error each.
func TestNamespaceOnlyAccess(t *testing.T) {
	c := testcluster.Need(t, tc)
	withoutGrantsToEveryone(t, c.Admin)
	role, _ := readerRole(t)
	ctx := context.Background()
	cs := kubernetes.NewForConfigOrDie(c.Admin)
	ns := c.Namespace(t, "e2e-nsonly", nil)

	cr := role.DeepCopy()
	cr.ObjectMeta = metav1.ObjectMeta{Name: "e2e-nsonly-reader"}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, cr, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.RbacV1().ClusterRoles().Delete(ctx, cr.Name, metav1.DeleteOptions{}) })
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "reader", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: cr.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "ns-only"}},
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	user, err := c.User("ns-only")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: "ns-only",
			ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "list", Resource: "pods", Namespace: ns}}}
		res, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
		if err == nil && res.Status.Allowed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("binding never took effect")
		}
		time.Sleep(100 * time.Millisecond)
	}
	r := kubeharden(t, writeKubeconfig(t, user), "scan", "--cluster", "-n", ns, "-o", "json", "--fail-on", "none")
	got := decodeResult(t, r)
	if r.code != 2 {
		t.Errorf("exit %d, want 2", r.code)
	}
	var resources []string
	for _, e := range got.Errors {
		resources = append(resources, e.Resource)
		if !strings.Contains(e.Message, "at cluster scope") || !strings.HasPrefix(e.Message, "forbidden: ") {
			t.Errorf("error %+v: want a forbidden cluster-scope list", e)
		}
	}
	for _, r := range live.Resources() {
		if !r.Namespaced && !r.Custom && r.Resource != "namespaces" && !slices.Contains(resources, r.Name()) {
			t.Errorf("no error for cluster-scoped %s", r.Name())
		}
		if r.Namespaced && slices.Contains(resources, r.Name()) {
			t.Errorf("namespaced %s reported although the namespace is readable", r.Name())
		}
	}
	if slices.Contains(resources, "namespaces") {
		t.Errorf("the namespace itself should be readable through the RoleBinding: %v", got.Errors)
	}
}
