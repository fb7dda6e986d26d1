package review

import (
	"sort"
	"strconv"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/kubeharden/kubeharden/audit"
	"github.com/kubeharden/kubeharden/rbac"
)

// changes proposes, role by role, the smallest edits that keep every request the reviewed
// bindings granted allowed:
//
//   - a binding that granted nothing used is removed; subjects of a binding that were granted
//     nothing used are dropped from it;
//   - a role that may be edited (not of the default policy, not aggregated or aggregated into
//     another, referenced by no default binding) is narrowed in place to what its bindings
//     used — when bindings used different parts of it, the one that used most keeps the role
//     and each other binding is split off to a role of its own with what it used, since
//     narrowing the shared role would leave it permissions only others need;
//   - a binding to a role that may not be edited is split off to a role of its own.
func (r *reviewer) changes() []*Change {
	byRole := map[*rbac.Role][]*rbac.Binding{}
	locked := map[*rbac.Role]bool{}
	for _, b := range r.e.Bindings() {
		role := b.Role()
		if role == nil {
			continue
		}
		if reviewed(b) {
			byRole[role] = append(byRole[role], b)
		} else {
			locked[role] = true
		}
	}
	roles := make([]*rbac.Role, 0, len(byRole))
	for role := range byRole {
		roles = append(roles, role)
	}
	sort.Slice(roles, func(i, j int) bool { return roles[i].String() < roles[j].String() })

	names := map[string]bool{}
	var out []*Change
	for _, role := range roles {
		binders := byRole[role]
		sort.Slice(binders, func(i, j int) bool { return binders[i].String() < binders[j].String() })
		var active []*rbac.Binding
		sigs := map[*rbac.Binding]map[audit.Attributes]bool{}
		for _, b := range binders {
			if len(r.bindingNeeds[b]) == 0 {
				out = append(out, &Change{Action: RemoveBinding, Target: b.String(),
					Reason:   "granted nothing used in the window",
					Delete:   []string{b.String()},
					Removed:  permissionsOf(atoms(role.Rules, b.Namespace), b),
					bindings: []*rbac.Binding{b}, drop: []*rbac.Binding{b}})
				continue
			}
			active = append(active, b)
			sigs[b] = signatures(r.bindingNeeds[b])
		}
		if len(active) == 0 {
			continue
		}
		editable := r.editable(role) && !locked[role]
		// The binding that used most keeps the role (when it may be edited).
		sort.SliceStable(active, func(i, j int) bool { return len(sigs[active[i]]) > len(sigs[active[j]]) })
		var keepers []*rbac.Binding
		if editable {
			for _, b := range active {
				if sameSigs(sigs[b], sigs[active[0]]) {
					keepers = append(keepers, b)
				}
			}
			rules := narrow(role.Rules, list(sigs[active[0]]))
			removed := uncovered(role.Rules, rules, role.Namespace)
			if len(removed) > 0 {
				nr := &rbac.Role{Kind: role.Kind, Namespace: role.Namespace, Name: role.Name, Labels: role.Labels, Rules: rules}
				out = append(out, &Change{Action: NarrowRole, Target: role.String(),
					Reason:   "keep only what " + bindingNames(keepers) + " used",
					Apply:    roleYAML(nr),
					Removed:  removed,
					bindings: keepers, roles: []*rbac.Role{nr},
					scope: map[*rbac.Binding][]rbacv1.PolicyRule{}})
				for _, b := range keepers {
					out[len(out)-1].scope[b] = rules
				}
			}
			for _, b := range keepers {
				if c := r.removeSubjects(b); c != nil {
					out = append(out, c)
				}
			}
		}
		for _, b := range active {
			if containsBinding(keepers, b) {
				continue
			}
			out = append(out, r.split(role, b, editable, names))
		}
	}
	return out
}

func containsBinding(bs []*rbac.Binding, b *rbac.Binding) bool {
	for _, x := range bs {
		if x == b {
			return true
		}
	}
	return false
}

func bindingNames(bs []*rbac.Binding) string {
	var s []string
	for _, b := range bs {
		s = append(s, b.String())
	}
	return strings.Join(s, ", ")
}

// editable reports whether a role may be narrowed in place: not of the default policy, not
// aggregated, and not aggregated into another ClusterRole (whose rules would change too).
func (r *reviewer) editable(role *rbac.Role) bool {
	if role.Default() || role.Aggregation != nil {
		return false
	}
	if role.Kind != rbac.ClusterRoleKind {
		return true
	}
	for _, other := range r.e.Roles() {
		if other.Aggregation == nil {
			continue
		}
		for i := range other.Aggregation.ClusterRoleSelectors {
			sel, err := metav1.LabelSelectorAsSelector(&other.Aggregation.ClusterRoleSelectors[i])
			if err == nil && sel.Matches(labels.Set(role.Labels)) {
				return false
			}
		}
	}
	return true
}

// usedSubjects are the subjects of b it granted something used, by index.
func (r *reviewer) usedSubjects(b *rbac.Binding) []rbacv1.Subject {
	var keep []rbacv1.Subject
	for i := range b.Subjects {
		if len(r.subjectUsed[subjKey{b, i}]) > 0 {
			keep = append(keep, b.Subjects[i])
		}
	}
	return keep
}

// removeSubjects drops from b the subjects it granted nothing used, or returns nil.
func (r *reviewer) removeSubjects(b *rbac.Binding) *Change {
	keep := r.usedSubjects(b)
	if len(keep) == len(b.Subjects) {
		return nil
	}
	nb := *b
	nb.Subjects = keep
	var gone []string
	for i := range b.Subjects {
		if len(r.subjectUsed[subjKey{b, i}]) == 0 {
			gone = append(gone, b.Subjects[i].Kind+" "+b.Subjects[i].Name)
		}
	}
	return &Change{Action: RemoveSubjects, Target: b.String(),
		Reason:   "granted nothing used to " + strings.Join(gone, ", "),
		Apply:    bindingYAML(&nb, b.RoleRef),
		bindings: []*rbac.Binding{b}, newBinds: []*rbac.Binding{&nb}}
}

// maxSplitNamespaces is how many namespaces a ClusterRoleBinding may have been used in for
// its namespaced requests to move to RoleBindings there; beyond, they stay cluster-wide.
const maxSplitNamespaces = 10

// split gives b a role of its own with the rules it used: a Role in the namespace of a
// RoleBinding, a ClusterRole for a ClusterRoleBinding. The binding is replaced, since its
// roleRef cannot change; subjects it granted nothing used are left out of the new one. A
// ClusterRoleBinding whose namespaced requests were made in a few namespaces only keeps
// cluster-wide just the requests that need it (cluster-scoped resources, all namespaces,
// URLs); the rest moves to a Role and RoleBinding in each namespace used.
func (r *reviewer) split(role *rbac.Role, b *rbac.Binding, editable bool, taken map[string]bool) *Change {
	why := role.String() + " may not be edited (default policy, aggregated, or bound by a default binding)"
	if editable {
		why = "other bindings of " + role.String() + " need more of it than " + b.String() + " used"
	}
	c := &Change{Action: SplitRole, Target: b.String(), Reason: why, Delete: []string{b.String()},
		bindings: []*rbac.Binding{b}, drop: []*rbac.Binding{b}, scope: map[*rbac.Binding][]rbacv1.PolicyRule{}}
	subjects := r.usedSubjects(b)
	var docs []string
	add := func(kind, ns string, needs []*Use) []rbacv1.PolicyRule {
		name := b.Name + "-narrowed"
		for i := 2; r.e.Role(kind, ns, name) != nil || taken[kind+"/"+ns+"/"+name]; i++ {
			name = b.Name + "-narrowed-" + strconv.Itoa(i)
		}
		taken[kind+"/"+ns+"/"+name] = true
		rules := narrow(role.Rules, list(signatures(needs)))
		nr := &rbac.Role{Kind: kind, Namespace: ns, Name: name, Rules: rules}
		bk := rbac.ClusterRoleBindingKind
		if kind == rbac.RoleKind {
			bk = rbac.RoleBindingKind
		}
		nb := &rbac.Binding{Kind: bk, Namespace: ns, Name: b.Name, Labels: b.Labels, Subjects: subjects}
		for r.bindingExists(nb) && nb.String() != b.String() {
			nb.Name += "-narrowed"
		}
		nb.RoleRef = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: name}
		c.roles = append(c.roles, nr)
		c.newBinds = append(c.newBinds, nb)
		docs = append(docs, roleYAML(nr), bindingYAML(nb, nb.RoleRef))
		return rules
	}
	needs := r.bindingNeeds[b]
	if b.Kind == rbac.RoleBindingKind {
		c.scope[b] = add(rbac.RoleKind, b.Namespace, needs)
		c.Removed = uncovered(role.Rules, c.scope[b], b.Namespace)
		c.Apply = strings.Join(docs, "---\n")
		return c
	}
	byNS := map[string][]*Use{}
	var cluster []*Use
	for _, u := range needs {
		if ns := u.Attributes.Namespace; ns != "" && u.Attributes.Path == "" {
			byNS[ns] = append(byNS[ns], u)
		} else {
			cluster = append(cluster, u)
		}
	}
	if len(byNS) > maxSplitNamespaces {
		cluster, byNS = needs, nil
	}
	if len(cluster) > 0 {
		c.scope[b] = add(rbac.ClusterRoleKind, "", cluster)
	}
	nss := make([]string, 0, len(byNS))
	for ns := range byNS {
		nss = append(nss, ns)
	}
	sort.Strings(nss)
	for _, ns := range nss {
		add(rbac.RoleKind, ns, byNS[ns])
	}
	if len(nss) > 0 {
		c.Reason += "; namespaced requests were made only in " + strings.Join(nss, ", ") + ": granted there only"
	}
	c.Removed = uncovered(role.Rules, c.scope[b], "")
	c.Apply = strings.Join(docs, "---\n")
	return c
}

func (r *reviewer) bindingExists(nb *rbac.Binding) bool {
	for _, b := range r.e.Bindings() {
		if b.String() == nb.String() {
			return true
		}
	}
	return false
}

// signatures are the distinct requests, without namespace: a role's rules do not name one.
func signatures(us []*Use) map[audit.Attributes]bool {
	out := map[audit.Attributes]bool{}
	for _, u := range us {
		a := u.Attributes
		a.Namespace = ""
		out[a] = true
	}
	return out
}

func sameSigs(a, b map[audit.Attributes]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}

func list(m map[audit.Attributes]bool) []audit.Attributes {
	out := make([]audit.Attributes, 0, len(m))
	for a := range m {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return attrLess(out[i], out[j]) })
	return out
}

// uncovered are the permissions of old, in namespace ns, that rules no longer grant.
func uncovered(old, rules []rbacv1.PolicyRule, ns string) []Permission {
	var out []Permission
	for _, a := range atoms(old, ns) {
		if !covered(rules, a) {
			out = append(out, a.permission())
		}
	}
	return out
}

func permissionsOf(as []atom, b *rbac.Binding) []Permission {
	var out []Permission
	for _, a := range as {
		p := a.permission()
		p.Via = []string{b.String()}
		out = append(out, p)
	}
	return out
}

// roleYAML renders a Role or ClusterRole with the rules given, to apply.
func roleYAML(r *rbac.Role) string {
	meta := map[string]any{"name": r.Name}
	if r.Namespace != "" {
		meta["namespace"] = r.Namespace
	}
	doc := map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": r.Kind, "metadata": meta, "rules": r.Rules}
	if len(r.Rules) == 0 {
		doc["rules"] = []any{}
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return "# " + err.Error() + "\n"
	}
	return string(b)
}

// bindingYAML renders a binding with ref as its roleRef, to apply.
func bindingYAML(b *rbac.Binding, ref rbacv1.RoleRef) string {
	meta := map[string]any{"name": b.Name}
	if b.Kind == rbac.RoleBindingKind {
		meta["namespace"] = b.Namespace
	}
	doc := map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": b.Kind, "metadata": meta,
		"roleRef": ref, "subjects": b.Subjects}
	out, err := yaml.Marshal(doc)
	if err != nil {
		return "# " + err.Error() + "\n"
	}
	return string(out)
}
