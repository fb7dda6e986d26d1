package fix

import (
	"fmt"
	"testing"

	"github.com/kubeharden/kubeharden/check"
)

func TestScratch(t *testing.T) {
	src := `# top
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api   # the api
  labels: {app: api}
spec:
  template:
    spec:
      containers:
      - name: api
        image: "shop/api:2.3"   # img
        securityContext: {}
        args:
          - a
      - name: b
        image: x
        securityContext:
          runAsUser: 0
        command: [a, b]
        env:
        - name: X
          value: |
            multi
            line
---
apiVersion: v1
kind: Namespace
metadata:
  name: shop
`
	f, err := parseFile("x.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	root := f.byLine[2][0]
	ns := f.byLine[26]
	fmt.Println(len(ns))
	for _, e := range []check.Edit{
		{Op: check.SetField, Path: "spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation", Value: false},
		{Op: check.AppendItem, Path: "spec.template.spec.containers[0].securityContext.capabilities.drop", Value: "ALL"},
		{Op: check.SetField, Path: "spec.template.spec.containers[0].image", Value: "shop/api:2.4"},
		{Op: check.SetField, Path: "spec.template.spec.containers[1].securityContext.allowPrivilegeEscalation", Value: false},
		{Op: check.AppendItem, Path: "spec.template.spec.containers[1].securityContext.capabilities.drop", Value: "ALL"},
		{Op: check.SetField, Path: "spec.template.spec.containers[1].resources.limits.memory", Value: "128Mi"},
		{Op: check.SetField, Path: "spec.template.spec.securityContext.seccompProfile.type", Value: "RuntimeDefault"},
		{Op: check.SetField, Path: "metadata.labels.pod-security.kubernetes.io/enforce", Value: "restricted"},
		{Op: check.AppendItem, Path: "spec.template.spec.containers[1].command", Value: "c"},
		{Op: check.AppendItem, Path: "spec.template.spec.containers[0].args", Value: "b"},
	} {
		if err := f.edit(root, e); err != nil {
			t.Error(err)
		}
	}
	if err := f.flush(); err != nil {
		t.Error(err)
	}
	out, err := f.apply()
	fmt.Println(string(out), err)
}
