package rbac

import (
	"maps"
	"slices"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeharden/kubeharden/inventory"
)

// Options tune FromInventory.
type Options struct {
	// Defaults adds the default policy every cluster has (cluster-admin, admin, edit, view,
	// the system: roles and their bindings) for each default object the input lacks, so that
	// manifests binding "edit" or "view" mean what they mean in a cluster. Leave it off for
	// a live cluster, which has its own.
	Defaults bool
	// NoEnvironment leaves out what the escalation search needs besides RBAC objects (the
	// service accounts pods run as, token Secrets): an engine that only answers who-can
	// questions then does not depend on pods. WithEnvironment adds it.
	NoEnvironment bool
}

// FromInventory builds an engine from the RBAC objects of inv (rbac.authorization.k8s.io/v1,
// and the older v1beta1/v1alpha1 objects, which have the same fields), and records what the
// escalation search needs: the service accounts of each namespace, which of them pods run
// as, and which have a token Secret.
func FromInventory(inv *inventory.Inventory, opts Options) *Engine {
	src := sourcesOf(inv, opts)
	var roles []*Role
	for _, o := range src.roles {
		if r := readRole(o); r != nil {
			roles = append(roles, r)
		}
	}
	var bindings []*Binding
	for i, o := range src.bindings {
		src.read[i] = readBinding(o)
		if b := src.read[i]; b != nil {
			bindings = append(bindings, b)
		}
	}
	if opts.Defaults {
		roles, bindings = addDefaults(roles, bindings)
	}
	e := build(roles, bindings)
	e.src = src
	if !opts.NoEnvironment {
		e.env = envFrom(inv, e)
	}
	return e
}

// sources are the objects an engine was read from: what a Tracker compares to tell which
// changed.
type sources struct {
	opts     Options
	roles    []*inventory.Object // Roles, then ClusterRoles, of the RBAC group
	bindings []*inventory.Object // RoleBindings, then ClusterRoleBindings
	read     []*Binding          // the binding read from each of bindings, nil when none
}

// sourcesOf lists the RBAC objects of inv (rbac.authorization.k8s.io/v1, and the older
// v1beta1/v1alpha1 objects, which have the same fields), not yet read.
func sourcesOf(inv *inventory.Inventory, opts Options) *sources {
	src := &sources{opts: opts}
	for _, kind := range []string{RoleKind, ClusterRoleKind, RoleBindingKind, ClusterRoleBindingKind} {
		for _, o := range inv.ByKind(kind) {
			if !strings.HasPrefix(o.APIVersion, rbacv1.GroupName+"/") {
				continue
			}
			if kind == RoleKind || kind == ClusterRoleKind {
				src.roles = append(src.roles, o)
			} else {
				src.bindings = append(src.bindings, o)
			}
		}
	}
	src.read = make([]*Binding, len(src.bindings))
	return src
}

// readRole reads a Role or ClusterRole object, nil when its content does not convert.
func readRole(o *inventory.Object) *Role {
	switch o.Kind {
	case RoleKind:
		var r rbacv1.Role
		if typed(o, &r) {
			return roleFrom(&r, o)
		}
	case ClusterRoleKind:
		var r rbacv1.ClusterRole
		if typed(o, &r) {
			return clusterRoleFrom(&r, o)
		}
	}
	return nil
}

// readBinding reads a RoleBinding or ClusterRoleBinding object, nil when its content does
// not convert.
func readBinding(o *inventory.Object) *Binding {
	switch o.Kind {
	case RoleBindingKind:
		var b rbacv1.RoleBinding
		if typed(o, &b) {
			return roleBindingFrom(&b, o)
		}
	case ClusterRoleBindingKind:
		var b rbacv1.ClusterRoleBinding
		if typed(o, &b) {
			return clusterRoleBindingFrom(&b, o)
		}
	}
	return nil
}

// WithEnvironment returns an engine that shares e's roles, bindings and indexes, with the
// escalation search's view of inv's service accounts, pods and token Secrets.
func (e *Engine) WithEnvironment(inv *inventory.Inventory) *Engine {
	c := *e
	c.env = envFrom(inv, &c)
	c.graphs = &graphs{} // the graphs depend on env
	return &c
}

// typed copies o into out (a pointer to an rbac/v1 type): directly when it was decoded to
// that type, else through its unstructured content. Objects whose content does not convert
// are left out (the loader reports malformed objects).
func typed[T any, P interface {
	*T
	k8sruntime.Object
}](o *inventory.Object, out P) bool {
	if t, ok := o.Obj.(P); ok {
		*out = *t
		// Namespace defaulting happens on the engine's copy only.
		return true
	}
	u, ok := o.Obj.(*unstructured.Unstructured)
	if !ok {
		return false
	}
	return k8sruntime.DefaultUnstructuredConverter.FromUnstructured(u.Object, out) == nil
}

// env is what the escalation search knows of the cluster beyond RBAC.
type env struct {
	// serviceAccounts of each namespace: declared, named by a binding, or run as by pods,
	// and "default" of every namespace known.
	serviceAccounts map[string][]string
	// running are the service accounts pods run as with a token mounted, by namespace.
	running map[string][]string
	// tokenSecrets are the service accounts with a long-lived token Secret, by namespace.
	tokenSecrets map[string][]string
}

func envFrom(inv *inventory.Inventory, e *Engine) env {
	return environmentOf(inv).withBindings(e)
}

// Environment is what the escalation search knows of a cluster beyond RBAC objects, read from
// an inventory: its namespaces, ServiceAccounts, the service accounts pods run as and those
// with token Secrets. An engine adds the service accounts its bindings name
// (WithEnvironmentOf), so one Environment serves the engines of an inventory whose RBAC
// objects change.
type Environment struct{ env env }

// EnvironmentOf reads inv's Environment.
func EnvironmentOf(inv *inventory.Inventory) *Environment {
	return &Environment{environmentOf(inv)}
}

// WithEnvironmentOf is WithEnvironment for the inventory x was read from.
func (e *Engine) WithEnvironmentOf(x *Environment) *Engine {
	c := *e
	c.env = x.env.withBindings(&c)
	c.graphs = &graphs{} // the graphs depend on env
	return &c
}

// environmentOf is the environment of inv without the service accounts bindings name.
func environmentOf(inv *inventory.Inventory) env {
	sets := map[string]map[string]bool{}
	add := func(m map[string]map[string]bool, ns, name string) {
		if m[ns] == nil {
			m[ns] = map[string]bool{}
		}
		m[ns][name] = true
	}
	running := map[string]map[string]bool{}
	tokens := map[string]map[string]bool{}
	for _, ns := range inv.Namespaces() {
		add(sets, ns, "default")
	}
	for _, o := range inv.ByKind("ServiceAccount") {
		if o.APIVersion == "v1" {
			add(sets, o.EffectiveNamespace(), o.Name)
		}
	}
	for _, p := range inv.PodTemplates() {
		ns, sa := p.Namespace(), p.ServiceAccount()
		add(sets, ns, sa)
		if automounts(p, inv) {
			add(running, ns, sa)
		}
	}
	for _, o := range inv.ByKind("Secret") {
		s, ok := o.Obj.(*corev1.Secret)
		if !ok || s.Type != corev1.SecretTypeServiceAccountToken {
			continue
		}
		if sa := s.Annotations[corev1.ServiceAccountNameKey]; sa != "" {
			add(tokens, o.EffectiveNamespace(), sa)
		}
	}
	return env{serviceAccounts: sorted(sets), running: sorted(running), tokenSecrets: sorted(tokens)}
}

// withBindings adds to x's service accounts those e's bindings name. x is left as it was:
// the lists it changes are copies.
func (x env) withBindings(e *Engine) env {
	sas := maps.Clone(x.serviceAccounts)
	if sas == nil {
		sas = map[string][]string{}
	}
	copied := map[string]bool{}
	for _, b := range e.bindings {
		for i := range b.Subjects {
			s, ok := b.Subject(i)
			if !ok || s.Kind != ServiceAccountKind {
				continue
			}
			names := sas[s.Namespace]
			at, found := slices.BinarySearch(names, s.Name)
			if found {
				continue
			}
			if !copied[s.Namespace] {
				copied[s.Namespace] = true
				names = slices.Clone(names)
			}
			sas[s.Namespace] = slices.Insert(names, at, s.Name)
		}
	}
	x.serviceAccounts = sas
	return x
}

// automounts reports whether the pods get their service account's token: the pod's
// automountServiceAccountToken wins, then the service account's, and the default is yes.
func automounts(p inventory.PodTemplate, inv *inventory.Inventory) bool {
	if v := p.Spec.AutomountServiceAccountToken; v != nil {
		return *v
	}
	if o := inv.Get("ServiceAccount", p.Namespace(), p.ServiceAccount()); o != nil {
		if sa, ok := o.Obj.(*corev1.ServiceAccount); ok && sa.AutomountServiceAccountToken != nil {
			return *sa.AutomountServiceAccountToken
		}
	}
	return true
}

// Automounts reports whether the pods of p get their service account's token mounted, as the
// ServiceAccount admission plugin decides it: the pod's automountServiceAccountToken, else the
// service account's (when inv has it), else yes.
func Automounts(p inventory.PodTemplate, inv *inventory.Inventory) bool { return automounts(p, inv) }

func sorted(m map[string]map[string]bool) map[string][]string {
	out := make(map[string][]string, len(m))
	for ns, set := range m {
		names := make([]string, 0, len(set))
		for n := range set {
			names = append(names, n)
		}
		sort.Strings(names)
		out[ns] = names
	}
	return out
}
