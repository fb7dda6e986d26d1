package review

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubeharden/kubeharden/audit"
	"github.com/kubeharden/kubeharden/rbac"
)

// Report is the review of every subject over the window of the evidence.
type Report struct {
	Window   Window     `json:"window"`
	Subjects []*Subject `json:"subjects"`
	// Changes are every proposed edit once, in the order to apply them.
	Changes []*Change `json:"changes"`
	// Verified is true when, with every change applied, the engine still allows every
	// audited request and denies every removed permission (see Subject.Suggestion).
	Verified bool `json:"verified"`
	// Problems are what verification found wrong; empty when Verified.
	Problems []string `json:"problems,omitempty"`
}

// Window is what the evidence covers.
type Window struct {
	// Since and Until are the bounds asked for; zero when open.
	Since time.Time `json:"since,omitzero"`
	Until time.Time `json:"until,omitzero"`
	// First and Last are the earliest and latest request read.
	First    time.Time `json:"first,omitzero"`
	Last     time.Time `json:"last,omitzero"`
	Files    int       `json:"files"`
	Requests int       `json:"requests"`
	Denied   int       `json:"denied"`
	Errors   int       `json:"errors"`
}

// Subject is the review of one subject. Its JSON is the contract of `rbac review -o json`.
type Subject struct {
	Subject rbac.Subject `json:"subject"`
	Risk    Risk         `json:"risk"`
	// Active is true when the log has a request by (or, for a Group, granted through) the
	// subject.
	Active   bool         `json:"active"`
	Bindings []BindingUse `json:"bindings"`
	// Used are the requests the subject made (a Group: the requests its bindings granted),
	// without object names.
	Used []Permission `json:"used"`
	// Unused are the permissions the subject's own bindings grant that no request used.
	Unused []Permission `json:"unused"`
	// Broader are wildcard permissions of which only some requests were used.
	Broader []Permission `json:"broader,omitempty"`
	// Denied are requests the authorizer refused: never counted as used.
	Denied []Permission `json:"denied,omitempty"`
	// ImpersonatedBy are the users who made requests as this subject.
	ImpersonatedBy []Impersonator `json:"impersonatedBy,omitempty"`
	Suggestion     Suggestion     `json:"suggestion"`
	Window         Window         `json:"window"`
}

// Risk ranks a subject for the review document.
type Risk struct {
	// Level is cluster-admin (allowed everything everywhere, or a member of system:masters),
	// escalates (has a path to cluster-admin), secrets (may read Secrets), or limited.
	Level  string `json:"level"`
	Reason string `json:"reason,omitempty"`
	rank   int
}

// BindingUse is a binding that names the subject.
type BindingUse struct {
	Binding string `json:"binding"`
	Role    string `json:"role"`
	// Used is false when the binding granted nothing the subject used in the window.
	Used    bool     `json:"used"`
	Default bool     `json:"default,omitempty"`
	Rules   []string `json:"rules,omitempty"`
}

// Permission is a request, or a permission a rule grants, by its parts.
type Permission struct {
	Verb           string   `json:"verb"`
	Group          string   `json:"group"`
	Resource       string   `json:"resource,omitempty"`
	Subresource    string   `json:"subresource,omitempty"`
	Namespace      string   `json:"namespace"`
	ResourceNames  []string `json:"resourceNames,omitempty"`
	NonResourceURL string   `json:"nonResourceURL,omitempty"`
	// Count is how many requests (used, denied) there were.
	Count int `json:"count,omitempty"`
	// Via are the bindings that granted the requests (used), or the binding that grants the
	// permission (unused).
	Via []string `json:"via,omitempty"`
	// Impersonator is set on requests made by impersonation... of others (used).
	Impersonated bool `json:"impersonated,omitempty"`
}

// String renders the permission as "get pods -n shop" or "get /metrics".
func (p Permission) String() string {
	if p.NonResourceURL != "" {
		return p.Verb + " " + p.NonResourceURL
	}
	a := rbac.Attributes{Verb: p.Verb, APIGroup: p.Group, Resource: p.Resource, Subresource: p.Subresource, Namespace: p.Namespace}
	s := a.String()
	if len(p.ResourceNames) > 0 {
		s += " names=" + strings.Join(p.ResourceNames, ",")
	}
	if p.Namespace == "" && p.Resource != "" {
		s += " (all namespaces)"
	}
	return s
}

// Impersonator is a user who impersonated the subject.
type Impersonator struct {
	User     string `json:"user"`
	Requests int    `json:"requests"`
}

// Suggestion is what to change for one subject: the changes that touch its bindings.
type Suggestion struct {
	Changes []*Change `json:"changes"`
	// Verified is the engine's verdict on the changes (all of the review applied together).
	Verified bool     `json:"verified"`
	Problems []string `json:"problems,omitempty"`
	// StillGranted are removed permissions the subject still holds through bindings the
	// review does not change (the default policy, or a group's).
	StillGranted []string `json:"stillGranted,omitempty"`
}

// Change actions.
const (
	// NarrowRole replaces a role's rules with the ones its bindings used.
	NarrowRole = "narrow-role"
	// SplitRole gives a binding a role of its own with the rules it used, when the role it
	// references cannot be edited (a default or aggregated role) or other bindings need more
	// of it. A binding's roleRef cannot change, so the binding is deleted and created again.
	SplitRole = "split-role"
	// RemoveBinding deletes a binding that granted nothing used.
	RemoveBinding = "remove-binding"
	// RemoveSubjects drops the subjects of a binding for whom it granted nothing used.
	RemoveSubjects = "remove-subjects"
)

// Change is one proposed edit: delete the objects in Delete, then apply the YAML in Apply
// (kubectl delete, then kubectl apply -f).
type Change struct {
	Action string `json:"action"`
	Target string `json:"target"`
	Reason string `json:"reason"`
	// Delete are objects to delete first, as "Kind/namespace/name" or "Kind/name".
	Delete []string `json:"delete,omitempty"`
	// Apply is YAML to apply: whole objects.
	Apply string `json:"apply,omitempty"`
	// Removed are the permissions the change takes away, as the role's rules granted them.
	Removed []Permission `json:"removed,omitempty"`

	bindings []*rbac.Binding // the bindings whose subjects the change concerns
	roles    []*rbac.Role    // roles to write (replacing or new)
	newBinds []*rbac.Binding // bindings to write (replacing or new)
	drop     []*rbac.Binding // bindings deleted
	scope    map[*rbac.Binding][]rbacv1.PolicyRule
}

// Review joins the evidence with the engine.
func Review(e *rbac.Engine, ev *Evidence) *Report {
	r := &reviewer{e: e, ev: ev,
		bindingNeeds: map[*rbac.Binding][]*Use{},
		subjectUsed:  map[subjKey][]*Use{},
		grants:       map[*Use][]rbac.Grant{},
	}
	return r.run()
}

type subjKey struct {
	b *rbac.Binding
	i int
}

type reviewer struct {
	e  *rbac.Engine
	ev *Evidence
	// bindingNeeds are the allowed requests each binding granted.
	bindingNeeds map[*rbac.Binding][]*Use
	subjectUsed  map[subjKey][]*Use
	grants       map[*Use][]rbac.Grant
	// byUser are the requests of each user; bySubject the bindings naming each subject.
	searcher  *rbac.Searcher
	changesOf map[rbac.Subject][]*Change
	byUser    map[string][]*Use
	bySubject map[rbac.Subject][]subjKey
	// still are removed permissions subjects keep through bindings no change touches.
	still map[rbac.Subject][]string
}

func (r *reviewer) window() Window {
	s := r.ev.Stats
	return Window{Since: r.ev.Since, Until: r.ev.Until, First: s.First, Last: s.Last, Files: s.Files,
		Requests: s.Requests, Denied: s.Denied, Errors: s.Errors}
}

func (r *reviewer) run() *Report {
	r.byUser = map[string][]*Use{}
	for _, u := range r.ev.Requests {
		r.byUser[u.User] = append(r.byUser[u.User], u)
	}
	r.bySubject = map[rbac.Subject][]subjKey{}
	for _, b := range r.e.Bindings() {
		for i := range b.Subjects {
			if s, ok := b.Subject(i); ok {
				r.bySubject[s] = append(r.bySubject[s], subjKey{b, i})
			}
		}
	}
	for _, u := range r.ev.Requests {
		if u.Denied {
			continue
		}
		gs := r.e.Reasons(u.User, u.Groups, u.RBAC())
		r.grants[u] = gs
		for _, g := range gs {
			r.bindingNeeds[g.Binding] = append(r.bindingNeeds[g.Binding], u)
			k := subjKey{g.Binding, g.SubjectIndex}
			r.subjectUsed[k] = append(r.subjectUsed[k], u)
		}
	}
	rep := &Report{Window: r.window()}
	rep.Changes = r.changes()
	verify(r, rep)
	r.indexChanges(rep.Changes)
	for _, s := range r.subjects() {
		rep.Subjects = append(rep.Subjects, r.subject(s, rep))
	}
	sort.SliceStable(rep.Subjects, func(i, j int) bool {
		a, b := rep.Subjects[i], rep.Subjects[j]
		if a.Risk.rank != b.Risk.rank {
			return a.Risk.rank < b.Risk.rank
		}
		if len(a.Unused)+len(a.Broader) != len(b.Unused)+len(b.Broader) {
			return len(a.Unused)+len(a.Broader) > len(b.Unused)+len(b.Broader)
		}
		return subjectLess(a.Subject, b.Subject)
	})
	return rep
}

// reviewed reports whether a binding is one the review may change: not of the default policy,
// and referencing a role that exists.
func reviewed(b *rbac.Binding) bool { return !b.Default() && b.Role() != nil }

// subjects are those named by reviewed bindings and the users seen in the log, but not the
// Kubernetes components (system:… users and groups other than the everyone-groups).
func (r *reviewer) subjects() []rbac.Subject {
	seen := map[rbac.Subject]bool{}
	var out []rbac.Subject
	add := func(s rbac.Subject) {
		if !seen[s] && !s.IsSystem() {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, b := range r.e.Bindings() {
		if !reviewed(b) {
			continue
		}
		for i := range b.Subjects {
			if s, ok := b.Subject(i); ok {
				add(s)
			}
		}
	}
	for _, u := range r.ev.Requests {
		if u.User == "" {
			continue
		}
		add(userSubject(u.User))
	}
	sort.Slice(out, func(i, j int) bool { return subjectLess(out[i], out[j]) })
	return out
}

func userSubject(user string) rbac.Subject {
	if ns, name, ok := rbac.SplitServiceAccountUser(user); ok {
		return rbac.Subject{Kind: rbac.ServiceAccountKind, Namespace: ns, Name: name}
	}
	return rbac.Subject{Kind: rbac.UserKind, Name: user}
}

func subjectLess(a, b rbac.Subject) bool {
	if a.Kind != b.Kind {
		return a.Kind < b.Kind
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

// ownBindings are the bindings that name s, with the subject's index in each.
func (r *reviewer) ownBindings(s rbac.Subject) []subjKey { return r.bySubject[s] }

func (r *reviewer) subject(s rbac.Subject, rep *Report) *Subject {
	out := &Subject{Subject: s, Bindings: []BindingUse{}, Used: []Permission{}, Unused: []Permission{}, Window: rep.Window}
	own := r.ownBindings(s)
	// The requests of the subject: a user's own, a group's those its bindings granted.
	var used, denied []*Use
	if s.Kind == rbac.GroupKind {
		seen := map[*Use]bool{}
		for _, k := range own {
			for _, u := range r.subjectUsed[k] {
				if !seen[u] {
					seen[u] = true
					used = append(used, u)
				}
			}
		}
		sort.Slice(used, func(i, j int) bool { return useLess(used[i], used[j]) })
	} else {
		user, _ := s.Principal()
		imp := map[string]int{}
		for _, u := range r.byUser[user] {
			if u.Denied {
				denied = append(denied, u)
			} else {
				used = append(used, u)
			}
			if u.Impersonator != "" {
				imp[u.Impersonator] += u.Count
			}
		}
		for who, n := range imp {
			out.ImpersonatedBy = append(out.ImpersonatedBy, Impersonator{User: who, Requests: n})
		}
		sort.Slice(out.ImpersonatedBy, func(i, j int) bool { return out.ImpersonatedBy[i].User < out.ImpersonatedBy[j].User })
	}
	out.Active = len(used)+len(denied) > 0
	out.Used = r.permissions(used, true)
	out.Denied = r.permissions(denied, false)

	for _, k := range own {
		b := k.b
		bu := BindingUse{Binding: b.String(), Role: b.RoleRefString(), Used: len(r.subjectUsed[k]) > 0, Default: b.Default()}
		if role := b.Role(); role != nil {
			for i := range role.Rules {
				bu.Rules = append(bu.Rules, rbac.RuleString(&role.Rules[i]))
			}
		}
		out.Bindings = append(out.Bindings, bu)
		if !reviewed(b) {
			continue
		}
		for _, at := range atoms(b.Role().Rules, b.Namespace) {
			var hit []*Use
			for _, u := range used {
				if at.allows(u) {
					hit = append(hit, u)
				}
			}
			p := at.permission()
			p.Via = []string{b.String()}
			switch {
			case len(hit) == 0:
				out.Unused = append(out.Unused, p)
			case at.wildcard():
				p.Count = 0
				for _, u := range hit {
					p.Count += u.Count
				}
				out.Broader = append(out.Broader, p)
			}
		}
	}
	sortPermissions(out.Unused)
	sortPermissions(out.Broader)
	out.Risk = r.risk(s, used)
	out.Suggestion.Changes = r.changesOf[s]
	if out.Suggestion.Changes == nil {
		out.Suggestion.Changes = []*Change{}
	}
	out.Suggestion.Verified = rep.Verified
	out.Suggestion.Problems = rep.Problems
	out.Suggestion.StillGranted = r.stillGranted(s, rep)
	return out
}

// indexChanges records, for each subject, the changes to bindings that name it.
func (r *reviewer) indexChanges(cs []*Change) {
	r.changesOf = map[rbac.Subject][]*Change{}
	for _, c := range cs {
		seen := map[rbac.Subject]bool{}
		for _, b := range c.bindings {
			for i := range b.Subjects {
				if s, ok := b.Subject(i); ok && !seen[s] {
					seen[s] = true
					r.changesOf[s] = append(r.changesOf[s], c)
				}
			}
		}
	}
}

// permissions aggregates requests by their parts, without object names; the bindings that
// granted them are listed when via is set.
func (r *reviewer) permissions(us []*Use, via bool) []Permission {
	type key struct {
		a   audit.Attributes
		imp bool
	}
	idx := map[key]int{}
	out := []Permission{}
	for _, u := range us {
		a := u.Attributes
		if a.Verb != "impersonate" {
			a.Name = "" // names matter for who is impersonated, not otherwise
		}
		k := key{a, u.Impersonator != ""}
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, Permission{Verb: a.Verb, Group: a.APIGroup, Resource: a.Resource, Subresource: a.Subresource,
				Namespace: a.Namespace, NonResourceURL: a.Path, Impersonated: k.imp})
			if a.Name != "" {
				out[i].ResourceNames = []string{a.Name}
			}
		}
		out[i].Count += u.Count
		if via {
			for _, g := range r.grants[u] {
				if s := g.Binding.String(); !containsStr(out[i].Via, s) {
					out[i].Via = append(out[i].Via, s)
				}
			}
		}
	}
	for i := range out {
		sort.Strings(out[i].Via)
	}
	sortPermissions(out)
	return out
}

// sortPermissions orders permissions as requestOrder says, then by resource names.
func sortPermissions(ps []Permission) {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := &ps[i], &ps[j]
		if c := slices.Compare(requestOrder(a.NonResourceURL, a.Group, a.Resource, a.Subresource, a.Namespace, a.Verb),
			requestOrder(b.NonResourceURL, b.Group, b.Resource, b.Subresource, b.Namespace, b.Verb)); c != 0 {
			return c < 0
		}
		return strings.Join(a.ResourceNames, ",") < strings.Join(b.ResourceNames, ",")
	})
}

func containsStr(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// risk ranks a subject: allowed everything cluster-wide first, then those with a path to it,
// then readers of Secrets.
func (r *reviewer) risk(s rbac.Subject, used []*Use) Risk {
	user, groups := s.Principal()
	for _, u := range used {
		if containsStr(u.Groups, rbac.Masters) {
			return Risk{Level: "cluster-admin", Reason: "member of " + rbac.Masters, rank: 0}
		}
	}
	all := rbac.Attributes{Verb: "*", APIGroup: "*", Resource: "*"}
	if r.e.Allowed(user, groups, all) {
		why := ""
		if gs := r.e.Reasons(user, groups, all); len(gs) > 0 {
			why = "through " + gs[0].Binding.String()
		}
		return Risk{Level: "cluster-admin", Reason: "allowed every verb on every resource " + why, rank: 0}
	}
	if r.searcher == nil {
		r.searcher = r.e.Searcher(rbac.ToClusterAdmin) // one escalation graph for every subject
	}
	if p := r.searcher.Find(s); p != nil && len(p.Hops) > 0 {
		return Risk{Level: "escalates", Reason: fmt.Sprintf("reaches cluster-admin in %d step(s): %s", len(p.Hops), p.Hops[0].Action), rank: 1}
	}
	for ns, gs := range r.e.PermissionsOf(user, groups) {
		for _, g := range gs {
			if rbac.RuleAllows(g.PolicyRule(), &rbac.Attributes{Verb: "get", Resource: "secrets", Namespace: nsOr(ns)}) {
				return Risk{Level: "secrets", Reason: "may read Secrets through " + g.Binding.String(), rank: 2}
			}
		}
	}
	return Risk{Level: "limited", rank: 3}
}

func nsOr(ns string) string {
	if ns == "" {
		return "default"
	}
	return ns
}
