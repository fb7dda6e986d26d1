package podsecurity_test

import (
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/check/checktest"
	"github.com/kubeharden/kubeharden/checks/podsecurity"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/psa"
	"github.com/kubeharden/kubeharden/scan"
)

func TestFixtures(t *testing.T) {
	checktest.Run(t, "testdata", podsecurity.PSSChecks()...)
}

func TestHardeningFixtures(t *testing.T) {
	checktest.Run(t, "testdata/hardening", podsecurity.ReadOnlyRoot, podsecurity.DefaultNamespace)
}

// TestEveryUpstreamCheck: each upstream check is registered under podsecurity/<id>, with
// severity by level, and documented here rather than by the generic fallback.
func TestEveryUpstreamCheck(t *testing.T) {
	for _, c := range psa.Checks() {
		k := check.Lookup("podsecurity/" + c.ID)
		if k == nil {
			t.Errorf("upstream check %s is not registered", c.ID)
			continue
		}
		want := check.High
		if c.Level == "restricted" {
			want = check.Medium
		}
		if k.Severity != want {
			t.Errorf("%s: severity %s, want %s for a %s check", k.ID, k.Severity, want, c.Level)
		}
		if strings.HasPrefix(k.Title, "Fails Pod Security check") {
			t.Errorf("%s is not documented (add it to docs in pss.go)", k.ID)
		}
		ref := "PSS " + string(c.Level)
		if len(k.References) == 0 || k.References[0] != ref {
			t.Errorf("%s: references %v, want %q first", k.ID, k.References, ref)
		}
	}
}

func scanFile(t *testing.T, file string, cfg *config.Config, facts *inventory.Facts) *scan.Result {
	t.Helper()
	objs, errs := load.Files([]string{file}, load.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if cfg == nil {
		cfg = &config.Config{}
	}
	return scan.Run(inventory.Build(objs), scan.Options{Config: cfg, Facts: facts, Checks: podsecurity.Checks(), Now: checktest.Now})
}

func find(res *scan.Result, id, name string) *check.Finding {
	for i, f := range res.Findings {
		if f.Check == id && f.Object.Name == name {
			return &res.Findings[i]
		}
	}
	return nil
}

// TestSeverities: failures at the enforced level keep the check's severity and say the API
// server refuses the pods; failures found only against restricted are one lower.
func TestSeverities(t *testing.T) {
	res := scanFile(t, "testdata/baseline.yaml", nil, nil)
	for _, c := range []struct {
		id, pod string
		sev     check.Severity
		says    string
	}{
		{"podsecurity/privileged", "privileged", check.High, "the API server refuses to create these pods"},
		{"podsecurity/allowPrivilegeEscalation", "privileged", check.Low, "only blocks moving it to restricted"},
		{"podsecurity/restrictedVolumes", "host-path", check.Low, "only blocks moving it to restricted"},
		{"podsecurity/hostPathVolumes", "host-path", check.High, `namespace "base" enforces baseline:v1.37`},
	} {
		f := find(res, c.id, c.pod)
		if f == nil {
			t.Errorf("%s on %s: no finding", c.id, c.pod)
			continue
		}
		if f.Severity != c.sev || !strings.Contains(f.Message, c.says) {
			t.Errorf("%s on %s: %s %q; want %s and %q", c.id, c.pod, f.Severity, f.Message, c.sev, c.says)
		}
	}
	res = scanFile(t, "testdata/privileged.yaml", nil, nil)
	if f := find(res, "podsecurity/privileged", "shipper"); f == nil || f.Severity != check.Medium {
		t.Errorf("privileged in a privileged namespace: %+v, want medium", f)
	}
	res = scanFile(t, "testdata/restricted.yaml", nil, nil)
	if f := find(res, "podsecurity/runAsNonRoot", "run-as-root"); f == nil || f.Severity != check.Medium ||
		!strings.HasPrefix(f.Message, `runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false): fails Pod Security restricted`) {
		t.Errorf("runAsNonRoot in a restricted namespace: %+v", f)
	}
	res = scanFile(t, "testdata/workloads.yaml", nil, nil)
	if f := find(res, "podsecurity/privileged", "web"); f == nil || f.Severity != check.High ||
		!strings.Contains(f.Message, `namespace "default" sets no enforce level; judged at baseline:latest`) ||
		f.Path != "spec.template.spec.containers[0].securityContext.privileged" {
		t.Errorf("privileged Deployment in an unknown namespace: %+v", f)
	}
}

// TestNoEnforceLabelRemediation: the finding carries the planner's label command.
func TestNoEnforceLabelRemediation(t *testing.T) {
	res := scanFile(t, "testdata/labels.yaml", nil, nil)
	f := find(res, "podsecurity/no-enforce-label", "unlabeled")
	want := "Run: kubectl label namespace unlabeled --overwrite pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/enforce-version=v1.37"
	if f == nil || !strings.HasPrefix(f.Remediation, want) {
		t.Fatalf("remediation: %+v\nwant prefix %q", f, want)
	}
}

// TestPinnedBelowCluster: with the cluster's version known, an older pin is reported with the
// checks it leaves out.
func TestPinnedBelowCluster(t *testing.T) {
	res := scanFile(t, "testdata/versions.yaml", nil, &inventory.Facts{ServerVersion: "v1.37.2"})
	f := find(res, "podsecurity/unpinned-version", "v133")
	if f == nil || !strings.Contains(f.Message, "hostProbesAndHostLifecycle") || f.Path != "metadata.labels.pod-security.kubernetes.io/enforce-version" {
		t.Fatalf("v1.33 pin on a v1.37 cluster: %+v", f)
	}
	// On a v1.33 cluster, "latest" means v1.33: the host probe is not enforced.
	res = scanFile(t, "testdata/baseline.yaml", nil, &inventory.Facts{ServerVersion: "v1.33.0"})
	if f := find(res, "podsecurity/hostProbesAndHostLifecycle", "host-probe"); f != nil {
		t.Errorf("a v1.33 API server has no hostProbesAndHostLifecycle check, yet: %+v", f)
	}
}

// TestInvalidConfig: a bad admission configuration given in code surfaces as an error,
// not as silence.
func TestInvalidConfig(t *testing.T) {
	cfg := &config.Config{PodSecurity: config.PodSecurity{Admission: &config.PodSecurityAdmission{
		Defaults: config.PodSecurityDefaults{Enforce: "strict"}}}}
	res := scanFile(t, "testdata/baseline.yaml", cfg, nil)
	if len(res.Errors) == 0 {
		t.Fatal("no error for enforce: strict")
	}
}

// TestSensitiveHostPath: the hostPath finding names the sensitive node paths and is one
// severity higher; an ordinary path keeps the check's severity.
func TestSensitiveHostPath(t *testing.T) {
	res := scanFile(t, "testdata/hostpath_sensitive.yaml", nil, nil)
	for _, c := range []struct {
		name string
		sev  check.Severity
		says []string
	}{
		{"log-shipper", check.Critical, []string{"/var/run/docker.sock (the Docker socket", "/var/lib/kubelet/pods (the kubelet's state"}},
		{"root-mount", check.Critical, []string{"/ (contains /var/run/docker.sock"}},
		{"logs-only", check.High, nil},
	} {
		f := find(res, "podsecurity/hostPathVolumes", c.name)
		if f == nil {
			t.Errorf("%s: no hostPathVolumes finding", c.name)
			continue
		}
		if f.Severity != c.sev {
			t.Errorf("%s: severity %s, want %s", c.name, f.Severity, c.sev)
		}
		for _, s := range c.says {
			if !strings.Contains(f.Message, s) {
				t.Errorf("%s: message %q does not say %q", c.name, f.Message, s)
			}
		}
		if c.says == nil && strings.Contains(f.Message, "mounts /") {
			t.Errorf("%s: message %q names an ordinary path as sensitive", c.name, f.Message)
		}
	}
}
