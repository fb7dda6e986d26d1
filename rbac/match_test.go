package rbac

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

func TestRuleAllows(t *testing.T) {
	pods := rbacv1.PolicyRule{Verbs: []string{"get", "list"}, APIGroups: []string{""}, Resources: []string{"pods"}}
	exec := rbacv1.PolicyRule{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"pods/exec"}}
	scale := rbacv1.PolicyRule{Verbs: []string{"update"}, APIGroups: []string{"*"}, Resources: []string{"*/scale"}}
	all := rbacv1.PolicyRule{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}
	named := rbacv1.PolicyRule{Verbs: []string{"get", "list", "watch"}, APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{"tls"}}
	urls := rbacv1.PolicyRule{Verbs: []string{"get"}, NonResourceURLs: []string{"/healthz", "/logs/*", "/api*"}}
	anyURL := rbacv1.PolicyRule{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}}
	tests := []struct {
		name string
		rule rbacv1.PolicyRule
		a    Attributes
		want bool
	}{
		{"verb", pods, Attributes{Verb: "get", Resource: "pods"}, true},
		{"other verb", pods, Attributes{Verb: "delete", Resource: "pods"}, false},
		{"request verb * needs rule verb *", pods, Attributes{Verb: "*", Resource: "pods"}, false},
		{"group", pods, Attributes{Verb: "get", APIGroup: "apps", Resource: "pods"}, false},
		{"subresource is not the resource", pods, Attributes{Verb: "get", Resource: "pods", Subresource: "log"}, false},
		{"resource is not the subresource", exec, Attributes{Verb: "create", Resource: "pods"}, false},
		{"subresource", exec, Attributes{Verb: "create", Resource: "pods", Subresource: "exec"}, true},
		{"subresource of another resource", exec, Attributes{Verb: "create", Resource: "nodes", Subresource: "exec"}, false},
		{"prefix is not a match", exec, Attributes{Verb: "create", Resource: "pod", Subresource: "sexec"}, false},
		{"*/scale", scale, Attributes{Verb: "update", APIGroup: "apps", Resource: "deployments", Subresource: "scale"}, true},
		{"*/scale not the resource", scale, Attributes{Verb: "update", APIGroup: "apps", Resource: "deployments"}, false},
		{"*/scale not another subresource", scale, Attributes{Verb: "update", APIGroup: "apps", Resource: "deployments", Subresource: "status"}, false},
		{"*/scale not a longer one", scale, Attributes{Verb: "update", APIGroup: "apps", Resource: "deployments", Subresource: "xscale"}, false},
		{"* covers subresources", all, Attributes{Verb: "create", Resource: "pods", Subresource: "exec"}, true},
		{"* covers request *", all, Attributes{Verb: "*", APIGroup: "*", Resource: "*"}, true},
		{"resourceNames match the name", named, Attributes{Verb: "get", Resource: "secrets", Name: "tls"}, true},
		{"resourceNames other name", named, Attributes{Verb: "get", Resource: "secrets", Name: "db"}, false},
		{"resourceNames never match no name", named, Attributes{Verb: "list", Resource: "secrets"}, false},
		{"resource rule not non-resource", pods, Attributes{Verb: "get", Path: "/healthz"}, false},
		{"url exact", urls, Attributes{Verb: "get", Path: "/healthz"}, true},
		{"url exact only", urls, Attributes{Verb: "get", Path: "/healthz/etcd"}, false},
		{"url prefix", urls, Attributes{Verb: "get", Path: "/logs/kube.log"}, true},
		{"url prefix itself", urls, Attributes{Verb: "get", Path: "/logs/"}, true},
		{"url prefix without slash", urls, Attributes{Verb: "get", Path: "/logs"}, false},
		{"url star mid-word", urls, Attributes{Verb: "get", Path: "/apis/apps"}, true},
		{"url verb", urls, Attributes{Verb: "post", Path: "/healthz"}, false},
		{"url *", anyURL, Attributes{Verb: "post", Path: "/anything"}, true},
		{"url rule not resources", anyURL, Attributes{Verb: "get", Resource: "pods"}, false},
	}
	for _, tt := range tests {
		if got := RuleAllows(&tt.rule, &tt.a); got != tt.want {
			t.Errorf("%s: RuleAllows(%s, %s) = %v, want %v", tt.name, RuleString(&tt.rule), tt.a, got, tt.want)
		}
	}
}

func TestRuleString(t *testing.T) {
	r := rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{"", "apps"}, Resources: []string{"pods"}, ResourceNames: []string{"a"}}
	if got, want := RuleString(&r), `verbs=[get] apiGroups=["" apps] resources=[pods] resourceNames=[a]`; got != want {
		t.Errorf("RuleString = %s, want %s", got, want)
	}
}

func TestParseResource(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Resource
		err  bool
	}{
		{"pods", Resource{Resource: "pods"}, false},
		{"po/exec", Resource{Resource: "pods", Subresource: "exec"}, false},
		{"deployments", Resource{Group: "apps", Resource: "deployments"}, false},
		{"deploy/scale", Resource{Group: "apps", Resource: "deployments", Subresource: "scale"}, false},
		{"deployments.apps/scale", Resource{Group: "apps", Resource: "deployments", Subresource: "scale"}, false},
		{"deployments.extensions", Resource{Group: "extensions", Resource: "deployments"}, false},
		{"nodes/proxy", Resource{Resource: "nodes", Subresource: "proxy", ClusterScoped: true}, false},
		{"widgets.example.com", Resource{Group: "example.com", Resource: "widgets"}, false},
		{"*", Resource{Resource: "*"}, false},
		{"*/scale", Resource{Resource: "*", Subresource: "scale"}, false},
		{"", Resource{}, true},
		{"/exec", Resource{}, true},
		{"a/b/c", Resource{}, true},
	} {
		got, err := ParseResource(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseResource(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}
