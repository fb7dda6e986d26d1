package rbac

import (
	_ "embed"
	"encoding/json"
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"
)

// DefaultPolicy is the RBAC policy a new cluster starts with: the objects the API server
// creates at start-up (labelled kubernetes.io/bootstrapping=rbac-defaults), as Kubernetes
// v1.37 creates them. Aggregated ClusterRoles (admin, edit, view, ...) are stored without
// rules, as the API server writes them; the engine computes their rules.
//
// defaults.json is captured from a real API server by the e2e test (go test ./rbac/e2e
// -run TestDefaultPolicy -update), which also fails when the two differ.
//
//go:embed defaults.json
var defaultPolicyJSON []byte

// Policy is a set of RBAC objects, as stored in defaults.json.
type Policy struct {
	ClusterRoles        []rbacv1.ClusterRole        `json:"clusterRoles"`
	ClusterRoleBindings []rbacv1.ClusterRoleBinding `json:"clusterRoleBindings"`
	Roles               []rbacv1.Role               `json:"roles"`
	RoleBindings        []rbacv1.RoleBinding        `json:"roleBindings"`
}

var defaultPolicy = sync.OnceValues(func() (*Policy, error) {
	var p Policy
	err := json.Unmarshal(defaultPolicyJSON, &p)
	return &p, err
})

// DefaultPolicy returns the default policy. The result is shared: do not modify it.
func DefaultPolicy() *Policy {
	p, err := defaultPolicy()
	if err != nil {
		panic("rbac: embedded defaults.json: " + err.Error()) // a build defect, caught by every test
	}
	return p
}

// addDefaults appends the default objects that roles and bindings lack, marked Builtin.
func addDefaults(roles []*Role, bindings []*Binding) ([]*Role, []*Binding) {
	have := make(map[roleKey]bool, len(roles)+len(bindings))
	for _, r := range roles {
		have[roleKey{r.Kind, r.Namespace, r.Name}] = true
	}
	for _, b := range bindings {
		have[roleKey{b.Kind, b.Namespace, b.Name}] = true
	}
	p := DefaultPolicy()
	for i := range p.ClusterRoles {
		r := clusterRoleFrom(&p.ClusterRoles[i], nil)
		if !have[roleKey{r.Kind, r.Namespace, r.Name}] {
			r.Builtin = true
			roles = append(roles, r)
		}
	}
	for i := range p.Roles {
		r := roleFrom(&p.Roles[i], nil)
		if !have[roleKey{r.Kind, r.Namespace, r.Name}] {
			r.Builtin = true
			roles = append(roles, r)
		}
	}
	for i := range p.ClusterRoleBindings {
		b := clusterRoleBindingFrom(&p.ClusterRoleBindings[i], nil)
		if !have[roleKey{b.Kind, b.Namespace, b.Name}] {
			b.Builtin = true
			bindings = append(bindings, b)
		}
	}
	for i := range p.RoleBindings {
		b := roleBindingFrom(&p.RoleBindings[i], nil)
		if !have[roleKey{b.Kind, b.Namespace, b.Name}] {
			b.Builtin = true
			bindings = append(bindings, b)
		}
	}
	return roles, bindings
}
