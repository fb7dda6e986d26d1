package rbac

import (
	_ "embed"
	"encoding/json"
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubeharden/kubeharden/inventory"
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

// addDefaults appends the default objects that roles and bindings lack, marked Builtin, and
// reconciles those they redefine as the API server does at start-up (see Reconciled).
func addDefaults(roles []*Role, bindings []*Binding) ([]*Role, []*Binding) {
	have := make(map[roleKey]bool, len(roles)+len(bindings))
	// The last object of a key wins (build), so that is the one reconciled.
	lastRole := map[roleKey]*Role{}
	lastBinding := map[roleKey]*Binding{}
	for _, r := range roles {
		have[r.key()] = true
		lastRole[r.key()] = r
	}
	for _, b := range bindings {
		have[b.key()] = true
		lastBinding[b.key()] = b
	}
	p := DefaultPolicy()
	for i := range p.ClusterRoles {
		if d := clusterRoleFrom(&p.ClusterRoles[i], nil); lastRole[d.key()] != nil {
			reconcileRole(lastRole[d.key()], d)
		}
	}
	for i := range p.Roles {
		if d := roleFrom(&p.Roles[i], nil); lastRole[d.key()] != nil {
			reconcileRole(lastRole[d.key()], d)
		}
	}
	for i := range p.ClusterRoleBindings {
		if d := clusterRoleBindingFrom(&p.ClusterRoleBindings[i], nil); lastBinding[d.key()] != nil {
			reconcileBinding(lastBinding[d.key()], d)
		}
	}
	for i := range p.RoleBindings {
		if d := roleBindingFrom(&p.RoleBindings[i], nil); lastBinding[d.key()] != nil {
			reconcileBinding(lastBinding[d.key()], d)
		}
	}
	roles = appendMissing(roles, have, p.ClusterRoles, clusterRoleFrom)
	roles = appendMissing(roles, have, p.Roles, roleFrom)
	bindings = appendMissing(bindings, have, p.ClusterRoleBindings, clusterRoleBindingFrom)
	bindings = appendMissing(bindings, have, p.RoleBindings, roleBindingFrom)
	return roles, bindings
}

// defaultObject is a role or binding that the default policy may add.
type defaultObject[T any] interface {
	*T
	key() roleKey
	markBuiltin()
}

// appendMissing appends to out, marked Builtin, the objects of src that have lacks.
func appendMissing[S, T any, P defaultObject[T]](out []P, have map[roleKey]bool, src []S, from func(*S, *inventory.Object) P) []P {
	for i := range src {
		if o := from(&src[i], nil); !have[o.key()] {
			o.markBuiltin()
			out = append(out, o)
		}
	}
	return out
}

func (r *Role) markBuiltin()    { r.Builtin = true }
func (b *Binding) markBuiltin() { b.Builtin = true }
