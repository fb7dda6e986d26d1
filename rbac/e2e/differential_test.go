package e2e

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	par "github.com/kubeharden/kubeharden/internal/parallel"
	"github.com/kubeharden/kubeharden/rbac"
	"github.com/kubeharden/kubeharden/rbac/rbactest"
)

const (
	seed      = 20260601
	objects   = 240  // random RBAC objects created
	requests  = 6000 // random requests compared with SubjectAccessReviews
	whoCanFor = 150  // requests whose WhoCan answer is checked subject by subject
	workers   = 8
)

// TestDifferential loads random RBAC objects into the API server and compares the engine's
// Allowed with a SubjectAccessReview for thousands of random requests, and its WhoCan with a
// review for every candidate subject. Any disagreement fails the test with the request.
//
// No controller-manager runs, so the test acts as the clusterrole-aggregation controller: it
// writes the rules the engine computes into each aggregated ClusterRole. The reviews then test
// the rule matcher and binding resolution; aggregation itself is tested by fixtures.
func TestDifferential(t *testing.T) {
	cs := client(t)
	ctx := context.Background()
	g := rbactest.New(seed)
	populate(ctx, t, cs, g, objects)

	live := listRBAC(ctx, t, cs, metav1.ListOptions{})
	e := rbac.New(live)
	aggregated := 0
	for _, cr := range live.ClusterRoles {
		if cr.AggregationRule == nil {
			continue
		}
		aggregated++
		if r := e.Role(rbac.ClusterRoleKind, "", cr.Name); fmt.Sprint(r.Rules) != fmt.Sprint(cr.Rules) {
			t.Errorf("ClusterRole %s: engine aggregates %v, stored %v", cr.Name, r.Rules, cr.Rules)
		}
	}
	t.Logf("cluster: %d ClusterRoles (%d aggregated), %d Roles, %d ClusterRoleBindings, %d RoleBindings (%d generated)",
		len(live.ClusterRoles), aggregated, len(live.Roles), len(live.ClusterRoleBindings), len(live.RoleBindings), objects)

	subjects := e.Subjects()
	var reqs []request
	bound := boundRules(e)
	for len(reqs) < requests {
		user, groups := g.Principal(subjects)
		var a rbac.Attributes
		if g.Intn(2) == 0 {
			a = g.Attributes()
		} else {
			br := bound[g.Intn(len(bound))]
			a = g.AttributesFor(br.rule, br.ns)
		}
		reqs = append(reqs, request{user, groups, a})
	}
	allowed, disagree := compareAllowed(ctx, t, cs, e, reqs)
	t.Logf("Allowed: %d requests, %d allowed by the API server, %d disagreements", len(reqs), allowed, disagree)
	if allowed < len(reqs)/10 || allowed > len(reqs)*9/10 {
		t.Errorf("only %d of %d requests allowed: the requests do not exercise both answers", allowed, len(reqs))
	}

	// WhoCan: for each request, every candidate subject, alone (a User without groups, a
	// Group with a user no binding names, a ServiceAccount's bare user name), is allowed
	// exactly when a grant WhoCan lists names a subject that matches it.
	cands := append(append([]rbac.Subject(nil), subjects...),
		rbac.Subject{Kind: rbac.UserKind, Name: "nobody"}, rbac.Subject{Kind: rbac.GroupKind, Name: "nobody"},
		rbac.Subject{Kind: rbac.ServiceAccountKind, Namespace: "ns-d", Name: "unbound"})
	type pair struct {
		a rbac.Attributes
		s rbac.Subject
		w []rbac.Grant
	}
	var pairs []pair
	for i := 0; i < whoCanFor; i++ {
		a := reqs[i*len(reqs)/whoCanFor].a
		w := e.WhoCan(a)
		for _, s := range cands {
			pairs = append(pairs, pair{a, s, w})
		}
	}
	var mu sync.Mutex
	listed, wdis := 0, 0
	parallel(len(pairs), func(i int) {
		p := pairs[i]
		user, groups := bare(p.s)
		got := false
		for _, gr := range p.w {
			got = got || gr.Subject.Matches(user, groups)
		}
		want := review(ctx, t, cs, user, groups, p.a)
		mu.Lock()
		defer mu.Unlock()
		if got {
			listed++
		}
		if got != want {
			wdis++
			if wdis <= 20 {
				t.Errorf("WhoCan(%s) lists %s: %v; API server says %v", p.a, p.s, got, want)
			}
		}
	})
	t.Logf("WhoCan: %d requests × %d candidate subjects = %d reviews, %d allowed, %d disagreements",
		whoCanFor, len(cands), len(pairs), listed, wdis)
}

// bare is the caller that is the subject and nothing else.
func bare(s rbac.Subject) (string, []string) {
	switch s.Kind {
	case rbac.UserKind:
		return s.Name, nil
	case rbac.GroupKind:
		return "nobody-at-all", []string{s.Name}
	}
	return rbac.ServiceAccountUser(s.Namespace, s.Name), nil
}

type boundRule struct {
	rule rbacv1.PolicyRule
	ns   string
}

// boundRules lists the rules that some binding grants, with the namespace it grants them in.
func boundRules(e *rbac.Engine) []boundRule {
	var out []boundRule
	for _, b := range e.Bindings() {
		if r := b.Role(); r != nil {
			for _, rule := range r.Rules {
				out = append(out, boundRule{rule, b.Namespace})
			}
		}
	}
	return out
}

func reasons(gs []rbac.Grant) string {
	var s []string
	for _, g := range gs {
		s = append(s, fmt.Sprintf("%s via %s → %s %s", g.Subject, g.Binding, g.Role, g.RuleString()))
	}
	return strings.Join(s, "; ")
}

func review(ctx context.Context, t testing.TB, cs *kubernetes.Clientset, user string, groups []string, a rbac.Attributes) bool {
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: user, Groups: groups}}
	if a.NonResource() {
		sar.Spec.NonResourceAttributes = &authorizationv1.NonResourceAttributes{Path: a.Path, Verb: a.Verb}
	} else {
		sar.Spec.ResourceAttributes = &authorizationv1.ResourceAttributes{
			Namespace: a.Namespace, Verb: a.Verb, Group: a.APIGroup, Resource: a.Resource, Subresource: a.Subresource, Name: a.Name,
		}
	}
	for try := 0; ; try++ {
		res, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
		if err == nil {
			if res.Status.EvaluationError != "" {
				t.Errorf("review of %s: evaluation error %s", a, res.Status.EvaluationError)
			}
			return res.Status.Allowed
		}
		if try == 3 {
			t.Fatalf("review of %s: %v", a, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func parallel(n int, f func(int)) { par.Each(n, workers, f, nil) }

// request is one access review: a user with groups asking for attributes.
type request struct {
	user   string
	groups []string
	a      rbac.Attributes
}

// compareAllowed asks the engine and the API server each request and reports every
// disagreement (the first 20, with the engine's reasons); it returns how many requests the
// API server allowed and how many answers differed.
func compareAllowed(ctx context.Context, t *testing.T, cs *kubernetes.Clientset, e *rbac.Engine, reqs []request) (allowed, disagree int) {
	var mu sync.Mutex
	parallel(len(reqs), func(i int) {
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
			if disagree <= 20 {
				t.Errorf("Allowed(%q, %q, %s) = %v, API server says %v; reasons: %s", r.user, r.groups, r.a, got, want, reasons(e.Reasons(r.user, r.groups, r.a)))
			}
		}
	})
	return allowed, disagree
}

func create(ctx context.Context, t testing.TB, cs *kubernetes.Clientset, o rbac.Objects) {
	t.Helper()
	for _, r := range o.ClusterRoles {
		if _, err := cs.RbacV1().ClusterRoles().Create(ctx, r, metav1.CreateOptions{}); err != nil {
			t.Fatalf("ClusterRole %s: %v", r.Name, err)
		}
	}
	for _, r := range o.Roles {
		if _, err := cs.RbacV1().Roles(r.Namespace).Create(ctx, r, metav1.CreateOptions{}); err != nil {
			t.Fatalf("Role %s: %v", r.Name, err)
		}
	}
	for _, b := range o.ClusterRoleBindings {
		if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, b, metav1.CreateOptions{}); err != nil {
			t.Fatalf("ClusterRoleBinding %s: %v", b.Name, err)
		}
	}
	for _, b := range o.RoleBindings {
		if _, err := cs.RbacV1().RoleBindings(b.Namespace).Create(ctx, b, metav1.CreateOptions{}); err != nil {
			t.Fatalf("RoleBinding %s: %v", b.Name, err)
		}
	}
}

// populate creates g's namespaces and n random RBAC objects, then acts as the aggregation
// controller for every aggregated ClusterRole of the cluster (the default ones too), and
// waits until the authorizer sees it all.
func populate(ctx context.Context, t testing.TB, cs *kubernetes.Clientset, g *rbactest.Gen, n int) {
	t.Helper()
	for _, ns := range g.Namespaces {
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	create(ctx, t, cs, g.Objects(n))
	for _, r := range rbac.New(listRBAC(ctx, t, cs, metav1.ListOptions{})).Roles() {
		if r.Aggregation == nil {
			continue
		}
		cr, err := cs.RbacV1().ClusterRoles().Get(ctx, r.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cr.Rules = r.Rules
		if _, err := cs.RbacV1().ClusterRoles().Update(ctx, cr, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("aggregate %s: %v", r.Name, err)
		}
	}
	waitSentinels(ctx, t, cs, g.Prefix+"sentinel", g.Namespaces[0])
}

// waitSentinels creates one more object of each RBAC kind, granting a sentinel user, and
// polls until the authorizer allows it: the authorizer's caches see each kind's objects in
// order, so everything written before is visible then.
func waitSentinels(ctx context.Context, t testing.TB, cs *kubernetes.Clientset, name, ns string) {
	t.Helper()
	rule := []rbacv1.PolicyRule{{Verbs: []string{"get"}, APIGroups: []string{"sentinel.example"}, Resources: []string{"things"}}}
	subj := []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}}
	must := func(_ any, err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(cs.RbacV1().ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rule}, metav1.CreateOptions{}))
	must(cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name}, Subjects: subj}, metav1.CreateOptions{}))
	must(cs.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rule}, metav1.CreateOptions{}))
	must(cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: name},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name + "-ns"}}}, metav1.CreateOptions{}))
	a := rbac.Attributes{Verb: "get", APIGroup: "sentinel.example", Resource: "things", Namespace: ns, Name: name}
	deadline := time.Now().Add(30 * time.Second)
	for !review(ctx, t, cs, name, nil, a) || !review(ctx, t, cs, name+"-ns", nil, a) {
		if time.Now().After(deadline) {
			t.Fatal("the authorizer never saw the sentinel bindings")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
