package rbac

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Attributes describe one request, as a SubjectAccessReview does. A request with a Path is a
// non-resource request ("/healthz", "/metrics"); its resource fields are ignored and only
// ClusterRoleBindings can grant it.
type Attributes struct {
	Verb string
	// Resource requests.
	Namespace   string // "" for cluster-scoped resources and requests across all namespaces
	APIGroup    string // "" for the core group
	Resource    string // plural: "pods", "deployments", "*"
	Subresource string // "exec", "scale", "status"
	Name        string // "" for list, watch, create and collection requests
	// Non-resource requests.
	Path string
}

// NonResource reports whether a is a request for a non-resource URL.
func (a Attributes) NonResource() bool { return a.Path != "" }

// String renders a as kubectl auth can-i would take it: "get pods/log foo -n dev".
func (a Attributes) String() string {
	if a.NonResource() {
		return a.Verb + " " + a.Path
	}
	var b strings.Builder
	b.WriteString(a.Verb)
	b.WriteByte(' ')
	b.WriteString(a.Resource)
	if a.APIGroup != "" {
		b.WriteByte('.')
		b.WriteString(a.APIGroup)
	}
	if a.Subresource != "" {
		b.WriteByte('/')
		b.WriteString(a.Subresource)
	}
	if a.Name != "" {
		b.WriteByte(' ')
		b.WriteString(a.Name)
	}
	if a.Namespace != "" {
		b.WriteString(" -n ")
		b.WriteString(a.Namespace)
	}
	return b.String()
}

// RuleAllows reports whether rule grants the request a, with the API server's semantics:
// every listed dimension must match; "*" matches anything in verbs, apiGroups and resources;
// "*/sub" matches subresource sub of any resource; resourceNames, when set, match only
// requests for one of those names (never a request without a name); a nonResourceURL ending
// in "*" matches every path with that prefix.
func RuleAllows(rule *rbacv1.PolicyRule, a *Attributes) bool {
	if !verbMatches(rule, a.Verb) {
		return false
	}
	if a.NonResource() {
		return urlMatches(rule, a.Path)
	}
	return groupMatches(rule, a.APIGroup) && resourceMatches(rule, a.Resource, a.Subresource) &&
		nameMatches(rule, a.Name)
}

func verbMatches(rule *rbacv1.PolicyRule, verb string) bool {
	return hasOrAll(rule.Verbs, rbacv1.VerbAll, verb)
}

func groupMatches(rule *rbacv1.PolicyRule, group string) bool {
	return hasOrAll(rule.APIGroups, rbacv1.APIGroupAll, group)
}

// hasOrAll says whether list holds s or the wildcard all, in one pass.
func hasOrAll(list []string, all, s string) bool {
	for _, v := range list {
		if v == all || v == s {
			return true
		}
	}
	return false
}

// resourceMatches compares the rule's resources with "resource/subresource" as the request
// names it; a rule resource "*/sub" matches any resource's subresource sub.
func resourceMatches(rule *rbacv1.PolicyRule, resource, sub string) bool {
	for _, r := range rule.Resources {
		if r == rbacv1.ResourceAll {
			return true
		}
		if sub == "" {
			if r == resource {
				return true
			}
			continue
		}
		// r == resource+"/"+sub, without building the string.
		if len(r) == len(resource)+1+len(sub) && strings.HasPrefix(r, resource) && r[len(resource)] == '/' && strings.HasSuffix(r, sub) {
			return true
		}
		if len(r) == len(sub)+2 && r[0] == '*' && r[1] == '/' && r[2:] == sub {
			return true
		}
	}
	return false
}

func nameMatches(rule *rbacv1.PolicyRule, name string) bool {
	if len(rule.ResourceNames) == 0 {
		return true
	}
	for _, n := range rule.ResourceNames {
		if n == name {
			return true
		}
	}
	return false
}

func urlMatches(rule *rbacv1.PolicyRule, path string) bool {
	for _, u := range rule.NonResourceURLs {
		if u == rbacv1.NonResourceAll || u == path {
			return true
		}
		if strings.HasSuffix(u, "*") && strings.HasPrefix(path, strings.TrimRight(u, "*")) {
			return true
		}
	}
	return false
}

// RuleString renders a rule compactly: `verbs=[get list] apiGroups=[""] resources=[pods]`.
func RuleString(r *rbacv1.PolicyRule) string {
	var b strings.Builder
	part := func(name string, vs []string, quoteEmpty bool) {
		if len(vs) == 0 {
			return
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(name)
		b.WriteString("=[")
		for i, v := range vs {
			if i > 0 {
				b.WriteByte(' ')
			}
			if v == "" && quoteEmpty {
				v = `""`
			}
			b.WriteString(v)
		}
		b.WriteByte(']')
	}
	part("verbs", r.Verbs, false)
	part("apiGroups", r.APIGroups, true)
	part("resources", r.Resources, false)
	part("resourceNames", r.ResourceNames, true)
	part("nonResourceURLs", r.NonResourceURLs, false)
	return b.String()
}
