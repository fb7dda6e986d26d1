package check

import (
	"testing"

	"github.com/kubeharden/kubeharden/inventory"
)

func TestFingerprint(t *testing.T) {
	base := Finding{Check: "rbac/wildcard-verbs", Object: inventory.Ref{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "x"},
		Path: "rules[0].verbs", Message: "allows every verb", File: "a.yaml", Line: 3}
	fp := Fingerprint(base)
	if len(fp) != 24 {
		t.Errorf("fingerprint %q: want 24 hex digits", fp)
	}
	same := base
	same.Object.APIVersion, same.File, same.Line, same.Severity, same.Suppressed = "rbac.authorization.k8s.io/v1beta1", "b.yaml", 40, High, true
	if Fingerprint(same) != fp {
		t.Error("apiVersion, file, line, severity or suppression changed the fingerprint")
	}
	for name, change := range map[string]func(*Finding){
		"check":     func(f *Finding) { f.Check = "rbac/wildcard-resources" },
		"kind":      func(f *Finding) { f.Object.Kind = "Role" },
		"namespace": func(f *Finding) { f.Object.Namespace = "x" },
		"name":      func(f *Finding) { f.Object.Name = "y" },
		"path":      func(f *Finding) { f.Path = "rules[1].verbs" },
		"message":   func(f *Finding) { f.Message = "allows every verb!" },
		"split":     func(f *Finding) { f.Object.Name, f.Path = "xr", "ules[0].verbs" },
	} {
		f := base
		change(&f)
		if Fingerprint(f) == fp {
			t.Errorf("%s: fingerprint unchanged", name)
		}
	}
}
