// Package rbac is an effective-permission engine for Kubernetes RBAC: it answers "can this
// caller do this?", "who can do this?" and "what can this subject do?" from Roles,
// ClusterRoles, RoleBindings and ClusterRoleBindings, with the answers the API server's RBAC
// authorizer gives.
//
// The engine follows the authorizer's semantics (plugin/pkg/auth/authorizer/rbac in
// Kubernetes): a ClusterRoleBinding grants its ClusterRole's rules everywhere; a RoleBinding
// grants its Role's or ClusterRole's rules only in the binding's namespace and never for
// cluster-scoped or non-resource requests; a ServiceAccount subject without a namespace takes
// the RoleBinding's. ClusterRoles with an aggregationRule get the rules the
// clusterrole-aggregation controller would give them. Members of system:masters are allowed
// everything, as the API server authorizes them before asking RBAC.
//
// Build an engine once (New, or FromInventory); queries are index lookups and safe for
// concurrent use.
package rbac

import (
	"cmp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubeharden/kubeharden/inventory"
)

// Binding kinds.
const (
	RoleBindingKind        = "RoleBinding"
	ClusterRoleBindingKind = "ClusterRoleBinding"
	RoleKind               = "Role"
	ClusterRoleKind        = "ClusterRole"
)

// Role is a Role or ClusterRole with its effective rules.
type Role struct {
	Kind      string // Role or ClusterRole
	Namespace string // "" for ClusterRoles
	Name      string
	Labels    map[string]string
	// Rules are the effective rules: for an aggregated ClusterRole, those of the ClusterRoles
	// its selectors match, as the aggregation controller computes them.
	Rules []rbacv1.PolicyRule
	// Aggregation is the ClusterRole's aggregationRule, nil for others.
	Aggregation *rbacv1.AggregationRule
	// Object is the inventory object the role was read from; nil for built-in defaults or
	// roles given to New.
	Object *inventory.Object
	// Builtin marks a role of the default policy added because the input lacked it.
	Builtin bool
	// Reconciled is set on an input role that redefines a role of the default policy: Rules,
	// Labels and Aggregation are then those the API server's start-up reconciliation leaves.
	Reconciled *Reconciled

	annotations map[string]string
	// idx is the role's position in Engine.roles, and of its bindings in Engine.bound. An
	// engine derived from another (see derive) shares its roles: what changes with the
	// bindings is kept in the engine, not here.
	idx int
}

// roleBindings are the bindings to one role.
type roleBindings struct {
	crbs []*Binding            // ClusterRoleBindings to this ClusterRole
	rbs  map[string][]*Binding // RoleBindings to this role, by namespace
}

// String renders the role as "ClusterRole/edit" or "Role/dev/reader".
func (r *Role) String() string { return refString(r.Kind, r.Namespace, r.Name) }

// Binding is a RoleBinding or ClusterRoleBinding.
type Binding struct {
	Kind      string // RoleBinding or ClusterRoleBinding
	Namespace string // "" for ClusterRoleBindings
	Name      string
	Labels    map[string]string
	RoleRef   rbacv1.RoleRef
	Subjects  []rbacv1.Subject
	// Object is the inventory object the binding was read from; nil for built-in defaults or
	// bindings given to New.
	Object *inventory.Object
	// Builtin marks a binding of the default policy added because the input lacked it.
	Builtin bool
	// Reconciled is set on an input binding that redefines a binding of the default policy:
	// RoleRef and Subjects are then those the API server's start-up reconciliation leaves.
	Reconciled *Reconciled

	annotations map[string]string
	role        *Role
}

// String renders the binding as "ClusterRoleBinding/admins" or "RoleBinding/dev/readers".
func (b *Binding) String() string { return refString(b.Kind, b.Namespace, b.Name) }

// Role is the role the binding references, or nil when it does not exist.
func (b *Binding) Role() *Role { return b.role }

// RoleRefString renders the referenced role as "ClusterRole/edit" or "Role/dev/reader".
func (b *Binding) RoleRefString() string {
	if b.RoleRef.Kind == RoleKind {
		return refString(RoleKind, b.Namespace, b.RoleRef.Name)
	}
	return refString(b.RoleRef.Kind, "", b.RoleRef.Name)
}

// Subject returns subject i resolved as the authorizer reads it: a ServiceAccount without a
// namespace takes the RoleBinding's. ok is false for a subject that can match no caller (an
// unknown kind, or a ServiceAccount without namespace in a ClusterRoleBinding).
func (b *Binding) Subject(i int) (s Subject, ok bool) {
	rs := &b.Subjects[i]
	s = Subject{Kind: rs.Kind, Name: rs.Name, Namespace: rs.Namespace}
	switch rs.Kind {
	case UserKind, GroupKind:
		s.Namespace = ""
		return s, rs.Name != ""
	case ServiceAccountKind:
		if s.Namespace == "" {
			s.Namespace = b.Namespace
		}
		return s, s.Namespace != "" && s.Name != ""
	}
	return s, false
}

// Default reports whether the binding belongs to the default policy of a cluster: the
// built-in defaults, bindings labelled kubernetes.io/bootstrapping=rbac-defaults, and the
// reserved name prefixes "system:" (Kubernetes components) and "kubeadm:" (cluster setup).
func (b *Binding) Default() bool {
	return b.Builtin || isDefaultName(b.Name, b.Labels)
}

// Default reports whether the role belongs to the default policy of a cluster, by the same
// rule as Binding.Default.
func (r *Role) Default() bool { return r.Builtin || isDefaultName(r.Name, r.Labels) }

func isDefaultName(name string, labels map[string]string) bool {
	return labels["kubernetes.io/bootstrapping"] == "rbac-defaults" || hasPrefix(name, "system:") || hasPrefix(name, "kubeadm:")
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

func refString(kind, ns, name string) string {
	if ns == "" {
		return kind + "/" + name
	}
	return kind + "/" + ns + "/" + name
}

// Grant is one way a subject holds a permission: the binding that names it, the role the
// binding references and the rule of that role.
type Grant struct {
	Subject Subject
	Binding *Binding
	// SubjectIndex is the subject's position in Binding.Subjects.
	SubjectIndex int
	Role         *Role
	// Rule is the index of the rule in Role.Rules.
	Rule int
}

// PolicyRule returns the granting rule.
func (g *Grant) PolicyRule() *rbacv1.PolicyRule { return &g.Role.Rules[g.Rule] }

// RuleString renders the rule as "rules[2]: verbs=[get] apiGroups=[""] resources=[secrets]".
func (g *Grant) RuleString() string {
	return "rules[" + strconv.Itoa(g.Rule) + "]: " + RuleString(g.PolicyRule())
}

// Scope is the namespace the grant applies in: the RoleBinding's, or "" (everywhere) for a
// ClusterRoleBinding.
func (g *Grant) Scope() string { return g.Binding.Namespace }

// Objects are the RBAC objects an engine is built from.
type Objects struct {
	Roles               []*rbacv1.Role
	ClusterRoles        []*rbacv1.ClusterRole
	RoleBindings        []*rbacv1.RoleBinding
	ClusterRoleBindings []*rbacv1.ClusterRoleBinding
}

// Engine answers permission queries. Build it with New or FromInventory.
type Engine struct {
	roles    []*Role
	bindings []*Binding
	byKey    map[roleKey]*Role

	users  map[string]*principal // user names, service account user names included
	groups map[string]*principal
	// bound are the bindings of each role, by Role.idx.
	bound []roleBindings
	// nextID is the id of the next principal made.
	nextID int

	index ruleIndex

	// Environment of the escalation search, filled by FromInventory.
	env env
	// graphs are the escalation graphs over roles, bindings and env, built on first use.
	graphs *graphs

	// src are the objects FromInventory read, nil for engines built otherwise.
	src *sources
	// gen identifies the engine to a Tracker; base is the gen of the engine this one was
	// derived from (0: none), and replaced are that engine's principals this one does not
	// share with it.
	gen, base uint64
	replaced  map[*principal]bool
	// subs are the subjects of the bindings, shared by engines with the same bindings.
	subs *subjectList
}

type roleKey struct{ kind, ns, name string }

func (r *Role) key() roleKey    { return roleKey{r.Kind, r.Namespace, r.Name} }
func (b *Binding) key() roleKey { return roleKey{b.Kind, b.Namespace, b.Name} }

// principal holds the bindings that name one user or group, by where they apply.
type principal struct {
	id      int                  // unique in the engine, for CallerKey
	cluster []subjRef            // ClusterRoleBindings
	ns      map[string][]subjRef // RoleBindings, by namespace
}

type subjRef struct {
	b *Binding
	i int // subject index
}

// New builds an engine from RBAC objects. RoleBindings without a namespace are taken to be
// in "default", as kubectl would create them.
func New(objs Objects) *Engine {
	var rs []*Role
	var bs []*Binding
	for _, r := range objs.Roles {
		rs = append(rs, roleFrom(r, nil))
	}
	for _, r := range objs.ClusterRoles {
		rs = append(rs, clusterRoleFrom(r, nil))
	}
	for _, b := range objs.RoleBindings {
		bs = append(bs, roleBindingFrom(b, nil))
	}
	for _, b := range objs.ClusterRoleBindings {
		bs = append(bs, clusterRoleBindingFrom(b, nil))
	}
	return build(rs, bs)
}

func roleFrom(r *rbacv1.Role, o *inventory.Object) *Role {
	return &Role{Kind: RoleKind, Namespace: nsOrDefault(r.Namespace), Name: r.Name, Labels: r.Labels, Rules: r.Rules, Object: o, annotations: r.Annotations}
}

func clusterRoleFrom(r *rbacv1.ClusterRole, o *inventory.Object) *Role {
	return &Role{Kind: ClusterRoleKind, Name: r.Name, Labels: r.Labels, Rules: r.Rules, Aggregation: r.AggregationRule, Object: o, annotations: r.Annotations}
}

func roleBindingFrom(b *rbacv1.RoleBinding, o *inventory.Object) *Binding {
	return &Binding{Kind: RoleBindingKind, Namespace: nsOrDefault(b.Namespace), Name: b.Name, Labels: b.Labels,
		RoleRef: b.RoleRef, Subjects: b.Subjects, Object: o, annotations: b.Annotations}
}

func clusterRoleBindingFrom(b *rbacv1.ClusterRoleBinding, o *inventory.Object) *Binding {
	return &Binding{Kind: ClusterRoleBindingKind, Name: b.Name, Labels: b.Labels, RoleRef: b.RoleRef, Subjects: b.Subjects, Object: o, annotations: b.Annotations}
}

func nsOrDefault(ns string) string {
	if ns == "" {
		return inventory.DefaultNamespace
	}
	return ns
}

// build indexes roles and bindings. A later object with the same kind, namespace and name
// replaces an earlier one, as a second kubectl apply would.
func build(roles []*Role, bindings []*Binding) *Engine {
	e := &Engine{
		byKey:  make(map[roleKey]*Role, len(roles)),
		users:  map[string]*principal{},
		groups: map[string]*principal{},
		graphs: &graphs{},
		subs:   &subjectList{},
	}
	for _, r := range roles {
		k := r.key()
		if old := e.byKey[k]; old != nil {
			*old = *r
			continue
		}
		e.byKey[k] = r
		e.roles = append(e.roles, r)
	}
	aggregate(e.roles)
	for i, r := range e.roles {
		r.idx = i
	}
	e.bound = make([]roleBindings, len(e.roles))

	seen := make(map[roleKey]int, len(bindings))
	for _, b := range bindings {
		k := b.key()
		if i, dup := seen[k]; dup {
			e.bindings[i] = b
			continue
		}
		seen[k] = len(e.bindings)
		e.bindings = append(e.bindings, b)
	}
	for _, b := range e.bindings {
		e.addBinding(b)
	}
	e.index = newRuleIndex(e.roles)
	return e
}

func (e *Engine) addBinding(b *Binding) {
	e.resolve(b)
	r := b.role
	if r == nil {
		return
	}
	e.bound[r.idx].add(b)
	for i := range b.Subjects {
		s, ok := b.Subject(i)
		if !ok {
			continue
		}
		name, group, ok := principalName(s)
		if !ok {
			continue
		}
		e.principal(e.named(group), name).addRef(b, i)
	}
}

// addRef adds subject i of b to the bindings that name p.
func (p *principal) addRef(b *Binding, i int) {
	ref := subjRef{b, i}
	if b.Kind == ClusterRoleBindingKind {
		p.cluster = append(p.cluster, ref)
		return
	}
	if p.ns == nil {
		p.ns = map[string][]subjRef{}
	}
	p.ns[b.Namespace] = append(p.ns[b.Namespace], ref)
}

func (rb *roleBindings) add(b *Binding) {
	if b.Kind == ClusterRoleBindingKind {
		rb.crbs = append(rb.crbs, b)
		return
	}
	if rb.rbs == nil {
		rb.rbs = map[string][]*Binding{}
	}
	rb.rbs[b.Namespace] = append(rb.rbs[b.Namespace], b)
}

// resolve sets b.role to the role b references, nil when it does not exist.
func (e *Engine) resolve(b *Binding) {
	switch {
	case b.Kind == ClusterRoleBindingKind && b.RoleRef.Kind == ClusterRoleKind:
		b.role = e.byKey[roleKey{ClusterRoleKind, "", b.RoleRef.Name}]
	case b.Kind == RoleBindingKind && b.RoleRef.Kind == ClusterRoleKind:
		b.role = e.byKey[roleKey{ClusterRoleKind, "", b.RoleRef.Name}]
	case b.Kind == RoleBindingKind && b.RoleRef.Kind == RoleKind:
		b.role = e.byKey[roleKey{RoleKind, b.Namespace, b.RoleRef.Name}]
	}
}

// principalName is the name subject s is known by among the engine's users (a service
// account by its user name) or, when group is set, its groups.
func principalName(s Subject) (name string, group, ok bool) {
	switch s.Kind {
	case UserKind:
		return s.Name, false, true
	case ServiceAccountKind:
		return ServiceAccountUser(s.Namespace, s.Name), false, true
	case GroupKind:
		return s.Name, true, true
	}
	return "", false, false
}

// named are the engine's principals by name: its groups when group is set, else its users.
func (e *Engine) named(group bool) map[string]*principal {
	if group {
		return e.groups
	}
	return e.users
}

func (e *Engine) principal(m map[string]*principal, name string) *principal {
	p := m[name]
	if p == nil {
		p = &principal{id: e.nextID}
		e.nextID++
		m[name] = p
	}
	return p
}

// Roles returns every role and cluster role, in input order (built-in defaults last).
func (e *Engine) Roles() []*Role { return e.roles }

// Bindings returns every binding, in input order (built-in defaults last).
func (e *Engine) Bindings() []*Binding { return e.bindings }

// Role finds a Role (namespace set) or ClusterRole (namespace "").
func (e *Engine) Role(kind, namespace, name string) *Role {
	return e.byKey[roleKey{kind, namespace, name}]
}

// Allowed reports whether a caller with this user name and groups may make the request, as the
// API server's authorizer decides it for a SubjectAccessReview with the same user and groups.
// The groups are taken as given: use Impersonate or Subject.Principal to add the implicit ones.
func (e *Engine) Allowed(user string, groups []string, a Attributes) bool {
	if contains(groups, Masters) {
		return true
	}
	found := false
	e.visit(user, groups, &a, func(*Binding, int, *Role, int) bool {
		found = true
		return false
	})
	return found
}

// Reasons returns every grant that allows the request, one per binding and subject (with the
// first rule of the role that allows it). It is empty when the request is denied, and also for
// system:masters members, whom no binding is needed for.
func (e *Engine) Reasons(user string, groups []string, a Attributes) []Grant {
	var out []Grant
	e.visit(user, groups, &a, func(b *Binding, si int, r *Role, ri int) bool {
		s, _ := b.Subject(si)
		out = append(out, Grant{Subject: s, Binding: b, SubjectIndex: si, Role: r, Rule: ri})
		return true
	})
	return out
}

// visit calls f for each binding subject that applies to the caller and grants a, with the
// first allowing rule; f returns false to stop.
func (e *Engine) visit(user string, groups []string, a *Attributes, f func(*Binding, int, *Role, int) bool) {
	ns := a.Namespace
	if a.NonResource() {
		ns = ""
	}
	try := func(p *principal) bool {
		if p == nil {
			return true
		}
		for _, ref := range p.cluster {
			if ri := firstAllowing(ref.b.role, a); ri >= 0 && !f(ref.b, ref.i, ref.b.role, ri) {
				return false
			}
		}
		if ns != "" {
			for _, ref := range p.ns[ns] {
				if ri := firstAllowing(ref.b.role, a); ri >= 0 && !f(ref.b, ref.i, ref.b.role, ri) {
					return false
				}
			}
		}
		return true
	}
	if user != "" && !try(e.users[user]) {
		return
	}
	for i, g := range groups {
		if contains(groups[:i], g) {
			continue
		}
		if !try(e.groups[g]) {
			return
		}
	}
}

func firstAllowing(r *Role, a *Attributes) int {
	for i := range r.Rules {
		if RuleAllows(&r.Rules[i], a) {
			return i
		}
	}
	return -1
}

// WhoCan returns the subjects that may make the request, each with the binding, role and
// rule that grant it: one grant per binding subject, sorted by subject. Callers not named by
// any binding may still be allowed through a Group they belong to (system:authenticated,
// for one) — the grant then names the group; and members of system:masters are allowed
// everything without a binding.
func (e *Engine) WhoCan(a Attributes) []Grant {
	return e.holders(&a, false, nil)
}

// Holders is WhoCan for a namespaced request in any namespace: it adds to the
// ClusterRoleBindings that grant a cluster-wide the RoleBindings that grant it in their own
// namespace. a.Namespace is ignored.
func (e *Engine) Holders(a Attributes) []Grant {
	a.Namespace = ""
	return e.holders(&a, true, nil)
}

// HoldersIn is Holders for the bindings of some namespaces: the RoleBindings of the
// namespaces in, and the ClusterRoleBindings when in[""] (nil in: every binding, as
// Holders). It is what Holders returns less the grants of other bindings, for a caller that
// judges some namespaces again.
func (e *Engine) HoldersIn(a Attributes, in map[string]bool) []Grant {
	a.Namespace = ""
	return e.holders(&a, true, in)
}

// holders emits the grants of a's holders; in, when set, limits them to the bindings of
// some namespaces (see HoldersIn).
func (e *Engine) holders(a *Attributes, anyNS bool, in map[string]bool) []Grant {
	// A role's bindings are all emitted at its first allowing rule, so remembering the roles
	// done is enough to emit each binding subject once.
	var done []*Role
	var doneSet map[*Role]bool
	var out []Grant
	emit := func(b *Binding, r *Role, ri int) {
		for i := range b.Subjects {
			if s, ok := b.Subject(i); ok {
				out = append(out, Grant{Subject: s, Binding: b, SubjectIndex: i, Role: r, Rule: ri})
			}
		}
	}
	e.index.lookup(a, anyNS, func(r *Role, ri int) {
		if doneSet != nil {
			if doneSet[r] {
				return
			}
			doneSet[r] = true
		} else {
			if slices.Contains(done, r) {
				return
			}
			if done = append(done, r); len(done) > 16 {
				doneSet = make(map[*Role]bool, 2*len(done))
				for _, d := range done {
					doneSet[d] = true
				}
			}
		}
		crbs := in == nil || in[""]
		rb := &e.bound[r.idx]
		if a.NonResource() {
			if crbs {
				for _, b := range rb.crbs {
					emit(b, r, ri)
				}
			}
			return
		}
		if r.Kind == ClusterRoleKind && crbs {
			for _, b := range rb.crbs {
				emit(b, r, ri)
			}
		}
		switch {
		case in != nil:
			for ns := range in {
				for _, b := range rb.rbs[ns] {
					emit(b, r, ri)
				}
			}
		case anyNS:
			for _, bs := range rb.rbs {
				for _, b := range bs {
					emit(b, r, ri)
				}
			}
		case a.Namespace != "":
			for _, b := range rb.rbs[a.Namespace] {
				emit(b, r, ri)
			}
		}
	})
	sortGrants(out)
	return out
}

func sortGrants(gs []Grant) {
	slices.SortStableFunc(gs, func(a, b Grant) int {
		if a.Subject != b.Subject {
			return compareSubjects(a.Subject, b.Subject)
		}
		if a.Binding != b.Binding {
			return compareBindings(a.Binding, b.Binding)
		}
		return cmp.Compare(a.Rule, b.Rule)
	})
}

func compareSubjects(a, b Subject) int {
	if c := strings.Compare(a.Kind, b.Kind); c != 0 {
		return c
	}
	if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}

func compareBindings(a, b *Binding) int {
	if c := strings.Compare(a.Kind, b.Kind); c != 0 {
		return c
	}
	if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}

func subjectLess(a, b Subject) bool {
	if a.Kind != b.Kind {
		return a.Kind < b.Kind
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

// Permissions returns the effective rules of a subject, by the namespace they apply in (""
// for cluster-wide grants, which apply in every namespace too). A User or ServiceAccount
// includes what its implicit groups are granted (see Subject.Principal); a Group only what
// is bound to the group itself.
func (e *Engine) Permissions(s Subject) map[string][]Grant {
	user, groups := s.Principal()
	return e.PermissionsOf(user, groups)
}

// PermissionsOf is Permissions for a caller given by user name and groups.
func (e *Engine) PermissionsOf(user string, groups []string) map[string][]Grant {
	out := map[string][]Grant{}
	addRef := func(ref subjRef) {
		r := ref.b.role
		s, _ := ref.b.Subject(ref.i)
		gs := out[ref.b.Namespace]
		for ri := range r.Rules {
			gs = append(gs, Grant{Subject: s, Binding: ref.b, SubjectIndex: ref.i, Role: r, Rule: ri})
		}
		if len(r.Rules) > 0 {
			out[ref.b.Namespace] = gs
		}
	}
	add := func(p *principal) {
		if p == nil {
			return
		}
		for _, ref := range p.cluster {
			addRef(ref)
		}
		for _, refs := range p.ns {
			for _, ref := range refs {
				addRef(ref)
			}
		}
	}
	if user != "" {
		add(e.users[user])
	}
	for i, g := range groups {
		if !contains(groups[:i], g) {
			add(e.groups[g])
		}
	}
	for _, gs := range out {
		sortByBinding(gs)
	}
	return out
}

// sortByBinding orders grants by binding, then rule; grants of the same binding and rule
// keep their order.
func sortByBinding(gs []Grant) {
	slices.SortStableFunc(gs, func(a, b Grant) int {
		if a.Binding != b.Binding {
			return compareBindings(a.Binding, b.Binding)
		}
		return cmp.Compare(a.Rule, b.Rule)
	})
}

// RoleBindingNamespaces returns the namespaces in which a RoleBinding names the caller
// (the user or one of the groups as given), in no particular order. Requests in any other
// namespace are decided by ClusterRoleBindings alone.
func (e *Engine) RoleBindingNamespaces(user string, groups []string) map[string]bool {
	out := map[string]bool{}
	add := func(p *principal) {
		if p != nil {
			for ns := range p.ns {
				out[ns] = true
			}
		}
	}
	if user != "" {
		add(e.users[user])
	}
	for _, g := range groups {
		add(e.groups[g])
	}
	return out
}

// Subjects returns every distinct subject named by a binding that can match a caller, sorted.
func (e *Engine) Subjects() []Subject { return slices.Clone(e.subjects()) }

// subjectList is an engine's Subjects, listed on first use.
type subjectList struct {
	once sync.Once
	s    []Subject
}

// subjects is Subjects, listed once per engine; callers must not change it.
func (e *Engine) subjects() []Subject {
	if e.subs == nil { // an engine not made by build or derive
		return e.listSubjects()
	}
	e.subs.once.Do(func() { e.subs.s = e.listSubjects() })
	return e.subs.s
}

func (e *Engine) listSubjects() []Subject {
	seen := map[Subject]bool{}
	var out []Subject
	for _, b := range e.bindings {
		for i := range b.Subjects {
			if s, ok := b.Subject(i); ok && !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return subjectLess(out[i], out[j]) })
	return out
}
