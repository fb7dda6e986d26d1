package custom_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/custom"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
)

const good = `customChecks:
- id: custom/team-label
  title: Workload has no team label
  severity: medium
  kinds: [Deployment]
  expression: "has(object.metadata.labels) && 'team' in object.metadata.labels"
  message: "'Deployment ' + object.metadata.name + ' has no team label'"
  remediation: Add a team label.
- id: custom/ns-owner
  title: Namespace of the workload has no owner
  severity: low
  kinds: [Deployment]
  expression: "namespaceObject == null || (has(namespaceObject.metadata.labels) && 'owner' in namespaceObject.metadata.labels)"
`

const objects = `apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: shop, labels: {team: a}}
spec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: x}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: x}]}}}
`

func write(t *testing.T, content string) string {
	p := filepath.Join(t.TempDir(), config.FileName)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRun(t *testing.T) {
	cfg, err := config.Load(write(t, good))
	if err != nil {
		t.Fatal(err)
	}
	cs, err := custom.Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	objs, errs := load.Decode("x.yaml", []byte(objects))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	fs, cerrs := check.Run(inventory.Build(objs), cfg, nil, cs)
	if len(cerrs) > 0 {
		t.Fatal(cerrs)
	}
	var got []string
	for _, f := range fs {
		got = append(got, f.Check+" "+f.Object.Name+" "+f.Message)
	}
	want := []string{
		"custom/ns-owner api Namespace of the workload has no owner",
		"custom/ns-owner web Namespace of the workload has no owner",
		"custom/team-label web Deployment web has no team label",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if cs[0].CEL == nil || !strings.HasPrefix(cs[0].CEL.Validations[0].MessageExpression, "'custom/team-label: ' + (") {
		t.Errorf("CEL form: %+v", cs[0].CEL)
	}
}

func TestCompileErrorLine(t *testing.T) {
	bad := strings.Replace(good, `  expression: "namespaceObject == null`, `  expression: "namespaceObject ==== null`, 1)
	cfg, err := config.Load(write(t, bad))
	if err != nil {
		t.Fatal(err)
	}
	_, err = custom.Compile(cfg)
	if err == nil || !strings.Contains(err.Error(), config.FileName+":13: custom check custom/ns-owner: expression:") {
		t.Fatalf("want the entry's file and line 13, got %v", err)
	}
	_, err = custom.Compile(&config.Config{CustomChecks: []config.CustomCheck{{ID: "custom/x", Title: "x", Severity: "low", Kinds: []string{"Pod"}, Expression: "'s'"}}})
	if err == nil || !strings.Contains(err.Error(), "want bool") {
		t.Fatalf("a string expression compiled: %v", err)
	}
}
