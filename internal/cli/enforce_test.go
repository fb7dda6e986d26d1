package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runEnforce(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

const customConfig = `customChecks:
- id: custom/team-label
  title: Workload has no team label
  severity: high
  kinds: [Deployment]
  expression: "has(object.metadata.labels) && 'team' in object.metadata.labels"
`

func TestEnforceCommands(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, ".kubeharden.yaml")
	os.WriteFile(cfgPath, []byte(customConfig), 0o600)
	os.WriteFile(filepath.Join(dir, "d.yaml"), []byte(`apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: "x:1@sha256:`+strings.Repeat("ab", 32)+`"}]}}}
`), 0o600)

	code, out, errs := runEnforce("scan", dir, "--check", "custom/*", "-o", "json")
	if code != 1 || !strings.Contains(out, `"check": "custom/team-label"`) {
		t.Errorf("scan with a custom check: exit %d\n%s\n%s", code, out, errs)
	}

	code, out, errs = runEnforce("export", "vap", "--config", cfgPath, "--check", "custom/*", "--check", "images/*", "--action", "Warn")
	if code != 0 || !strings.Contains(out, "name: kubeharden-custom-team-label") || !strings.Contains(out, "- Warn") ||
		!strings.Contains(out, "name: kubeharden-images-latest-tag") {
		t.Errorf("export vap: exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(errs, "not exported: images/vulnerable: ") {
		t.Errorf("export vap does not say what it left out: %s", errs)
	}

	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o600)
	code, out, errs = runEnforce("webhook", "manifest", "--service", "kubeharden/webhook:8443", "--ca-bundle", ca, "--failure-policy", "Ignore")
	for _, want := range []string{"sideEffects: None", "failurePolicy: Ignore", "timeoutSeconds: 5", "port: 8443",
		"request.userInfo.username != 'system:serviceaccount:kubeharden:webhook'", "- kubeharden\n", "- deployments"} {
		if !strings.Contains(out, want) {
			t.Errorf("webhook manifest lacks %q: exit %d\n%s\n%s", want, code, out, errs)
		}
	}

	os.WriteFile(cfgPath, []byte(strings.Replace(customConfig, "&& 'team'", "&&& 'team'", 1)), 0o600)
	code, _, errs = runEnforce("scan", dir)
	if code != 2 || !strings.Contains(errs, ".kubeharden.yaml:6: custom check custom/team-label") {
		t.Errorf("bad custom check: exit %d, %s", code, errs)
	}
}
