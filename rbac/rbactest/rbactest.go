// Package rbactest generates random but valid RBAC objects and request attributes over a
// small vocabulary, so that rules, bindings and requests collide often: the material of the
// engine's differential test against the API server and of its benchmarks.
package rbactest

import (
	"fmt"
	"math/rand/v2"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeharden/kubeharden/rbac"
)

// Vocabulary the generator draws from. Every value is valid in the API; "*" entries are the
// RBAC wildcards.
var (
	Verbs     = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "impersonate", "bind", "escalate", "approve", "use", "*"}
	APIGroups = []string{"", "", "apps", "batch", "rbac.authorization.k8s.io", "example.com", "*"}
	Resources = []string{"pods", "secrets", "configmaps", "deployments", "nodes", "widgets", "roles", "users", "*",
		"pods/exec", "pods/log", "pods/status", "deployments/scale", "nodes/proxy", "*/scale", "*/status"}
	ResourceNames   = []string{"a", "b", "c"}
	NonResourceURLs = []string{"/healthz", "/healthz/*", "/metrics", "/api", "/api/*", "/apis/*", "/logs", "/logs/a", "*", "/v*"}
	Paths           = []string{"/healthz", "/healthz/etcd", "/metrics", "/api", "/api/v1", "/apis", "/apis/apps", "/logs", "/logs/a", "/logs/b", "/version", "/v", "/", "/readyz"}
	Users           = []string{"alice", "bob", "carol", "dave", "system:anonymous", "system:serviceaccount:ns-a:sa1"}
	Groups          = []string{"dev", "ops", "qa"}
	// BroadGroups are the implicit groups; bindings name them less often.
	BroadGroups     = []string{"system:authenticated", "system:unauthenticated", "system:serviceaccounts", "system:serviceaccounts:ns-b"}
	ServiceAccounts = []string{"default", "sa1", "sa2"}
	Labels          = []string{"agg-a", "agg-b", "agg-c", "team"}
)

// Gen draws objects and requests from a seeded source, so that a failure can be replayed.
type Gen struct {
	r *rand.Rand
	// Namespaces are where Roles and RoleBindings go.
	Namespaces []string
	// Prefix starts every object name, so that several generators can fill one cluster.
	Prefix string
	n      int
}

// New returns a generator seeded with seed over namespaces ns-a..ns-d.
func New(seed uint64) *Gen {
	return &Gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), Namespaces: []string{"ns-a", "ns-b", "ns-c", "ns-d"}}
}

// Intn returns a number in [0, n).
func (g *Gen) Intn(n int) int { return g.r.IntN(n) }

func (g *Gen) pick(vs []string) string { return vs[g.r.IntN(len(vs))] }

// some picks 1..max distinct values (max at least 1).
func (g *Gen) some(vs []string, max int) []string {
	n := 1 + g.r.IntN(max)
	var out []string
	for range n {
		v := g.pick(vs)
		dup := false
		for _, x := range out {
			dup = dup || x == v
		}
		if !dup {
			out = append(out, v)
		}
	}
	return out
}

func (g *Gen) name(prefix string) string {
	g.n++
	return fmt.Sprintf("%s%s-%d", g.Prefix, prefix, g.n)
}

// Rule returns a valid rule; nonResource allows a non-resource rule (ClusterRoles only).
func (g *Gen) Rule(nonResource bool) rbacv1.PolicyRule {
	if nonResource && g.r.IntN(6) == 0 {
		return rbacv1.PolicyRule{Verbs: g.some([]string{"get", "post", "put", "*"}, 2), NonResourceURLs: g.some(NonResourceURLs, 3)}
	}
	r := rbacv1.PolicyRule{
		Verbs:     g.some(Verbs, 3),
		APIGroups: g.some(APIGroups, 2),
		Resources: g.some(Resources, 3),
	}
	if g.r.IntN(4) == 0 {
		r.ResourceNames = g.some(ResourceNames, 2)
	}
	return r
}

func (g *Gen) rules(nonResource bool) []rbacv1.PolicyRule {
	n := 1 + g.r.IntN(4)
	out := make([]rbacv1.PolicyRule, n)
	for i := range out {
		out[i] = g.Rule(nonResource)
	}
	return out
}

func (g *Gen) labels() map[string]string {
	m := map[string]string{}
	for _, l := range Labels {
		if g.r.IntN(3) == 0 {
			m[l] = g.pick([]string{"true", "x"})
		}
	}
	return m
}

func (g *Gen) selector() metav1.LabelSelector {
	switch g.r.IntN(4) {
	case 0:
		return metav1.LabelSelector{MatchLabels: map[string]string{g.pick(Labels): "true"}}
	case 1:
		return metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: g.pick(Labels), Operator: metav1.LabelSelectorOpExists}}}
	case 2:
		return metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: g.pick(Labels), Operator: metav1.LabelSelectorOpIn, Values: []string{"x"}}}}
	}
	return metav1.LabelSelector{
		MatchLabels:      map[string]string{g.pick(Labels): "true"},
		MatchExpressions: []metav1.LabelSelectorRequirement{{Key: g.pick(Labels), Operator: metav1.LabelSelectorOpNotIn, Values: []string{"x"}}},
	}
}

// Subject returns a valid subject of any kind; namespaced allows a ServiceAccount without
// namespace (RoleBindings only).
func (g *Gen) Subject(namespaced bool) rbacv1.Subject {
	switch g.r.IntN(3) {
	case 0:
		return rbacv1.Subject{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: g.pick(Users)}
	case 1:
		grp := g.pick(Groups)
		if g.r.IntN(6) == 0 {
			grp = g.pick(BroadGroups)
		}
		return rbacv1.Subject{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: grp}
	}
	s := rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: g.pick(ServiceAccounts), Namespace: g.pick(g.Namespaces)}
	if namespaced && g.r.IntN(2) == 0 {
		s.Namespace = ""
	}
	return s
}

func (g *Gen) subjects(namespaced bool) []rbacv1.Subject {
	out := make([]rbacv1.Subject, 1+g.r.IntN(3))
	for i := range out {
		out[i] = g.Subject(namespaced)
	}
	return out
}

// Objects generates n objects: about a fifth each of ClusterRoles, Roles and
// ClusterRoleBindings and two fifths RoleBindings. A quarter of the ClusterRoles aggregate
// others by label; a few bindings reference roles that do not exist.
func (g *Gen) Objects(n int) rbac.Objects {
	var o rbac.Objects
	nCR, nR, nCRB := n/5, n/5, n/5
	nRB := n - nCR - nR - nCRB
	for i := range nCR {
		cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: g.name("cr"), Labels: g.labels()}}
		if i%4 == 3 {
			sels := make([]metav1.LabelSelector, 1+g.r.IntN(2))
			for j := range sels {
				sels[j] = g.selector()
			}
			cr.AggregationRule = &rbacv1.AggregationRule{ClusterRoleSelectors: sels}
		} else {
			cr.Rules = g.rules(true)
		}
		o.ClusterRoles = append(o.ClusterRoles, cr)
	}
	for range nR {
		o.Roles = append(o.Roles, &rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Name: g.name("role"), Namespace: g.pick(g.Namespaces)},
			Rules:      g.rules(false),
		})
	}
	for range nCRB {
		o.ClusterRoleBindings = append(o.ClusterRoleBindings, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: g.name("crb")},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: g.clusterRoleName(o)},
			Subjects:   g.subjects(false),
		})
	}
	for range nRB {
		ns := g.pick(g.Namespaces)
		ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: g.clusterRoleName(o)}
		if g.r.IntN(2) == 0 {
			ref = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: g.roleName(o, ns)}
		}
		o.RoleBindings = append(o.RoleBindings, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: g.name("rb"), Namespace: ns},
			RoleRef:    ref,
			Subjects:   g.subjects(true),
		})
	}
	return o
}

func (g *Gen) clusterRoleName(o rbac.Objects) string {
	if len(o.ClusterRoles) == 0 || g.r.IntN(20) == 0 {
		return "missing-" + g.pick([]string{"a", "b"})
	}
	return o.ClusterRoles[g.r.IntN(len(o.ClusterRoles))].Name
}

func (g *Gen) roleName(o rbac.Objects, ns string) string {
	var in []string
	for _, r := range o.Roles {
		if r.Namespace == ns {
			in = append(in, r.Name)
		}
	}
	if len(in) == 0 || g.r.IntN(20) == 0 {
		return "missing-" + g.pick([]string{"a", "b"})
	}
	return g.pick(in)
}

// Attributes returns a random request: mostly resource requests over the vocabulary (in a
// namespace, or cluster-wide), some non-resource requests.
func (g *Gen) Attributes() rbac.Attributes {
	if g.r.IntN(8) == 0 {
		return rbac.Attributes{Verb: g.pick([]string{"get", "post", "put", "delete", "*"}), Path: g.pick(Paths)}
	}
	a := rbac.Attributes{Verb: g.pick(Verbs), APIGroup: g.pick(APIGroups)}
	res := g.pick(Resources)
	switch res {
	case "*/scale", "*/status":
		res = g.pick([]string{"deployments", "pods", "widgets", "*"}) + res[1:]
	}
	a.Resource, a.Subresource = splitResource(res)
	if g.r.IntN(3) > 0 {
		a.Namespace = g.pick(append(g.Namespaces, "other"))
	}
	if g.r.IntN(2) == 0 {
		a.Name = g.pick(append(ResourceNames, "z"))
	}
	return a
}

// AttributesFor returns a request derived from rule: one it allows, or a near miss (one
// dimension changed), so that allowed and denied answers are both common.
func (g *Gen) AttributesFor(rule rbacv1.PolicyRule, namespace string) rbac.Attributes {
	if len(rule.NonResourceURLs) > 0 {
		p := g.pick(rule.NonResourceURLs)
		switch {
		case p == "*":
			p = g.pick(Paths)
		case len(p) > 0 && p[len(p)-1] == '*':
			p = p[:len(p)-1] + g.pick([]string{"", "x", "a/b"})
		}
		return rbac.Attributes{Verb: concrete(g, g.pick(rule.Verbs), Verbs), Path: p}
	}
	a := rbac.Attributes{
		Verb:      concrete(g, g.pick(rule.Verbs), Verbs),
		APIGroup:  concrete(g, g.pick(rule.APIGroups), APIGroups),
		Namespace: namespace,
	}
	res := g.pick(rule.Resources)
	if res == "*" {
		res = g.pick(Resources)
	}
	if len(res) > 2 && res[:2] == "*/" {
		res = g.pick([]string{"pods", "deployments", "widgets"}) + res[1:]
	}
	a.Resource, a.Subresource = splitResource(res)
	if len(rule.ResourceNames) > 0 {
		a.Name = g.pick(rule.ResourceNames)
	} else if g.r.IntN(2) == 0 {
		a.Name = g.pick(ResourceNames)
	}
	switch g.r.IntN(8) { // near misses
	case 0:
		a.Verb = g.pick(Verbs)
	case 1:
		a.Name = ""
	case 2:
		a.Subresource = g.pick([]string{"", "status", "exec"})
	case 3:
		a.Namespace = g.pick(append(g.Namespaces, ""))
	}
	return a
}

// concrete replaces a wildcard with a concrete value most of the time; a request for "*" is
// legal too (and only a "*" rule allows it).
func concrete(g *Gen, v string, vocab []string) string {
	if v == "*" && g.r.IntN(5) > 0 {
		for {
			if w := g.pick(vocab); w != "*" {
				return w
			}
		}
	}
	return v
}

func splitResource(r string) (string, string) {
	for i := 0; i < len(r); i++ {
		if r[i] == '/' {
			return r[:i], r[i+1:]
		}
	}
	return r, ""
}

// Principal returns a random caller: a subject's own principal (with its implicit groups,
// sometimes only some of them) or an arbitrary user with arbitrary groups.
func (g *Gen) Principal(subjects []rbac.Subject) (user string, groups []string) {
	if len(subjects) > 0 && g.r.IntN(3) > 0 {
		s := subjects[g.r.IntN(len(subjects))]
		user, groups = s.Principal()
		if s.Kind == rbac.GroupKind {
			user = g.pick(Users)
		}
		if len(groups) > 1 && g.r.IntN(3) == 0 {
			groups = groups[:g.r.IntN(len(groups))]
		}
		return user, groups
	}
	user = g.pick(append(Users, "eve", "system:serviceaccount:ns-c:sa2", "system:serviceaccount:ns-b:default"))
	for range g.r.IntN(3) {
		groups = append(groups, g.pick(append(append(Groups, BroadGroups...), "nobody")))
	}
	if g.r.IntN(50) == 0 {
		groups = append(groups, "system:masters")
	}
	if g.r.IntN(10) == 0 {
		groups = nil
	}
	return user, groups
}
