package rbac

import (
	"slices"
	"sort"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// aggregate replaces the rules of every ClusterRole with an aggregationRule by those the
// clusterrole-aggregation controller gives it: for each selector in order, the ClusterRoles
// it matches sorted by name (the role itself left out), their rules in order, each distinct
// rule once. Aggregated roles may select each other, so the controller's passes are repeated
// until nothing changes, which is where the controller settles too. A selector that does not
// parse leaves the role's rules as they are, as the controller does (it errors and retries).
func aggregate(roles []*Role) {
	var aggs []*Role
	var cluster []*Role
	for _, r := range roles {
		if r.Kind != ClusterRoleKind {
			continue
		}
		cluster = append(cluster, r)
		if r.Aggregation != nil {
			aggs = append(aggs, r)
		}
	}
	if len(aggs) == 0 {
		return
	}
	sort.SliceStable(cluster, func(i, j int) bool { return cluster[i].Name < cluster[j].Name })
	sort.SliceStable(aggs, func(i, j int) bool { return aggs[i].Name < aggs[j].Name })

	sels := make([][]labels.Selector, len(aggs))
	for i, r := range aggs {
		for j := range r.Aggregation.ClusterRoleSelectors {
			s, err := metav1.LabelSelectorAsSelector(&r.Aggregation.ClusterRoleSelectors[j])
			if err != nil {
				sels[i] = nil
				break
			}
			sels[i] = append(sels[i], s)
		}
	}
	// Each pass can only carry rules one more step along a chain of aggregated roles.
	for pass := 0; pass <= len(aggs); pass++ {
		changed := false
		for i, r := range aggs {
			if sels[i] == nil && len(r.Aggregation.ClusterRoleSelectors) > 0 {
				continue
			}
			rules := []rbacv1.PolicyRule{}
			for _, sel := range sels[i] {
				for _, c := range cluster {
					if c == r || c.Name == r.Name || !sel.Matches(labels.Set(c.Labels)) {
						continue
					}
					for _, rule := range c.Rules {
						if !slices.ContainsFunc(rules, func(x rbacv1.PolicyRule) bool { return sameRule(&x, &rule) }) {
							rules = append(rules, rule)
						}
					}
				}
			}
			if !sameRules(rules, r.Rules) {
				r.Rules = rules
				changed = true
			}
		}
		if !changed {
			return
		}
	}
}

func sameRules(a, b []rbacv1.PolicyRule) bool {
	return slices.EqualFunc(a, b, func(x, y rbacv1.PolicyRule) bool { return sameRule(&x, &y) })
}

// sameRule compares rules as the controller does (semantic equality: a nil list equals an
// empty one, order matters).
func sameRule(a, b *rbacv1.PolicyRule) bool {
	return slices.Equal(a.Verbs, b.Verbs) && slices.Equal(a.APIGroups, b.APIGroups) &&
		slices.Equal(a.Resources, b.Resources) && slices.Equal(a.ResourceNames, b.ResourceNames) &&
		slices.Equal(a.NonResourceURLs, b.NonResourceURLs)
}
