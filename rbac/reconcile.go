package rbac

import (
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/component-helpers/auth/rbac/reconciliation"
)

// Reconciled says how the API server treats an input object that redefines a role or
// binding of the default policy. At every start-up the API server reconciles its bootstrap
// roles and bindings with what is stored: it adds back the rules, aggregation selectors,
// labels, annotations and subjects the stored object lacks (it never removes any), and
// replaces a binding whose roleRef differs, unless the stored object is annotated
// rbac.authorization.kubernetes.io/autoupdate: "false". A manifest that "redefines"
// cluster-admin with weaker rules therefore does not weaken it.
type Reconciled struct {
	// Protected: the object carries autoupdate "false", so its definition stands as written.
	Protected bool
	// MissingRules are the built-in rules the input lacks (added back unless Protected).
	MissingRules []rbacv1.PolicyRule
	// ExtraRules are the input's rules the built-in role lacks: kept (reconciliation only
	// adds), so every binding to the role, the built-in ones too, grants them.
	ExtraRules []rbacv1.PolicyRule
	// MissingSelectors counts the built-in aggregation selectors the input lacks.
	MissingSelectors int
	// MissingSubjects are the built-in binding's subjects the input lacks.
	MissingSubjects []rbacv1.Subject
	// Recreated: the binding's roleRef differs from the built-in one; the API server deletes
	// it and creates the built-in binding instead (unless Protected).
	Recreated bool
}

// Changed reports whether the API server's definition differs from the input's in a way
// that matters for authorization.
func (r *Reconciled) Changed() bool {
	return len(r.MissingRules) > 0 || r.MissingSelectors > 0 || len(r.MissingSubjects) > 0 || r.Recreated
}

// reconcileRole applies the API server's start-up reconciliation of the built-in role
// expected to the input role have, in place, with the reconciliation code the API server
// runs (in dry-run mode, against have alone).
func reconcileRole(have *Role, expected *Role) {
	var owner reconciliation.RuleOwner
	var client reconciliation.RuleOwnerModifier
	if have.Kind == ClusterRoleKind {
		owner = reconciliation.ClusterRoleRuleOwner{ClusterRole: expected.clusterRole()}
		client = storedRole{have.clusterRoleOwner()}
	} else {
		owner = reconciliation.RoleRuleOwner{Role: expected.role()}
		client = storedRole{have.roleOwner()}
	}
	res, err := (&reconciliation.ReconcileRoleOptions{Role: owner, Client: client}).Run()
	if err != nil {
		return // cannot happen: the in-memory client always finds the object
	}
	rec := &Reconciled{Protected: res.Protected, MissingRules: res.MissingRules, ExtraRules: res.ExtraRules, MissingSelectors: len(res.MissingAggregationRuleSelectors)}
	have.Reconciled = rec
	if res.Protected {
		return
	}
	got := res.Role
	have.Labels = got.GetLabels()
	have.annotations = got.GetAnnotations()
	have.Rules = got.GetRules()
	have.Aggregation = got.GetAggregationRule()
}

// reconcileBinding is reconcileRole for bindings. The binding's labels are left as the
// input wrote them: they do not change what it grants, and the bootstrap label they would
// gain would hide the input's own subjects from the checks as "default policy".
func reconcileBinding(have *Binding, expected *Binding) {
	var want reconciliation.RoleBinding
	var client reconciliation.RoleBindingModifier
	if have.Kind == ClusterRoleBindingKind {
		want = reconciliation.ClusterRoleBindingAdapter{ClusterRoleBinding: expected.clusterRoleBinding()}
		client = storedBinding{reconciliation.ClusterRoleBindingAdapter{ClusterRoleBinding: have.clusterRoleBinding()}}
	} else {
		want = reconciliation.RoleBindingAdapter{RoleBinding: expected.roleBinding()}
		client = storedBinding{reconciliation.RoleBindingAdapter{RoleBinding: have.roleBinding()}}
	}
	res, err := (&reconciliation.ReconcileRoleBindingOptions{RoleBinding: want, Client: client}).Run()
	if err != nil {
		return
	}
	rec := &Reconciled{Protected: res.Protected, Recreated: res.Operation == reconciliation.ReconcileRecreate}
	if rec.Recreated {
		rec.MissingSubjects = expected.Subjects
	} else {
		rec.MissingSubjects = res.MissingSubjects
	}
	have.Reconciled = rec
	if res.Protected {
		return
	}
	have.RoleRef = res.RoleBinding.GetRoleRef()
	have.Subjects = res.RoleBinding.GetSubjects()
	have.annotations = res.RoleBinding.GetAnnotations()
}

func (r *Role) clusterRole() *rbacv1.ClusterRole {
	c := &rbacv1.ClusterRole{Rules: r.Rules, AggregationRule: r.Aggregation}
	c.Name, c.Labels, c.Annotations = r.Name, r.Labels, r.annotations
	return c.DeepCopy()
}

func (r *Role) role() *rbacv1.Role {
	c := &rbacv1.Role{Rules: r.Rules}
	c.Name, c.Namespace, c.Labels, c.Annotations = r.Name, r.Namespace, r.Labels, r.annotations
	return c.DeepCopy()
}

func (r *Role) clusterRoleOwner() reconciliation.RuleOwner {
	return reconciliation.ClusterRoleRuleOwner{ClusterRole: r.clusterRole()}
}

func (r *Role) roleOwner() reconciliation.RuleOwner {
	return reconciliation.RoleRuleOwner{Role: r.role()}
}

func (b *Binding) clusterRoleBinding() *rbacv1.ClusterRoleBinding {
	c := &rbacv1.ClusterRoleBinding{RoleRef: b.RoleRef, Subjects: b.Subjects}
	c.Name, c.Labels, c.Annotations = b.Name, b.Labels, b.annotations
	return c.DeepCopy()
}

func (b *Binding) roleBinding() *rbacv1.RoleBinding {
	c := &rbacv1.RoleBinding{RoleRef: b.RoleRef, Subjects: b.Subjects}
	c.Name, c.Namespace, c.Labels, c.Annotations = b.Name, b.Namespace, b.Labels, b.annotations
	return c.DeepCopy()
}

// storedRole is the reconciliation client's view of storage: the one input object. Run is
// called without Confirm, so Create and Update are never reached.
type storedRole struct{ o reconciliation.RuleOwner }

func (s storedRole) Get(string, string) (reconciliation.RuleOwner, error) { return s.o, nil }
func (s storedRole) Create(reconciliation.RuleOwner) (reconciliation.RuleOwner, error) {
	return nil, errDryRun
}
func (s storedRole) Update(reconciliation.RuleOwner) (reconciliation.RuleOwner, error) {
	return nil, errDryRun
}

type storedBinding struct{ b reconciliation.RoleBinding }

func (s storedBinding) Get(string, string) (reconciliation.RoleBinding, error) { return s.b, nil }
func (s storedBinding) Delete(string, string, types.UID) error                 { return errDryRun }
func (s storedBinding) Create(reconciliation.RoleBinding) (reconciliation.RoleBinding, error) {
	return nil, errDryRun
}
func (s storedBinding) Update(reconciliation.RoleBinding) (reconciliation.RoleBinding, error) {
	return nil, errDryRun
}

var errDryRun = fmt.Errorf("rbac: reconciliation runs dry")
