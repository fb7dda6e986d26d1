package rbac_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/check/checktest"
	"github.com/kubeharden/kubeharden/checks/rbac"
	"github.com/kubeharden/kubeharden/checks/secrets"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
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

func decode(t *testing.T, name, y string) []*inventory.Object {
	t.Helper()
	objs, errs := load.Decode(name, []byte(y))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return objs
}

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
	ev := check.NewEvaluator(inventory.Build(decode(t, "base.yaml", partitionBase)), check.EvalOptions{Checks: checks, Now: checktest.Now})
	steps := []struct {
		name   string
		upsert string
		delete []inventory.Ref
	}{
		{name: "service account of another namespace", upsert: binding("a", "cross", "ClusterRole", "edit", "{kind: ServiceAccount, name: app, namespace: b}")},
		{name: "service accounts of another namespace", upsert: binding("a", "group", "Role", "reader", "{kind: Group, name: 'system:serviceaccounts:c'}")},
		{name: "service account by user name", upsert: binding("a", "user", "ClusterRole", "view", "{kind: User, name: 'system:serviceaccount:d:default'}")},
		{name: "every service account", upsert: binding("b", "everyone", "ClusterRole", "view", "{kind: Group, name: 'system:serviceaccounts'}")},
		{name: "every caller", upsert: binding("c", "authenticated", "ClusterRole", "edit", "{kind: Group, name: 'system:authenticated'}")},
		{name: "a role's rules", upsert: `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: reader, namespace: a}
rules:
- {verbs: [create], apiGroups: [""], resources: [pods, pods/exec, secrets]}
- {verbs: [get, list], apiGroups: [""], resources: [secrets]}
`},
		{name: "a service account's token", upsert: `apiVersion: v1
kind: ServiceAccount
metadata: {name: app, namespace: b}
automountServiceAccountToken: false
`},
		{name: "a namespace without its object", upsert: binding("d", "secrets", "ClusterRole", "edit", "{kind: User, name: alice}")},
		{name: "every service account goes", delete: []inventory.Ref{{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding", Namespace: "b", Name: "everyone"}}},
		{name: "every caller goes", delete: []inventory.Ref{{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding", Namespace: "c", Name: "authenticated"}}},
		{name: "another namespace's account goes", delete: []inventory.Ref{{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "RoleBinding", Namespace: "a", Name: "cross"}}},
		{name: "the role goes", delete: []inventory.Ref{{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "Role", Namespace: "a", Name: "reader"}}},
	}
	for _, s := range steps {
		c := inventory.Change{Delete: s.delete}
		if s.upsert != "" {
			c.Upsert = decode(t, s.name+".yaml", s.upsert)
		}
		d := ev.Apply(c)
		want, errs := check.RunAt(inventory.Build(append([]*inventory.Object(nil), ev.Inventory().All()...)), nil, nil, checks, checktest.Now)
		if len(errs) > 0 || len(ev.Errors()) > 0 {
			t.Fatalf("%s: errors: %v %v", s.name, errs, ev.Errors())
		}
		got, _ := json.Marshal(ev.Findings())
		w, _ := json.Marshal(want)
		if !bytes.Equal(got, w) {
			t.Errorf("%s: incremental findings differ from a full run:\n got %s\nwant %s", s.name, got, w)
		}
		if len(d.Added)+len(d.Removed) == 0 {
			t.Errorf("%s: the change moved no finding: the step tests nothing", s.name)
		}
	}
}
