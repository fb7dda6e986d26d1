package rbac_test

import (
	"fmt"
	"testing"

	"github.com/kubeharden/kubeharden/check/checktest"
	"github.com/kubeharden/kubeharden/checks/rbac"
	"github.com/kubeharden/kubeharden/checks/secrets"
	"github.com/kubeharden/kubeharden/inventory"
)

// partitionBase has workloads in namespaces a, b, c and d (d without a Namespace object)
// running as their namespace's default service account and as "app", and a user who reads
// every namespace's Secrets.
var partitionBase = `
apiVersion: v1
kind: Namespace
metadata: {name: a}
---
apiVersion: v1
kind: Namespace
metadata: {name: b}
---
apiVersion: v1
kind: Namespace
metadata: {name: c}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: a}
rules:
- {verbs: [get], apiGroups: [""], resources: [configmaps]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: auditors}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects:
- {kind: User, name: aaron}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: signer, namespace: kube-system}
spec:
  selector: {matchLabels: {app: signer}}
  template:
    metadata: {labels: {app: signer}}
    spec:
      serviceAccountName: bootstrap-signer
      containers: [{name: signer, image: signer:1.0}]
` + workloadsYAML

var workloadsYAML = func() string {
	s := ""
	for _, ns := range []string{"a", "b", "c", "d"} {
		for _, sa := range []string{"default", "app"} {
			s += fmt.Sprintf(`---
apiVersion: v1
kind: ServiceAccount
metadata: {name: %[2]s, namespace: %[1]s}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web-%[2]s, namespace: %[1]s}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      serviceAccountName: %[2]s
      containers: [{name: web, image: nginx:1.27}]
`, ns, sa)
		}
	}
	return s
}()

func binding(ns, name, roleKind, role, subject string) string {
	return fmt.Sprintf(`apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: %s, namespace: %s}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: %s, name: %s}
subjects:
- %s
`, name, ns, roleKind, role, subject)
}

// TestPartitionsEqualFullRun applies, one at a time, the changes the partitions of this
// package and of secrets answer for — RoleBindings naming service accounts of other
// namespaces by name, user name and group, every service account, a Role's rules, a
// ServiceAccount's token, a namespace without a Namespace object — and after each compares
// the incremental Evaluator's findings with a full run.
func TestPartitionsEqualFullRun(t *testing.T) {
	checks := append(rbac.Checks(), secrets.Checks()...)
	checktest.Steps(t, checks, partitionBase, []checktest.Step{
		{Name: "service account of another namespace", Upsert: binding("a", "cross", "ClusterRole", "edit", "{kind: ServiceAccount, name: app, namespace: b}")},
		{Name: "service accounts of another namespace", Upsert: binding("a", "group", "Role", "reader", "{kind: Group, name: 'system:serviceaccounts:c'}")},
		{Name: "service account by user name", Upsert: binding("a", "user", "ClusterRole", "view", "{kind: User, name: 'system:serviceaccount:d:default'}")},
		{Name: "every service account", Upsert: binding("b", "everyone", "ClusterRole", "view", "{kind: Group, name: 'system:serviceaccounts'}")},
		{Name: "every caller", Upsert: binding("c", "authenticated", "ClusterRole", "edit", "{kind: Group, name: 'system:authenticated'}")},
		{Name: "a role's rules", Upsert: `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: a}
rules:
- {verbs: [create], apiGroups: [""], resources: [pods, pods/exec, secrets]}
- {verbs: [get, list], apiGroups: [""], resources: [secrets]}
`},
		{Name: "a service account's token", Upsert: `apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: b}
automountServiceAccountToken: false
`},
		{Name: "a default Role of the account's namespace", Upsert: `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: system:controller:bootstrap-signer
  namespace: kube-system
  annotations: {rbac.authorization.kubernetes.io/autoupdate: "false"}
rules: []
`},
		{Name: "a default Role another namespace's account is bound to", Upsert: `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: system:controller:bootstrap-signer
  namespace: kube-public
  annotations: {rbac.authorization.kubernetes.io/autoupdate: "false"}
rules: []
`},
		{Name: "a namespace without its object", Upsert: binding("d", "secrets", "ClusterRole", "edit", "{kind: User, name: alice}")},
		{Name: "every service account goes", Delete: []inventory.Ref{{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding", Namespace: "b", Name: "everyone"}}},
		{Name: "every caller goes", Delete: []inventory.Ref{{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding", Namespace: "c", Name: "authenticated"}}},
		{Name: "another namespace's account goes", Delete: []inventory.Ref{{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding", Namespace: "a", Name: "cross"}}},
		{Name: "the role goes", Delete: []inventory.Ref{{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role", Namespace: "a", Name: "reader"}}},
	})
}
