package rbac

import (
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kubeharden/kubeharden/inventory"
)

// SubjectsOf returns the subjects a RoleBinding or ClusterRoleBinding object can name in an
// engine built from an inventory that holds it: its own, resolved as Binding.Subject resolves
// them, and those of the default policy's binding of the same name, which the engine adds or
// reconciles into it. It is what a change to the binding can change the permissions of.
// ok is false for an object the engine does not read as a binding.
func SubjectsOf(o *inventory.Object) (subjects []Subject, ok bool) {
	if !strings.HasPrefix(o.APIVersion, rbacv1.GroupName+"/") {
		return nil, false
	}
	var b, d *Binding
	switch o.Kind {
	case RoleBindingKind:
		var rb rbacv1.RoleBinding
		if !typed(o, &rb) {
			return nil, false
		}
		b = roleBindingFrom(&rb, o)
		p := DefaultPolicy()
		for i := range p.RoleBindings {
			if x := &p.RoleBindings[i]; x.Name == b.Name && nsOrDefault(x.Namespace) == b.Namespace {
				d = roleBindingFrom(x, nil)
			}
		}
	case ClusterRoleBindingKind:
		var crb rbacv1.ClusterRoleBinding
		if !typed(o, &crb) {
			return nil, false
		}
		b = clusterRoleBindingFrom(&crb, o)
		p := DefaultPolicy()
		for i := range p.ClusterRoleBindings {
			if x := &p.ClusterRoleBindings[i]; x.Name == b.Name {
				d = clusterRoleBindingFrom(x, nil)
			}
		}
	default:
		return nil, false
	}
	for _, x := range []*Binding{b, d} {
		if x == nil {
			continue
		}
		for i := range x.Subjects {
			if s, ok := x.Subject(i); ok {
				subjects = append(subjects, s)
			}
		}
	}
	return subjects, true
}

// ServiceAccountsOf says which service accounts' permissions a binding to s changes: those
// of namespace ns, or of every namespace (all), or none (ns "" and not all).
func ServiceAccountsOf(s Subject) (ns string, all bool) {
	switch s.Kind {
	case ServiceAccountKind:
		return s.Namespace, false
	case UserKind:
		ns, _, _ := SplitServiceAccountUser(s.Name)
		return ns, false
	case GroupKind:
		if s.Name == AllServiceAccounts || s.Name == AllAuthenticated {
			return "", true
		}
		if ns, ok := strings.CutPrefix(s.Name, ServiceAccountGroupPrefix); ok {
			return ns, false
		}
	}
	return "", false
}

// DefaultRoleBindingSubjects returns the subjects of the default policy's RoleBindings in
// namespace ns, which an engine built with the defaults adds when the input lacks them: a
// change to a Role of ns changes their permissions too.
func DefaultRoleBindingSubjects(ns string) []Subject {
	var out []Subject
	p := DefaultPolicy()
	for i := range p.RoleBindings {
		if x := &p.RoleBindings[i]; nsOrDefault(x.Namespace) == ns {
			b := roleBindingFrom(x, nil)
			for j := range b.Subjects {
				if s, ok := b.Subject(j); ok {
					out = append(out, s)
				}
			}
		}
	}
	return out
}
