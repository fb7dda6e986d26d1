package rbac

import rbacv1 "k8s.io/api/rbac/v1"

// ruleIndex finds the rules that may allow a request by verb and resource, so that WhoCan
// looks at a handful of candidate rules instead of every rule of every role.
type ruleIndex struct {
	// res[verb][resource] lists resource rules; "*" keys hold the wildcard rules.
	res map[string]map[string][]ruleRef
	// nonRes[verb] lists non-resource rules.
	nonRes map[string][]ruleRef
}

type ruleRef struct {
	role *Role
	rule int
}

func newRuleIndex(roles []*Role) ruleIndex {
	x := ruleIndex{res: map[string]map[string][]ruleRef{}, nonRes: map[string][]ruleRef{}}
	for _, r := range roles {
		for i := range r.Rules {
			x.add(r, i)
		}
	}
	return x
}

func (x *ruleIndex) add(r *Role, i int) {
	rule := &r.Rules[i]
	ref := ruleRef{r, i}
	verbs := keys(rule.Verbs, rbacv1.VerbAll)
	if len(rule.Resources) > 0 {
		resources := keys(rule.Resources, rbacv1.ResourceAll)
		for _, v := range verbs {
			m := x.res[v]
			if m == nil {
				m = map[string][]ruleRef{}
				x.res[v] = m
			}
			for _, res := range resources {
				m[res] = append(m[res], ref)
			}
		}
	}
	if len(rule.NonResourceURLs) > 0 {
		for _, v := range verbs {
			x.nonRes[v] = append(x.nonRes[v], ref)
		}
	}
}

// keys returns the distinct values, or only the wildcard when the values contain it (it
// matches everything the others would).
func keys(vs []string, all string) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		if v == all {
			return []string{all}
		}
		if !contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// lookup calls f once for each rule that allows a. Roles (not ClusterRoles) of another
// namespace than a's are left out unless anyNS is set: their bindings cannot grant a.
func (x *ruleIndex) lookup(a *Attributes, anyNS bool, f func(*Role, int)) {
	other := func(r *Role) bool {
		return r.Kind == RoleKind && !anyNS && (r.Namespace != a.Namespace || a.NonResource())
	}
	verbs := []string{a.Verb, rbacv1.VerbAll}
	if a.Verb == rbacv1.VerbAll {
		verbs = verbs[:1]
	}
	if a.NonResource() {
		for _, v := range verbs {
			for _, ref := range x.nonRes[v] {
				if !other(ref.role) && RuleAllows(&ref.role.Rules[ref.rule], a) {
					f(ref.role, ref.rule)
				}
			}
		}
		return
	}
	combined := a.Resource
	if a.Subresource != "" {
		combined += "/" + a.Subresource
	}
	resources := [3]string{combined, rbacv1.ResourceAll, ""}
	n := 2
	if a.Subresource != "" {
		resources[2] = "*/" + a.Subresource
		n = 3
	}
	// Only a rule naming both "res/sub" and "*/sub" sits under two of these keys ("*" in a
	// rule's list makes it indexed under "*" alone), so only subresource requests need
	// deduplication.
	var seen map[ruleRef]bool
	for _, v := range verbs {
		m := x.res[v]
		if m == nil {
			continue
		}
		for i := 0; i < n; i++ {
			if i > 0 && resources[i] == resources[0] {
				continue // the same key twice ("*" or "*/sub" requested)
			}
			for _, ref := range m[resources[i]] {
				if other(ref.role) || !RuleAllows(&ref.role.Rules[ref.rule], a) {
					continue
				}
				if n == 3 {
					if seen == nil {
						seen = map[ruleRef]bool{}
					}
					if seen[ref] {
						continue
					}
					seen[ref] = true
				}
				f(ref.role, ref.rule)
			}
		}
	}
}
