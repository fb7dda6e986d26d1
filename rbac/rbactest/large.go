package rbactest

import (
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeharden/kubeharden/rbac"
)

// realResources are resources of a typical cluster, with their groups.
var realResources = []struct{ group, resource string }{
	{"", "pods"}, {"", "pods/log"}, {"", "pods/exec"}, {"", "services"}, {"", "endpoints"}, {"", "configmaps"},
	{"", "secrets"}, {"", "serviceaccounts"}, {"", "persistentvolumeclaims"}, {"", "events"}, {"", "nodes"},
	{"", "namespaces"}, {"", "resourcequotas"}, {"", "limitranges"}, {"", "replicationcontrollers"},
	{"apps", "deployments"}, {"apps", "deployments/scale"}, {"apps", "statefulsets"}, {"apps", "daemonsets"},
	{"apps", "replicasets"}, {"batch", "jobs"}, {"batch", "cronjobs"}, {"networking.k8s.io", "ingresses"},
	{"networking.k8s.io", "networkpolicies"}, {"policy", "poddisruptionbudgets"}, {"autoscaling", "horizontalpodautoscalers"},
	{"rbac.authorization.k8s.io", "roles"}, {"rbac.authorization.k8s.io", "rolebindings"},
	{"coordination.k8s.io", "leases"}, {"discovery.k8s.io", "endpointslices"},
}

var realVerbs = [][]string{
	{"get", "list", "watch"}, {"get", "list", "watch"}, {"get"}, {"create", "update", "patch", "delete"},
	{"get", "list", "watch", "create", "update", "patch", "delete"}, {"*"}, {"list"}, {"update", "patch"},
}

// Large returns a cluster-shaped RBAC set: roles Roles and ClusterRoles (a tenth of them
// ClusterRoles, 1 to 8 rules each over real and custom resources) and bindings bindings (a
// tenth ClusterRoleBindings) over namespaces namespaces, naming users, groups and service
// accounts. It is the engine's benchmark input.
func Large(seed uint64, roles, bindings, namespaces int) rbac.Objects {
	g := New(seed)
	var o rbac.Objects
	ns := func(i int) string { return fmt.Sprintf("team-%d", i%namespaces) }
	rule := func() rbacv1.PolicyRule {
		var r rbacv1.PolicyRule
		if g.r.IntN(5) == 0 {
			r = rbacv1.PolicyRule{APIGroups: []string{fmt.Sprintf("crd%d.example.com", g.r.IntN(50))}, Resources: []string{fmt.Sprintf("widgets%d", g.r.IntN(20))}}
		} else {
			res := realResources[g.r.IntN(len(realResources))]
			r = rbacv1.PolicyRule{APIGroups: []string{res.group}, Resources: []string{res.resource}}
			if g.r.IntN(3) == 0 {
				r.Resources = append(r.Resources, realResources[g.r.IntN(len(realResources))].resource)
			}
		}
		r.Verbs = realVerbs[g.r.IntN(len(realVerbs))]
		if g.r.IntN(10) == 0 {
			r.ResourceNames = []string{fmt.Sprintf("obj-%d", g.r.IntN(10))}
		}
		return r
	}
	rules := func() []rbacv1.PolicyRule {
		out := make([]rbacv1.PolicyRule, 1+g.r.IntN(8))
		for i := range out {
			out[i] = rule()
		}
		return out
	}
	nCR := roles / 10
	for i := range nCR {
		o.ClusterRoles = append(o.ClusterRoles, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cr-%d", i)}, Rules: rules()})
	}
	for i := range roles - nCR {
		o.Roles = append(o.Roles, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("role-%d", i), Namespace: ns(i)}, Rules: rules()})
	}
	subject := func(n string) rbacv1.Subject {
		switch g.r.IntN(3) {
		case 0:
			return rbacv1.Subject{Kind: rbacv1.UserKind, Name: fmt.Sprintf("user-%d@example.com", g.r.IntN(roles))}
		case 1:
			return rbacv1.Subject{Kind: rbacv1.GroupKind, Name: fmt.Sprintf("group-%d", g.r.IntN(100))}
		}
		return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: fmt.Sprintf("sa-%d", g.r.IntN(10)), Namespace: n}
	}
	nCRB := bindings / 10
	for i := range nCRB {
		o.ClusterRoleBindings = append(o.ClusterRoleBindings, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("crb-%d", i)},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: fmt.Sprintf("cr-%d", g.r.IntN(nCR))},
			Subjects:   []rbacv1.Subject{subject(ns(g.r.IntN(namespaces)))},
		})
	}
	for i := range bindings - nCRB {
		n := ns(g.r.IntN(namespaces))
		ref := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: fmt.Sprintf("cr-%d", g.r.IntN(nCR))}
		if g.r.IntN(2) == 0 {
			// A Role of this namespace: role-i lives in ns(i).
			k := g.r.IntN((roles - nCR) / namespaces)
			var idx int
			fmt.Sscanf(n, "team-%d", &idx)
			ref = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: fmt.Sprintf("role-%d", k*namespaces+idx)}
		}
		subs := []rbacv1.Subject{subject(n)}
		if g.r.IntN(3) == 0 {
			subs = append(subs, subject(n))
		}
		o.RoleBindings = append(o.RoleBindings, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("rb-%d", i), Namespace: n},
			RoleRef:    ref, Subjects: subs,
		})
	}
	return o
}

// RealAttributes returns a request over the resources Large uses, in one of its namespaces.
func (g *Gen) RealAttributes(namespaces int) rbac.Attributes {
	res := realResources[g.r.IntN(len(realResources))]
	r, sub := splitResource(res.resource)
	verbs := []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	a := rbac.Attributes{Verb: verbs[g.r.IntN(len(verbs))], APIGroup: res.group, Resource: r, Subresource: sub,
		Namespace: fmt.Sprintf("team-%d", g.r.IntN(namespaces))}
	if g.r.IntN(2) == 0 {
		a.Name = fmt.Sprintf("obj-%d", g.r.IntN(10))
	}
	return a
}
