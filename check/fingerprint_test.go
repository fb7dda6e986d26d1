package check

import (
	"testing"

	"github.com/kubeharden/kubeharden/inventory"
)

func TestFingerprint(t *testing.T) {
	base := Finding{Check: "images/latest-tag", Object: inventory.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"},
		File: "deploy/web.yaml", Line: 12, Path: "spec.template.spec.containers[0].image", Message: `container "web" runs image "nginx:latest"`}
	same := map[string]func(*Finding){
		"line moved":          func(f *Finding) { f.Line = 40 },
		"file renamed":        func(f *Finding) { f.File = "k8s/web.yaml" },
		"API version bumped":  func(f *Finding) { f.Object.APIVersion = "apps/v2" },
		"severity changed":    func(f *Finding) { f.Severity = High },
		"exception expired":   func(f *Finding) { f.Message += " (exception from .kubeharden.yaml expired 2026-01-01: legacy)" },
		"remediation changed": func(f *Finding) { f.Remediation = "pin it" },
	}
	different := map[string]func(*Finding){
		"other check":     func(f *Finding) { f.Check = "images/not-pinned" },
		"other object":    func(f *Finding) { f.Object.Name = "api" },
		"other namespace": func(f *Finding) { f.Object.Namespace = "prod" },
		"other kind":      func(f *Finding) { f.Object.Kind = "StatefulSet" },
		"other group":     func(f *Finding) { f.Object.APIVersion = "example.com/v1" },
		"other path":      func(f *Finding) { f.Path = "spec.template.spec.containers[1].image" },
		"other message":   func(f *Finding) { f.Message = `container "web" runs image "redis:latest"` },
	}
	want := Fingerprint(base)
	for name, change := range same {
		f := base
		change(&f)
		if got := Fingerprint(f); got != want {
			t.Errorf("%s: fingerprint changed", name)
		}
	}
	for name, change := range different {
		f := base
		change(&f)
		if got := Fingerprint(f); got == want {
			t.Errorf("%s: fingerprint unchanged", name)
		}
	}
	a, b := base, base
	a.Message, b.Message = "certificate expires in 12 days (see deploy/tls.yaml:4)", "certificate expires in 11 days (see deploy/tls.yaml:9)"
	if Fingerprint(a) != Fingerprint(b) {
		t.Error("counts of days and line references should not change the fingerprint")
	}
}
