package rbac

import "strconv"

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
