package review

import (
	"sort"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubeharden/kubeharden/audit"
	"github.com/kubeharden/kubeharden/rbac"
)

// atom is one permission of a rule: one verb on one resource of one group (with the rule's
// resourceNames), or one verb on one non-resource URL, in the namespace of the binding that
// grants it ("" for everywhere).
type atom struct {
	rule rbacv1.PolicyRule
	ns   string
}

// atoms breaks rules into single permissions, in rule order.
func atoms(rules []rbacv1.PolicyRule, ns string) []atom {
	var out []atom
	for _, rule := range rules {
		for _, v := range rule.Verbs {
			if len(rule.NonResourceURLs) > 0 {
				if ns != "" {
					continue // a RoleBinding never grants non-resource URLs
				}
				for _, u := range rule.NonResourceURLs {
					out = append(out, atom{rule: rbacv1.PolicyRule{Verbs: []string{v}, NonResourceURLs: []string{u}}})
				}
				continue
			}
			for _, g := range rule.APIGroups {
				for _, res := range rule.Resources {
					out = append(out, atom{ns: ns, rule: rbacv1.PolicyRule{Verbs: []string{v}, APIGroups: []string{g},
						Resources: []string{res}, ResourceNames: rule.ResourceNames}})
				}
			}
		}
	}
	return out
}

// allows reports whether the atom grants the request, in its namespace.
func (a *atom) allows(u *Use) bool {
	ra := u.RBAC()
	if !ra.NonResource() && a.ns != "" && ra.Namespace != a.ns {
		return false
	}
	if ra.NonResource() && a.ns != "" {
		return false
	}
	return rbac.RuleAllows(&a.rule, &ra)
}

func (a *atom) wildcard() bool {
	r := &a.rule
	if r.Verbs[0] == rbacv1.VerbAll {
		return true
	}
	if len(r.NonResourceURLs) > 0 {
		return strings.HasSuffix(r.NonResourceURLs[0], "*")
	}
	return r.APIGroups[0] == rbacv1.APIGroupAll || strings.HasPrefix(r.Resources[0], "*")
}

func (a *atom) permission() Permission {
	r := &a.rule
	p := Permission{Verb: r.Verbs[0], Namespace: a.ns}
	if len(r.NonResourceURLs) > 0 {
		p.NonResourceURL = r.NonResourceURLs[0]
		return p
	}
	p.Group = r.APIGroups[0]
	p.Resource, p.Subresource, _ = strings.Cut(r.Resources[0], "/")
	p.ResourceNames = r.ResourceNames
	return p
}

// narrow returns the smallest rules, taken from rules, that allow every request of needs:
// for each rule, only the verbs, groups, resources (and resource names) the requests it
// allows used, wildcards replaced by what was used. Resources are grouped into one rule
// when they share group and verbs, so that the new rules allow nothing beyond the needs
// but the combinations of used verbs and names within one resource.
func narrow(rules []rbacv1.PolicyRule, needs []audit.Attributes) []rbacv1.PolicyRule {
	type resKey struct {
		rule        int
		group, res  string
		nonResource bool
	}
	type acc struct {
		verbs, names map[string]bool
	}
	accs := map[resKey]*acc{}
	var order []resKey
	for _, n := range needs {
		ra := rbac.Attributes{Verb: n.Verb, APIGroup: n.APIGroup, Resource: n.Resource, Subresource: n.Subresource, Name: n.Name, Path: n.Path}
		ri := -1
		for i := range rules {
			if rbac.RuleAllows(&rules[i], &ra) {
				ri = i
				break
			}
		}
		if ri < 0 {
			continue
		}
		k := resKey{rule: ri}
		if n.Path != "" {
			k.nonResource, k.res = true, n.Path
		} else {
			k.group, k.res = n.APIGroup, n.Resource
			if n.Subresource != "" {
				k.res += "/" + n.Subresource
			}
		}
		a := accs[k]
		if a == nil {
			a = &acc{verbs: map[string]bool{}, names: map[string]bool{}}
			accs[k] = a
			order = append(order, k)
		}
		a.verbs[n.Verb] = true
		if len(rules[ri].ResourceNames) > 0 {
			a.names[n.Name] = true
		}
	}
	sort.Slice(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.rule != b.rule {
			return a.rule < b.rule
		}
		if a.nonResource != b.nonResource {
			return !a.nonResource
		}
		if a.group != b.group {
			return a.group < b.group
		}
		return a.res < b.res
	})
	// Merge resources (or URLs) of one source rule with the same group, verbs and names.
	type ruleKey struct {
		rule        int
		nonResource bool
		group       string
		verbs       string
		names       string
	}
	var out []rbacv1.PolicyRule
	at := map[ruleKey]int{}
	for _, k := range order {
		a := accs[k]
		verbs, names := keys(a.verbs), keys(a.names)
		rk := ruleKey{k.rule, k.nonResource, k.group, strings.Join(verbs, ","), strings.Join(names, ",")}
		i, ok := at[rk]
		if !ok {
			i = len(out)
			at[rk] = i
			nr := rbacv1.PolicyRule{Verbs: verbs}
			if !k.nonResource {
				nr.APIGroups = []string{k.group}
				nr.ResourceNames = names
			}
			out = append(out, nr)
		}
		if k.nonResource {
			out[i].NonResourceURLs = append(out[i].NonResourceURLs, k.res)
		} else {
			out[i].Resources = append(out[i].Resources, k.res)
		}
	}
	return out
}

func keys(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// covered reports whether rules grant everything the atom grants (a wildcard atom is never
// covered by rules without the same wildcard).
func covered(rules []rbacv1.PolicyRule, a atom) bool {
	ar := &a.rule
	probe := rbac.Attributes{Verb: ar.Verbs[0]}
	if len(ar.NonResourceURLs) > 0 {
		probe.Path = ar.NonResourceURLs[0]
		for i := range rules {
			if containsStr(rules[i].Verbs, probe.Verb) || containsStr(rules[i].Verbs, rbacv1.VerbAll) {
				if containsStr(rules[i].NonResourceURLs, probe.Path) || containsStr(rules[i].NonResourceURLs, rbacv1.NonResourceAll) {
					return true
				}
			}
		}
		return false
	}
	probe.APIGroup = ar.APIGroups[0]
	probe.Resource, probe.Subresource, _ = strings.Cut(ar.Resources[0], "/")
	names := ar.ResourceNames
	if len(names) == 0 {
		names = []string{""}
	}
	for _, n := range names {
		probe.Name = n
		ok := false
		for i := range rules {
			r := &rules[i]
			if len(ar.ResourceNames) == 0 && len(r.ResourceNames) > 0 {
				continue // a rule limited to names does not cover one that is not
			}
			if rbac.RuleAllows(r, &probe) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
