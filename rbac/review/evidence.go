// Package review joins what RBAC lets each subject do (package rbac) with what the audit log
// says it did (package audit): for every subject, the permissions it holds, used and unused,
// the bindings that granted nothing, and the smallest edits to its roles that keep every
// audited request allowed — each edit verified with the engine before it is proposed.
package review

import (
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubeharden/kubeharden/audit"
	"github.com/kubeharden/kubeharden/rbac"
)

// Evidence is the audit log reduced to distinct requests, with how often each was made.
// Its size grows with the number of distinct (caller, request) pairs, not with the log.
type Evidence struct {
	// Requests are the distinct requests, in a stable order.
	Requests []*Use
	// Stats and Errors are what reading the log reported.
	Stats  audit.Stats
	Errors []audit.Error
	// Since and Until are the window asked for (zero: open).
	Since, Until time.Time
}

// Use is one distinct request: a caller, the attributes the authorizer saw, and the decision.
type Use struct {
	User   string
	Groups []string
	// Impersonator is the user who impersonated User, "" when none did.
	Impersonator string
	Attributes   audit.Attributes
	Denied       bool
	// Impersonation marks the authorization of an impersonation (verb impersonate), made by
	// the impersonator as the API server checks it before the request itself.
	Impersonation bool
	Count         int
}

// RBAC returns the request as the engine takes it.
func (u *Use) RBAC() rbac.Attributes {
	a := u.Attributes
	return rbac.Attributes{Verb: a.Verb, Namespace: a.Namespace, APIGroup: a.APIGroup, Resource: a.Resource,
		Subresource: a.Subresource, Name: a.Name, Path: a.Path}
}

type useKey struct {
	user, groups, impersonator string
	a                          audit.Attributes
	denied, impersonation      bool
}

// Collect reads the audit logs at paths and reduces them to distinct requests. A request's
// object name is kept only when a rule of e that could grant the request lists that name in
// its resourceNames: for every rule, any other name is the same as none (a rule without
// resourceNames allows all names, one with them allows only those listed), so the evidence
// stays as small as the RBAC objects however many objects the log names.
func Collect(paths []string, e *rbac.Engine, opts audit.Options) *Evidence {
	named := namedRules(e)
	workers := opts.Workers
	if workers <= 0 {
		workers = defaultWorkers()
	}
	opts.Workers = workers
	// Workers decode lines on their own and share one table of distinct requests: the
	// table is touched once per request, after a decode that costs a hundred times more.
	names := make([]map[audit.Attributes]map[string]bool, workers)
	for i := range names {
		names[i] = map[audit.Attributes]map[string]bool{}
	}
	var mu sync.Mutex
	uses := map[useKey]*Use{}
	groupSets := map[string][]string{}
	intern := func(gs []string) (string, []string) {
		k := strings.Join(gs, "\x00")
		if g, ok := groupSets[k]; ok {
			return k, g
		}
		g := append([]string(nil), gs...)
		groupSets[k] = g
		return k, g
	}
	add := func(k useKey, groups []string) {
		u := uses[k]
		if u == nil {
			u = &Use{User: k.user, Groups: groups, Impersonator: k.impersonator, Attributes: k.a, Denied: k.denied,
				Impersonation: k.impersonation}
			uses[k] = u
		}
		u.Count++
	}
	stats, errs := audit.Read(paths, opts, func(w int, r *audit.Request) {
		a := r.Attributes
		if a.Name != "" && a.Path == "" {
			probe := a
			probe.Name = ""
			ns, ok := names[w][probe]
			if !ok {
				ns = named(&probe)
				names[w][probe] = ns
			}
			if !ns[a.Name] {
				a.Name = ""
			}
		}
		mu.Lock()
		defer mu.Unlock()
		gk, groups := intern(r.Groups)
		add(useKey{user: r.User, groups: gk, impersonator: r.Impersonator, a: a, denied: r.Denied}, groups)
		if r.Impersonator != "" {
			igk, igroups := intern(r.ImpersonatorGroups)
			for _, ia := range impersonations(r) {
				add(useKey{user: r.Impersonator, groups: igk, a: ia, impersonation: true}, igroups)
			}
		}
	})
	ev := &Evidence{Stats: stats, Errors: errs, Since: opts.Since, Until: opts.Until}
	ev.Requests = make([]*Use, 0, len(uses))
	for _, u := range uses {
		ev.Requests = append(ev.Requests, u)
	}
	sort.Slice(ev.Requests, func(i, j int) bool { return useLess(ev.Requests[i], ev.Requests[j]) })
	return ev
}

func useLess(a, b *Use) bool {
	if a.User != b.User {
		return a.User < b.User
	}
	if c := slices.Compare(a.Groups, b.Groups); c != 0 {
		return c < 0
	}
	if a.Impersonator != b.Impersonator {
		return a.Impersonator < b.Impersonator
	}
	if a.Denied != b.Denied {
		return !a.Denied
	}
	return attrLess(a.Attributes, b.Attributes)
}

func attrLess(a, b audit.Attributes) bool {
	if c := slices.Compare(requestOrder(a.Path, a.APIGroup, a.Resource, a.Subresource, a.Namespace, a.Verb),
		requestOrder(b.Path, b.APIGroup, b.Resource, b.Subresource, b.Namespace, b.Verb)); c != 0 {
		return c < 0
	}
	return a.Name < b.Name
}

// requestOrder is the order requests and permissions are listed in: by URL, group, resource,
// subresource, namespace, verb.
func requestOrder(url, group, resource, sub, ns, verb string) []string {
	return []string{url, group, resource, sub, ns, verb}
}

// namedRules returns, for a request without its name, the names listed by the rules with
// resourceNames that could grant it.
func namedRules(e *rbac.Engine) func(*audit.Attributes) map[string]bool {
	var rules []rbacv1.PolicyRule
	for _, r := range e.Roles() {
		for _, rule := range r.Rules {
			if len(rule.ResourceNames) > 0 {
				rules = append(rules, rule)
			}
		}
	}
	return func(a *audit.Attributes) map[string]bool {
		ra := rbac.Attributes{Verb: a.Verb, APIGroup: a.APIGroup, Resource: a.Resource, Subresource: a.Subresource}
		var names map[string]bool
		for i := range rules {
			unnamed := rules[i]
			unnamed.ResourceNames = nil
			if rbac.RuleAllows(&unnamed, &ra) {
				if names == nil {
					names = map[string]bool{}
				}
				for _, n := range rules[i].ResourceNames {
					names[n] = true
				}
			}
		}
		return names
	}
}

// impersonations are the checks the API server made of the impersonator before the request:
// impersonate the user (a service account by its namespace and name), and each group asked
// for. The log records the groups the impersonated user ended up with, not those asked for:
// groups the API server adds by itself (a service account's, and system:authenticated) are
// taken as not asked for.
func impersonations(r *audit.Request) []audit.Attributes {
	var out []audit.Attributes
	if ns, name, ok := rbac.SplitServiceAccountUser(r.User); ok {
		out = append(out, audit.Attributes{Verb: "impersonate", Resource: "serviceaccounts", Namespace: ns, Name: name})
	} else {
		out = append(out, audit.Attributes{Verb: "impersonate", Resource: "users", Name: r.User})
	}
	implicit := map[string]bool{rbac.AllAuthenticated: true}
	if ns, _, ok := rbac.SplitServiceAccountUser(r.User); ok {
		if sameSet(r.Groups, []string{rbac.AllServiceAccounts, rbac.ServiceAccountGroupPrefix + ns, rbac.AllAuthenticated}) {
			implicit[rbac.AllServiceAccounts] = true
			implicit[rbac.ServiceAccountGroupPrefix+ns] = true
		}
	}
	for _, g := range r.Groups {
		if !implicit[g] {
			out = append(out, audit.Attributes{Verb: "impersonate", Resource: "groups", Name: g})
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]bool{}
	for _, x := range a {
		m[x] = true
	}
	for _, x := range b {
		if !m[x] {
			return false
		}
	}
	return true
}
