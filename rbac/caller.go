package rbac

import (
	"slices"
	"strconv"
)

// principals are the principals a caller is, in the order the authorizer asks them: the
// user, then each distinct group; users and groups no binding names are left out.
func (e *Engine) principals(user string, groups []string) []*principal {
	var ps []*principal
	if user != "" {
		if p := e.users[user]; p != nil {
			ps = append(ps, p)
		}
	}
	for i, g := range groups {
		if contains(groups[:i], g) {
			continue
		}
		if p := e.groups[g]; p != nil {
			ps = append(ps, p)
		}
	}
	return ps
}

// samePrincipals says whether principals(user, groups) would return ps.
func (e *Engine) samePrincipals(user string, groups []string, ps []*principal) bool {
	i := 0
	next := func(p *principal) bool {
		if p == nil {
			return true
		}
		if i == len(ps) || ps[i] != p {
			return false
		}
		i++
		return true
	}
	if user != "" && !next(e.users[user]) {
		return false
	}
	for j, g := range groups {
		if !contains(groups[:j], g) && !next(e.groups[g]) {
			return false
		}
	}
	return i == len(ps)
}

// CallerKey returns a key that two callers share exactly when the same bindings name them,
// through the same users and groups in the same order, and both or neither are in
// system:masters: the engine's answers for one (Allowed, Reasons, PermissionsOf, …) are then
// those for the other. Every service account of a namespace that no binding names by itself
// has the same key, which lets a caller that asks about each service account ask once.
func (e *Engine) CallerKey(user string, groups []string) string {
	return principalsKey(e.principals(user, groups), contains(groups, Masters))
}

func principalsKey(ps []*principal, masters bool) string {
	b := make([]byte, 0, 8*len(ps)+1)
	if masters {
		b = append(b, 'm')
	}
	for _, p := range ps {
		b = strconv.AppendInt(b, int64(p.id), 36)
		b = append(b, ',')
	}
	return string(b)
}

// first is the first grant of p that allows a, in the order visit finds it.
func (p *principal) first(a *Attributes) (Grant, bool) {
	for _, ref := range p.cluster {
		if ri := firstAllowing(ref.b.role, a); ri >= 0 {
			return ref.grant(ri), true
		}
	}
	if ns := a.Namespace; ns != "" && !a.NonResource() {
		for _, ref := range p.ns[ns] {
			if ri := firstAllowing(ref.b.role, a); ri >= 0 {
				return ref.grant(ri), true
			}
		}
	}
	return Grant{}, false
}

func (ref subjRef) grant(rule int) Grant {
	s, _ := ref.b.Subject(ref.i)
	return Grant{Subject: s, Binding: ref.b, SubjectIndex: ref.i, Role: ref.b.role, Rule: rule}
}

// Scopes returns the namespaces in which a binding grants the caller some rule, sorted: ""
// (ClusterRoleBindings, which grant in every namespace) first. They are the keys of
// PermissionsOf, without building its grants.
func (e *Engine) Scopes(user string, groups []string) []string {
	var out []string
	add := func(ns string) {
		if !slices.Contains(out, ns) {
			out = append(out, ns)
		}
	}
	for _, p := range e.principals(user, groups) {
		for _, ref := range p.cluster {
			if len(ref.b.role.Rules) > 0 {
				add("")
				break
			}
		}
		for ns, refs := range p.ns {
			for _, ref := range refs {
				if len(ref.b.role.Rules) > 0 {
					add(ns)
					break
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// FirstReason returns the first of Reasons(user, groups, a) that keep accepts, without
// listing the others.
func (e *Engine) FirstReason(user string, groups []string, a Attributes, keep func(*Grant) bool) (Grant, bool) {
	var out Grant
	found := false
	e.visit(user, groups, &a, func(b *Binding, si int, r *Role, ri int) bool {
		s, _ := b.Subject(si)
		g := Grant{Subject: s, Binding: b, SubjectIndex: si, Role: r, Rule: ri}
		if keep(&g) {
			out, found = g, true
			return false
		}
		return true
	})
	return out, found
}
