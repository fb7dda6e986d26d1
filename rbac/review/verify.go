package review

import (
	"fmt"
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeharden/kubeharden/rbac"
)

// maxProblems bounds the problems reported.
const maxProblems = 50

// verify applies every change to a copy of the RBAC objects and asks a new engine: every
// request the log shows allowed must still be allowed, and every permission a change removes
// must be denied to the subjects of the bindings it changes — unless another binding the
// review does not touch grants it (recorded per subject as still granted, not a failure of
// the change).
func verify(r *reviewer, rep *Report) {
	ne := rbac.New(Apply(r.e, rep.Changes))
	var problems []string
	problem := func(format string, args ...any) {
		if len(problems) < maxProblems {
			problems = append(problems, fmt.Sprintf(format, args...))
		}
	}
	for _, u := range r.ev.Requests {
		if !u.Denied && !ne.Allowed(u.User, u.Groups, u.RBAC()) {
			problem("%s by %s would be denied", u.RBAC(), u.User)
		}
	}
	written := map[string]bool{}
	for _, c := range rep.Changes {
		for _, role := range c.roles {
			written[role.String()] = true
		}
	}
	probes := newProber(r)
	r.still = map[rbac.Subject][]string{}
	for _, c := range rep.Changes {
		for _, b := range c.bindings {
			old := b.Role().Rules
			for i := range b.Subjects {
				s, ok := b.Subject(i)
				if !ok {
					continue
				}
				var kept []rbacv1.PolicyRule
				if len(r.subjectUsed[subjKey{b, i}]) > 0 {
					kept = c.scope[b]
					if c.Action == RemoveSubjects {
						continue // the subjects kept keep the role as it is
					}
				}
				user, groups := s.Principal()
				for _, at := range atoms(old, b.Namespace) {
					for _, p := range probes.of(at) {
						if anyAllows(kept, &p) {
							continue
						}
						if !ne.Allowed(user, groups, p) {
							continue
						}
						gs := ne.Reasons(user, groups, p)
						via := ""
						for _, g := range gs {
							if written[g.Role.String()] || g.Binding.String() == b.String() {
								problem("%s: %s still allowed by %s after %s", s, p, g.Binding, c.Action)
							}
							via = g.Binding.String()
						}
						if via != "" {
							r.still[s] = append(r.still[s], p.String()+" via "+via)
						}
					}
				}
			}
		}
	}
	for s, xs := range r.still {
		sort.Strings(xs)
		r.still[s] = dedupe(xs)
	}
	rep.Problems = problems
	rep.Verified = len(problems) == 0
}

func (r *reviewer) stillGranted(s rbac.Subject, _ *Report) []string { return r.still[s] }

func dedupe(xs []string) []string {
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func anyAllows(rules []rbacv1.PolicyRule, a *rbac.Attributes) bool {
	for i := range rules {
		if rbac.RuleAllows(&rules[i], a) {
			return true
		}
	}
	return false
}

// prober turns a permission into concrete requests to ask about: wildcards become the
// standard verbs and a set of resources (those of the log, and common sensitive ones).
type prober struct {
	verbs     []string
	resources []rbac.Attributes // group, resource, subresource
}

var standardVerbs = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}

var commonResources = []rbac.Attributes{
	{Resource: "pods"}, {Resource: "pods", Subresource: "exec"}, {Resource: "secrets"}, {Resource: "configmaps"},
	{Resource: "serviceaccounts"}, {Resource: "serviceaccounts", Subresource: "token"}, {Resource: "nodes"},
	{Resource: "namespaces"}, {APIGroup: "apps", Resource: "deployments"}, {APIGroup: "batch", Resource: "jobs"},
	{APIGroup: "rbac.authorization.k8s.io", Resource: "clusterrolebindings"}, {APIGroup: "rbac.authorization.k8s.io", Resource: "roles"},
}

func newProber(r *reviewer) *prober {
	p := &prober{verbs: append([]string(nil), standardVerbs...)}
	seen := map[rbac.Attributes]bool{}
	add := func(a rbac.Attributes) {
		if !seen[a] {
			seen[a] = true
			p.resources = append(p.resources, a)
		}
	}
	for _, a := range commonResources {
		add(a)
	}
	for _, u := range r.ev.Requests {
		if u.Attributes.Path == "" {
			add(rbac.Attributes{APIGroup: u.Attributes.APIGroup, Resource: u.Attributes.Resource, Subresource: u.Attributes.Subresource})
		}
		if !containsStr(p.verbs, u.Attributes.Verb) {
			p.verbs = append(p.verbs, u.Attributes.Verb)
		}
	}
	return p
}

// of returns the concrete requests the atom allows, in its namespace.
func (p *prober) of(at atom) []rbac.Attributes {
	r := &at.rule
	verbs := r.Verbs
	if verbs[0] == rbacv1.VerbAll {
		verbs = p.verbs
	}
	var out []rbac.Attributes
	if len(r.NonResourceURLs) > 0 {
		path := r.NonResourceURLs[0]
		if strings.HasSuffix(path, "*") {
			path = strings.TrimRight(path, "*") + "probe"
		}
		for _, v := range verbs {
			out = append(out, rbac.Attributes{Verb: v, Path: path})
		}
		return out
	}
	var res []rbac.Attributes
	if at.wildcard() {
		res = p.resources
	} else {
		name, sub, _ := strings.Cut(r.Resources[0], "/")
		res = []rbac.Attributes{{APIGroup: r.APIGroups[0], Resource: name, Subresource: sub}}
	}
	names := r.ResourceNames
	if len(names) == 0 {
		names = []string{""}
	}
	for _, v := range verbs {
		for _, x := range res {
			for _, n := range names {
				a := rbac.Attributes{Verb: v, APIGroup: x.APIGroup, Resource: x.Resource, Subresource: x.Subresource, Namespace: at.ns, Name: n}
				if rbac.RuleAllows(r, &a) {
					out = append(out, a)
				}
			}
		}
	}
	return out
}

// Apply returns the RBAC objects of e with the changes made: roles narrowed or added,
// bindings deleted, replaced or added.
func Apply(e *rbac.Engine, changes []*Change) rbac.Objects {
	roles := map[string]*rbac.Role{}
	var newRoles []*rbac.Role
	dropped := map[string]bool{}
	binds := map[string]*rbac.Binding{}
	var newBinds []*rbac.Binding
	for _, c := range changes {
		for _, r := range c.roles {
			roles[r.String()] = r
			newRoles = append(newRoles, r)
		}
		for _, b := range c.drop {
			dropped[b.String()] = true
		}
		for _, b := range c.newBinds {
			binds[b.String()] = b
			newBinds = append(newBinds, b)
		}
	}
	var o rbac.Objects
	done := map[string]bool{}
	addRole := func(r *rbac.Role) {
		meta := metav1.ObjectMeta{Name: r.Name, Namespace: r.Namespace, Labels: r.Labels}
		if r.Kind == rbac.RoleKind {
			o.Roles = append(o.Roles, &rbacv1.Role{ObjectMeta: meta, Rules: r.Rules})
		} else {
			o.ClusterRoles = append(o.ClusterRoles, &rbacv1.ClusterRole{ObjectMeta: meta, Rules: r.Rules, AggregationRule: r.Aggregation})
		}
	}
	addBinding := func(b *rbac.Binding) {
		meta := metav1.ObjectMeta{Name: b.Name, Namespace: b.Namespace, Labels: b.Labels}
		if b.Kind == rbac.RoleBindingKind {
			o.RoleBindings = append(o.RoleBindings, &rbacv1.RoleBinding{ObjectMeta: meta, Subjects: b.Subjects, RoleRef: b.RoleRef})
		} else {
			o.ClusterRoleBindings = append(o.ClusterRoleBindings, &rbacv1.ClusterRoleBinding{ObjectMeta: meta, Subjects: b.Subjects, RoleRef: b.RoleRef})
		}
	}
	for _, r := range e.Roles() {
		if nr := roles[r.String()]; nr != nil {
			r = nr
		}
		done[r.String()] = true
		addRole(r)
	}
	for _, r := range newRoles {
		if !done[r.String()] {
			done[r.String()] = true
			addRole(r)
		}
	}
	for _, b := range e.Bindings() {
		k := b.String()
		if nb := binds[k]; nb != nil {
			b = nb
		} else if dropped[k] {
			continue
		}
		done[k] = true
		addBinding(b)
	}
	for _, b := range newBinds {
		if !done[b.String()] {
			done[b.String()] = true
			addBinding(b)
		}
	}
	return o
}
