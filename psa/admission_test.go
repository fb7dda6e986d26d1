package psa

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"k8s.io/pod-security-admission/api"

	"github.com/kubeharden/kubeharden/config"
)

func TestLoadAdmissionConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	const psc = `apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults:
  enforce: baseline
  enforce-version: v1.30
  warn: restricted
exemptions:
  usernames: [ci-bot]
  namespaces: [kube-system]
  runtimeClasses: [kata]
`
	want := &config.PodSecurityAdmission{
		Defaults: config.PodSecurityDefaults{Enforce: "baseline", EnforceVersion: "v1.30", Audit: "privileged",
			AuditVersion: "latest", Warn: "restricted", WarnVersion: "latest"},
		Exemptions: config.PodSecurityExemptions{Usernames: []string{"ci-bot"}, Namespaces: []string{"kube-system"}, RuntimeClasses: []string{"kata"}},
	}
	write("psa.yaml", psc)
	for _, c := range []struct {
		name, body string
		want       *config.PodSecurityAdmission
		err        string
	}{
		{"bare.yaml", psc, want, ""},
		{"beta.yaml", strings.Replace(psc, "/v1\n", "/v1beta1\n", 1), want, ""},
		{"embedded.yaml", "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  configuration:\n" +
			indent(psc, "    "), want, ""},
		{"path.yaml", "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: EventRateLimit\n  path: missing.yaml\n- name: PodSecurity\n  path: psa.yaml\n", want, ""},
		// v1alpha1 no longer serves AdmissionConfiguration: the API server refuses it too.
		{"alpha.yaml", "apiVersion: apiserver.config.k8s.io/v1alpha1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  path: psa.yaml\n", nil, "v1alpha1"},
		{"noplugin.yaml", "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins: []\n", &config.PodSecurityAdmission{
			Defaults: config.PodSecurityDefaults{Enforce: "privileged", EnforceVersion: "latest", Audit: "privileged", AuditVersion: "latest", Warn: "privileged", WarnVersion: "latest"}}, ""},
		{"badlevel.yaml", strings.Replace(psc, "enforce: baseline", "enforce: strict", 1), nil, "enforce"},
		{"missingpath.yaml", "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  path: nope.yaml\n", nil, "nope.yaml"},
		{"strict.yaml", "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins: []\nextra: 1\n", nil, "extra"},
		{"kind.yaml", "apiVersion: v1\nkind: ConfigMap\n", nil, "want AdmissionConfiguration or PodSecurityConfiguration"},
		{"garbage.yaml", "{{{", nil, "yaml"},
	} {
		got, err := LoadAdmissionConfig(write(c.name, c.body))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want one mentioning %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
	}
	if _, err := LoadAdmissionConfig(filepath.Join(dir, "absent.yaml")); err == nil {
		t.Error("no error for a missing file")
	}
}

func indent(s, prefix string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestNamespaceResolution(t *testing.T) {
	unknown, _ := New(Options{})
	known, err := New(Options{Admission: &config.PodSecurityAdmission{
		Defaults:   config.PodSecurityDefaults{Enforce: "restricted", EnforceVersion: "v1.30"},
		Exemptions: config.PodSecurityExemptions{Namespaces: []string{"infra"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	lv := func(l api.Level, v string) api.LevelVersion {
		ver, _ := api.ParseVersion(v)
		return api.LevelVersion{Level: l, Version: ver}
	}
	for _, c := range []struct {
		ev     *Evaluator
		ns     string
		labels map[string]string
		judge  api.LevelVersion
		source Source
		exempt bool
		errs   int
	}{
		{unknown, "a", nil, lv(api.LevelBaseline, "latest"), Assumed, false, 0},
		{unknown, "a", map[string]string{"pod-security.kubernetes.io/enforce-version": "v1.25", "team": "x"}, lv(api.LevelBaseline, "v1.25"), Assumed, false, 0},
		{unknown, "a", map[string]string{"pod-security.kubernetes.io/enforce": "privileged"}, lv(api.LevelPrivileged, "latest"), FromLabel, false, 0},
		{unknown, "a", map[string]string{"pod-security.kubernetes.io/enforce": "bogus"}, lv(api.LevelRestricted, "latest"), FromLabel, false, 1},
		{known, "a", nil, lv(api.LevelRestricted, "v1.30"), FromDefault, false, 0},
		{known, "a", map[string]string{"pod-security.kubernetes.io/enforce": "baseline"}, lv(api.LevelBaseline, "v1.30"), FromLabel, false, 0},
		{known, "infra", map[string]string{"pod-security.kubernetes.io/enforce": "baseline"}, lv(api.LevelBaseline, "v1.30"), FromLabel, true, 0},
	} {
		ns := c.ev.Namespace(c.ns, c.labels, true)
		if ns.Judge != c.judge || ns.Source != c.source || ns.Exempt != c.exempt || len(ns.Errors) != c.errs {
			t.Errorf("%s %v: judge %s source %d exempt %v errors %v; want %s %d %v %d", c.ns, c.labels, ns.Judge, ns.Source, ns.Exempt, ns.Errors, c.judge, c.source, c.exempt, c.errs)
		}
		if _, ok := ns.Labels["team"]; ok {
			t.Error("non-Pod Security label kept")
		}
	}
	if _, err := New(Options{ServerVersion: "v0.0.0-master"}); err != nil {
		t.Logf("v0.0.0-master: %v", err)
	}
	if _, err := New(Options{ServerVersion: "banana"}); err == nil {
		t.Error("no error for server version banana")
	}
	if v, err := ServerPolicyVersion("v1.30.5-gke.100"); err != nil || v != api.MajorMinorVersion(1, 30) {
		t.Errorf("gke version: %v %v", v, err)
	}
}
