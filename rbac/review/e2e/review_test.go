// Package e2e proves `kubeharden rbac review` against a real kube-apiserver writing a real
// audit log: the used and unused permissions it reports are those the test exercised, and
// its proposed changes, applied to the cluster, keep every request allowed and deny every
// removed permission, as SubjectAccessReviews say.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/kubeharden/kubeharden/internal/cli"
	"github.com/kubeharden/kubeharden/internal/testcluster"
	"github.com/kubeharden/kubeharden/rbac"
	"github.com/kubeharden/kubeharden/rbac/review"
)

var (
	tc       *testcluster.Cluster
	auditDir string
)

const policy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
- level: Metadata
`

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kubeharden-audit-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	auditDir = filepath.Join(dir, "log")
	if err := os.MkdirAll(auditDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := os.WriteFile(filepath.Join(dir, "policy.yaml"), []byte(policy), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := testcluster.Main(m, &tc, testcluster.Options{
		AuditPolicy: filepath.Join(dir, "policy.yaml"),
		AuditLog:    filepath.Join(auditDir, "audit.log"),
	})
	os.RemoveAll(dir)
	os.Exit(code)
}

// req is one request the test makes, and how the authorizer sees it.
type req struct {
	user string // as authorized: the impersonated user when impersonating
	a    rbac.Attributes
}

const (
	nsA = "review-a"
	nsB = "review-b"
)

func saUser(ns, name string) string { return rbac.ServiceAccountUser(ns, name) }

func TestReviewFromAuditLog(t *testing.T) {
	c := testcluster.Need(t, tc)
	ctx := context.Background()
	admin := kubernetes.NewForConfigOrDie(c.Admin)

	// The RBAC under review.
	role := func(ns, name string, rules ...rbacv1.PolicyRule) {
		_, err := admin.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}, metav1.CreateOptions{})
		must(t, err)
	}
	sa := func(ns, name string) rbacv1.Subject {
		return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: name}
	}
	rb := func(ns, name string, ref rbacv1.RoleRef, subjects ...rbacv1.Subject) {
		_, err := admin.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef: ref, Subjects: subjects}, metav1.CreateOptions{})
		must(t, err)
	}
	for _, ns := range []string{nsA, nsB} {
		_, err := admin.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
		must(t, err)
	}
	for _, s := range []rbacv1.Subject{sa(nsA, "broad"), sa(nsA, "idle"), sa(nsA, "imp"), sa(nsB, "wide")} {
		_, err := admin.CoreV1().ServiceAccounts(s.Namespace).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: s.Name}}, metav1.CreateOptions{})
		must(t, err)
	}
	broadVerbs, broadRes := []string{"get", "list", "create", "delete"}, []string{"pods", "configmaps", "secrets"}
	role(nsA, "broad", rbacv1.PolicyRule{Verbs: broadVerbs, APIGroups: []string{""}, Resources: broadRes})
	roleRef := func(kind, name string) rbacv1.RoleRef {
		return rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: name}
	}
	rb(nsA, "broad", roleRef("Role", "broad"), sa(nsA, "broad"), sa(nsA, "idle"))
	impVerbs, impRes := []string{"get", "list", "watch", "update"}, []string{"configmaps", "secrets"}
	role(nsA, "imp", rbacv1.PolicyRule{Verbs: impVerbs, APIGroups: []string{""}, Resources: impRes})
	rb(nsA, "imp", roleRef("Role", "imp"), sa(nsA, "imp"))
	_, err := admin.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "review-impersonate"},
		Rules: []rbacv1.PolicyRule{{Verbs: []string{"impersonate"}, APIGroups: []string{""}, Resources: []string{"serviceaccounts"}, ResourceNames: []string{"imp"}}}},
		metav1.CreateOptions{})
	must(t, err)
	rb(nsA, "jane-impersonates", roleRef("ClusterRole", "review-impersonate"), rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "jane"})
	_, err = admin.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "review-wide"},
		RoleRef: roleRef("ClusterRole", "cluster-admin"), Subjects: []rbacv1.Subject{sa(nsB, "wide")}}, metav1.CreateOptions{})
	must(t, err)

	// Callers: service accounts with their tokens, and jane (a client certificate)
	// impersonating the service account imp.
	token := func(ns, name string) *kubernetes.Clientset {
		tr, err := admin.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		must(t, err)
		cfg := rest.AnonymousClientConfig(c.Admin)
		cfg.BearerToken = tr.Status.Token
		return kubernetes.NewForConfigOrDie(cfg)
	}
	broad, wide := token(nsA, "broad"), token(nsB, "wide")
	janeCfg, err := c.User("jane")
	must(t, err)
	janeCfg.Impersonate = rest.ImpersonationConfig{UserName: saUser(nsA, "imp")}
	asImp := kubernetes.NewForConfigOrDie(janeCfg)

	// RBAC takes effect a moment after it is written.
	waitAllowed(t, admin, saUser(nsA, "broad"), rbac.ServiceAccountGroups(nsA), rbac.Attributes{Verb: "get", Resource: "pods", Namespace: nsA}, true)
	waitAllowed(t, admin, "jane", []string{rbac.AllAuthenticated}, rbac.Attributes{Verb: "impersonate", Resource: "serviceaccounts", Namespace: nsA, Name: "imp"}, true)
	waitAllowed(t, admin, saUser(nsB, "wide"), rbac.ServiceAccountGroups(nsB), rbac.Attributes{Verb: "list", Resource: "pods", Namespace: nsB}, true)

	// The requests. Not-found answers are authorized requests all the same.
	var made []req
	do := func(user string, a rbac.Attributes, err error, wantErr func(error) bool) {
		t.Helper()
		if (err != nil) != (wantErr != nil) || (err != nil && !wantErr(err)) {
			t.Fatalf("%s by %s: %v", a, user, err)
		}
		made = append(made, req{user, a})
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c1"}}
	_, err = broad.CoreV1().ConfigMaps(nsA).Create(ctx, cm, metav1.CreateOptions{})
	do(saUser(nsA, "broad"), rbac.Attributes{Verb: "create", Resource: "configmaps", Namespace: nsA}, err, nil)
	_, err = broad.CoreV1().ConfigMaps(nsA).Get(ctx, "c1", metav1.GetOptions{})
	do(saUser(nsA, "broad"), rbac.Attributes{Verb: "get", Resource: "configmaps", Namespace: nsA, Name: "c1"}, err, nil)
	_, err = broad.CoreV1().ConfigMaps(nsA).List(ctx, metav1.ListOptions{})
	do(saUser(nsA, "broad"), rbac.Attributes{Verb: "list", Resource: "configmaps", Namespace: nsA}, err, nil)
	_, err = broad.CoreV1().ConfigMaps(nsA).List(ctx, metav1.ListOptions{})
	do(saUser(nsA, "broad"), rbac.Attributes{Verb: "list", Resource: "configmaps", Namespace: nsA}, err, nil)
	_, err = broad.CoreV1().Pods(nsA).Get(ctx, "nope", metav1.GetOptions{})
	do(saUser(nsA, "broad"), rbac.Attributes{Verb: "get", Resource: "pods", Namespace: nsA, Name: "nope"}, err, apierrors.IsNotFound)
	_, err = broad.CoreV1().Nodes().List(ctx, metav1.ListOptions{}) // denied: reported, never used
	if !apierrors.IsForbidden(err) {
		t.Fatalf("list nodes by broad: %v, want forbidden", err)
	}
	_, err = asImp.CoreV1().ConfigMaps(nsA).List(ctx, metav1.ListOptions{})
	do(saUser(nsA, "imp"), rbac.Attributes{Verb: "list", Resource: "configmaps", Namespace: nsA}, err, nil)
	_, err = asImp.CoreV1().Secrets(nsA).Get(ctx, "s1", metav1.GetOptions{})
	do(saUser(nsA, "imp"), rbac.Attributes{Verb: "get", Resource: "secrets", Namespace: nsA, Name: "s1"}, err, apierrors.IsNotFound)
	_, err = wide.CoreV1().Pods(nsB).List(ctx, metav1.ListOptions{})
	do(saUser(nsB, "wide"), rbac.Attributes{Verb: "list", Resource: "pods", Namespace: nsB}, err, nil)
	_, err = wide.CoreV1().Secrets(nsB).Get(ctx, "s2", metav1.GetOptions{})
	do(saUser(nsB, "wide"), rbac.Attributes{Verb: "get", Resource: "secrets", Namespace: nsB, Name: "s2"}, err, apierrors.IsNotFound)
	_, err = wide.CoreV1().Namespaces().Get(ctx, nsB, metav1.GetOptions{})
	// The authorizer sees a namespace's own name as the request's namespace too.
	do(saUser(nsB, "wide"), rbac.Attributes{Verb: "get", Resource: "namespaces", Namespace: nsB, Name: nsB}, err, nil)

	// The events reach the log when each request ends: wait for a marker after the last.
	_, _ = admin.CoreV1().ConfigMaps(nsA).Get(ctx, "audit-marker", metav1.GetOptions{})
	waitLog(t, "audit-marker")

	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	must(t, testcluster.WriteKubeConfig(kubeconfig, c.Admin))
	var out, errb bytes.Buffer
	code := cli.Main([]string{"rbac", "review", "--audit-log", auditDir, "--cluster", "--kubeconfig", kubeconfig, "-o", "json", "--since", "1h"},
		strings.NewReader(""), &out, &errb)
	if code != 1 {
		t.Fatalf("rbac review: exit %d (want 1: unused permissions): %s", code, errb.String())
	}
	var subjects []review.Subject
	must(t, json.Unmarshal(out.Bytes(), &subjects))
	by := map[string]*review.Subject{}
	var order []string
	for i := range subjects {
		s := &subjects[i]
		by[s.Subject.String()] = s
		if strings.HasPrefix(s.Subject.Namespace, "review-") || s.Subject.Name == "jane" {
			order = append(order, s.Subject.String())
		}
	}
	t.Logf("review order (test subjects): %v", order)
	if len(order) == 0 || order[0] != "ServiceAccount review-b/wide" {
		t.Errorf("the cluster-admin subject must come first: %v", order)
	}

	// Used: exactly the requests made, counted; unused: exactly the rest of each role.
	wantUsed := map[string]map[string]int{}
	for _, m := range made {
		s := subjectOf(m.user).String()
		if wantUsed[s] == nil {
			wantUsed[s] = map[string]int{}
		}
		a := m.a
		a.Name = ""
		wantUsed[s][a.String()]++
	}
	wantUsed["User jane"] = map[string]int{"impersonate serviceaccounts -n review-a names=imp": 2}
	wantUsed["ServiceAccount review-a/idle"] = map[string]int{}
	for s, want := range wantUsed {
		got := map[string]int{}
		rv := by[s]
		if rv == nil {
			t.Errorf("%s: not in the review", s)
			continue
		}
		for _, p := range rv.Used {
			k := p.String()
			if len(p.ResourceNames) == 0 {
				k = strings.TrimSuffix(k, " (all namespaces)")
			}
			got[k] += p.Count
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s used:\n got %v\nwant %v", s, got, want)
		}
	}
	unused := func(verbs, res []string, ns string, used map[string]int) []string {
		var out []string
		for _, v := range verbs {
			for _, r := range res {
				a := rbac.Attributes{Verb: v, Resource: r, Namespace: ns}.String()
				if used[a] == 0 {
					out = append(out, a)
				}
			}
		}
		sort.Strings(out)
		return out
	}
	wantUnused := map[string][]string{
		"ServiceAccount review-a/broad": unused(broadVerbs, broadRes, nsA, wantUsed["ServiceAccount review-a/broad"]),
		"ServiceAccount review-a/idle":  unused(broadVerbs, broadRes, nsA, nil),
		"ServiceAccount review-a/imp":   unused(impVerbs, impRes, nsA, wantUsed["ServiceAccount review-a/imp"]),
		"User jane":                     nil,
	}
	for s, want := range wantUnused {
		var got []string
		for _, p := range by[s].Unused {
			got = append(got, p.String())
		}
		sort.Strings(got)
		if strings.Join(got, "; ") != strings.Join(want, "; ") {
			t.Errorf("%s unused:\n got %v\nwant %v", s, got, want)
		}
	}
	if by["ServiceAccount review-a/idle"].Active || by["ServiceAccount review-a/idle"].Bindings[0].Used {
		t.Errorf("idle: %+v", by["ServiceAccount review-a/idle"])
	}
	if d := by["ServiceAccount review-a/broad"].Denied; len(d) != 1 || d[0].String() != "list nodes (all namespaces)" {
		t.Errorf("broad denied: %+v", d)
	}
	if ib := by["ServiceAccount review-a/imp"].ImpersonatedBy; len(ib) != 1 || ib[0].User != "jane" || ib[0].Requests != 2 {
		t.Errorf("imp impersonated by %+v", ib)
	}
	if w := by["ServiceAccount review-b/wide"]; w.Risk.Level != "cluster-admin" || len(w.Broader) == 0 {
		t.Errorf("wide: risk %+v, broader %v", w.Risk, w.Broader)
	}

	// Apply every proposed change, as kubectl delete and kubectl apply would.
	seen := map[string]bool{}
	applied := 0
	for _, s := range subjects {
		if !s.Suggestion.Verified {
			t.Errorf("%s: suggestion not verified: %v", s.Subject, s.Suggestion.Problems)
		}
		for _, ch := range s.Suggestion.Changes {
			if seen[ch.Action+ch.Target] {
				continue
			}
			seen[ch.Action+ch.Target] = true
			t.Logf("applying %s %s: %s", ch.Action, ch.Target, ch.Reason)
			apply(ctx, t, admin, ch)
			applied++
		}
	}
	if applied == 0 {
		t.Fatal("no change proposed")
	}

	// Every request made is still allowed; every permission not used is denied.
	for _, m := range made {
		user, groups := principal(m.user)
		waitAllowed(t, admin, user, groups, m.a, true)
	}
	waitAllowed(t, admin, "jane", []string{rbac.AllAuthenticated}, rbac.Attributes{Verb: "impersonate", Resource: "serviceaccounts", Namespace: nsA, Name: "imp"}, true)
	denied := map[string][]rbac.Attributes{}
	for s, list := range wantUnused {
		for _, u := range list {
			parts := strings.Fields(u) // "VERB RESOURCE -n NS"
			denied[s] = append(denied[s], rbac.Attributes{Verb: parts[0], Resource: parts[1], Namespace: parts[3]})
		}
	}
	// cluster-admin narrowed to what wide did: the rest of everything is denied, including
	// what it did elsewhere.
	denied["ServiceAccount review-b/wide"] = []rbac.Attributes{
		{Verb: "delete", Resource: "pods", Namespace: nsB}, {Verb: "get", Resource: "secrets", Namespace: nsA, Name: "s2"},
		{Verb: "list", Resource: "secrets", Namespace: nsB}, {Verb: "list", Resource: "pods", Namespace: nsA},
		{Verb: "create", APIGroup: "rbac.authorization.k8s.io", Resource: "clusterrolebindings"},
		{Verb: "get", Resource: "namespaces", Namespace: nsA, Name: nsA}, {Verb: "list", Resource: "namespaces"}, {Verb: "get", Path: "/metrics"},
	}
	denied["User jane"] = []rbac.Attributes{{Verb: "impersonate", Resource: "serviceaccounts", Namespace: nsA, Name: "broad"}}
	for s, list := range denied {
		user, groups := principalOf(by[s].Subject)
		for _, a := range list {
			waitAllowed(t, admin, user, groups, a, false)
		}
	}
	// And the callers themselves: what they did still works, the rest is refused.
	_, err = broad.CoreV1().ConfigMaps(nsA).Get(ctx, "c1", metav1.GetOptions{})
	must(t, err)
	if _, err := broad.CoreV1().Secrets(nsA).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("broad list secrets after the review: %v, want forbidden", err)
	}
	if _, err := wide.CoreV1().Secrets(nsB).Get(ctx, "s2", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("wide get secret after the review: %v, want not found (allowed)", err)
	}
}

func subjectOf(user string) rbac.Subject {
	if ns, name, ok := rbac.SplitServiceAccountUser(user); ok {
		return rbac.Subject{Kind: rbac.ServiceAccountKind, Namespace: ns, Name: name}
	}
	return rbac.Subject{Kind: rbac.UserKind, Name: user}
}

func principal(user string) (string, []string) { return principalOf(subjectOf(user)) }

func principalOf(s rbac.Subject) (string, []string) { return s.Principal() }

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// waitAllowed asks a SubjectAccessReview until it answers want (the authorizer's cache
// follows RBAC writes within a moment), and fails after 15 s.
func waitAllowed(t *testing.T, cs *kubernetes.Clientset, user string, groups []string, a rbac.Attributes, want bool) {
	t.Helper()
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: user, Groups: groups}}
	if a.NonResource() {
		sar.Spec.NonResourceAttributes = &authorizationv1.NonResourceAttributes{Path: a.Path, Verb: a.Verb}
	} else {
		sar.Spec.ResourceAttributes = &authorizationv1.ResourceAttributes{Namespace: a.Namespace, Verb: a.Verb,
			Group: a.APIGroup, Resource: a.Resource, Subresource: a.Subresource, Name: a.Name}
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err := cs.AuthorizationV1().SubjectAccessReviews().Create(context.Background(), sar, metav1.CreateOptions{})
		if err == nil && res.Status.Allowed == want {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("SubjectAccessReview %s for %s: allowed=%v, want %v (%v)", a, user, !want, want, err)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitLog waits until the audit log has a line containing s, then a moment for the events of
// requests that ended just before it.
func waitLog(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(filepath.Join(auditDir, "audit.log"))
		if bytes.Contains(b, []byte(s)) {
			time.Sleep(time.Second)
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("audit log: no event with %q after 30 s", s)
}

// apply makes a change as kubectl would: delete, then create or replace each document.
func apply(ctx context.Context, t *testing.T, cs *kubernetes.Clientset, ch *review.Change) {
	t.Helper()
	for _, ref := range ch.Delete {
		parts := strings.Split(ref, "/")
		var err error
		switch parts[0] {
		case "RoleBinding":
			err = cs.RbacV1().RoleBindings(parts[1]).Delete(ctx, parts[2], metav1.DeleteOptions{})
		case "ClusterRoleBinding":
			err = cs.RbacV1().ClusterRoleBindings().Delete(ctx, parts[1], metav1.DeleteOptions{})
		default:
			t.Fatalf("delete %s: unexpected kind", ref)
		}
		must(t, err)
	}
	for _, doc := range strings.Split(ch.Apply, "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var meta metav1.TypeMeta
		must(t, yaml.Unmarshal([]byte(doc), &meta))
		var err error
		switch meta.Kind {
		case "Role":
			var o rbacv1.Role
			must(t, yaml.UnmarshalStrict([]byte(doc), &o))
			if _, err = cs.RbacV1().Roles(o.Namespace).Update(ctx, &o, metav1.UpdateOptions{}); apierrors.IsNotFound(err) {
				_, err = cs.RbacV1().Roles(o.Namespace).Create(ctx, &o, metav1.CreateOptions{})
			}
		case "ClusterRole":
			var o rbacv1.ClusterRole
			must(t, yaml.UnmarshalStrict([]byte(doc), &o))
			if _, err = cs.RbacV1().ClusterRoles().Update(ctx, &o, metav1.UpdateOptions{}); apierrors.IsNotFound(err) {
				_, err = cs.RbacV1().ClusterRoles().Create(ctx, &o, metav1.CreateOptions{})
			}
		case "RoleBinding":
			var o rbacv1.RoleBinding
			must(t, yaml.UnmarshalStrict([]byte(doc), &o))
			if _, err = cs.RbacV1().RoleBindings(o.Namespace).Update(ctx, &o, metav1.UpdateOptions{}); apierrors.IsNotFound(err) {
				_, err = cs.RbacV1().RoleBindings(o.Namespace).Create(ctx, &o, metav1.CreateOptions{})
			}
		case "ClusterRoleBinding":
			var o rbacv1.ClusterRoleBinding
			must(t, yaml.UnmarshalStrict([]byte(doc), &o))
			if _, err = cs.RbacV1().ClusterRoleBindings().Update(ctx, &o, metav1.UpdateOptions{}); apierrors.IsNotFound(err) {
				_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, &o, metav1.CreateOptions{})
			}
		default:
			t.Fatalf("apply: unexpected kind %q in\n%s", meta.Kind, doc)
		}
		if err != nil {
			t.Fatalf("apply %s %s: %v\n%s", ch.Action, ch.Target, err, doc)
		}
	}
}
