package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// TestPSAPlanJSON checks the JSON shape of `psa plan -o json` (a contract) and the answer for
// every namespace of examples/insecure and examples/hardened. The e2e test in psa/e2e proves
// the same answers against the API server.
func TestPSAPlanJSON(t *testing.T) {
	type blocker struct {
		Object map[string]string `json:"object"`
		Checks []string          `json:"checks"`
	}
	type plan struct {
		Namespace string               `json:"namespace"`
		Labels    map[string]string    `json:"labels"`
		Strictest string               `json:"strictest"`
		Blockers  map[string][]blocker `json:"blockers"`
		Commands  []string             `json:"commands"`
		Version   string               `json:"version"`
	}
	run := func(dir string) []plan {
		var out, errb bytes.Buffer
		if code := Main([]string{"psa", "plan", "-o", "json", dir}, nil, &out, &errb); code != 0 {
			t.Fatalf("psa plan %s: exit %d: %s", dir, code, errb.String())
		}
		var raw []map[string]json.RawMessage
		if err := json.Unmarshal(out.Bytes(), &raw); err != nil {
			t.Fatal(err)
		}
		for _, p := range raw {
			var keys []string
			for k := range p {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if want := []string{"blockers", "commands", "labels", "namespace", "strictest", "version"}; !reflect.DeepEqual(keys, want) {
				t.Errorf("plan keys %v, want %v", keys, want)
			}
		}
		var plans []plan
		if err := json.Unmarshal(out.Bytes(), &plans); err != nil {
			t.Fatal(err)
		}
		return plans
	}

	checks := func(p plan, level, kind, name string) string {
		for _, b := range p.Blockers[level] {
			if b.Object["kind"] == kind && b.Object["name"] == name && b.Object["namespace"] == p.Namespace && b.Object["apiVersion"] != "" {
				return strings.Join(b.Checks, ",")
			}
		}
		return "<none>"
	}
	insecure := run("../../examples/insecure")
	want := map[string]struct {
		strictest string
		blockers  map[string]string // level/Kind/name -> checks
	}{
		"shop-api": {"privileged", map[string]string{
			"baseline/Deployment/api":   "capabilities_baseline,hostNamespaces,hostPorts",
			"restricted/Deployment/api": "hostNamespaces,hostPorts,allowPrivilegeEscalation,capabilities_restricted,runAsNonRoot,runAsUser,seccompProfile_restricted",
		}},
		"shop-db": {"privileged", map[string]string{
			"baseline/CronJob/db-backup":   "hostPathVolumes",
			"restricted/CronJob/db-backup": "allowPrivilegeEscalation,capabilities_restricted,restrictedVolumes,runAsNonRoot,seccompProfile_restricted",
			"restricted/StatefulSet/db":    "allowPrivilegeEscalation,capabilities_restricted,runAsNonRoot,seccompProfile_restricted",
		}},
		"shop-frontend": {"privileged", map[string]string{
			"baseline/Deployment/frontend":   "hostPathVolumes,privileged",
			"restricted/Deployment/frontend": "privileged,allowPrivilegeEscalation,capabilities_restricted,restrictedVolumes,runAsNonRoot,seccompProfile_restricted",
		}},
	}
	if len(insecure) != len(want) {
		t.Fatalf("insecure: %d namespaces planned, want %d: %+v", len(insecure), len(want), insecure)
	}
	for _, p := range insecure {
		w, ok := want[p.Namespace]
		if !ok {
			t.Errorf("unexpected namespace %s", p.Namespace)
			continue
		}
		if p.Strictest != w.strictest {
			t.Errorf("%s: strictest %s, want %s", p.Namespace, p.Strictest, w.strictest)
		}
		n := 0
		for _, bs := range p.Blockers {
			n += len(bs)
		}
		if n != len(w.blockers) {
			t.Errorf("%s: %d blockers, want %d: %+v", p.Namespace, n, len(w.blockers), p.Blockers)
		}
		for k, c := range w.blockers {
			parts := strings.SplitN(k, "/", 3)
			if got := checks(p, parts[0], parts[1], parts[2]); got != c {
				t.Errorf("%s: %s blocked by %s, want %s", p.Namespace, k, got, c)
			}
		}
		if len(p.Labels) != 0 || p.Version != "v1.37" || len(p.Commands) != 1 ||
			p.Commands[0] != "kubectl label namespace "+p.Namespace+" --overwrite pod-security.kubernetes.io/audit=baseline pod-security.kubernetes.io/audit-version=latest pod-security.kubernetes.io/warn=baseline pod-security.kubernetes.io/warn-version=latest" {
			t.Errorf("%s: labels %v, version %s, commands %q", p.Namespace, p.Labels, p.Version, p.Commands)
		}
	}
	for _, p := range run("../../examples/hardened") {
		if p.Strictest != "restricted" || len(p.Blockers) != 0 || len(p.Commands) != 0 || p.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
			t.Errorf("hardened %s: %+v", p.Namespace, p)
		}
	}
}

// TestPSAPlanTable runs the table output with an admission configuration that exempts a
// namespace, and a broken one.
func TestPSAPlanTable(t *testing.T) {
	dir := t.TempDir()
	adm := filepath.Join(dir, "admission.yaml")
	if err := os.WriteFile(adm, []byte(`apiVersion: pod-security.admission.config.k8s.io/v1
kind: PodSecurityConfiguration
defaults:
  enforce: baseline
exemptions:
  namespaces: [shop-db]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := Main([]string{"psa", "plan", "--admission-config", adm, "../../examples/insecure"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, s := range []string{"NAMESPACE", "shop-api", "Deployment/api", "(exempt: the cluster's PodSecurity admission configuration", "kubectl label namespace shop-frontend"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("table lacks %q:\n%s", s, out.String())
		}
	}
	if strings.Contains(out.String(), "kubectl label namespace shop-db") {
		t.Errorf("a command for an exempt namespace:\n%s", out.String())
	}
	if err := os.WriteFile(adm, []byte("kind: PodSecurityConfiguration\napiVersion: pod-security.admission.config.k8s.io/v1\ndefaults:\n  enforce: strict\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	errb.Reset()
	if code := Main([]string{"psa", "plan", "--admission-config", adm, "../../examples/insecure"}, nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), "--admission-config") {
		t.Errorf("broken admission config: exit %d, stderr %q", code, errb.String())
	}
	out.Reset()
	errb.Reset()
	if code := Main([]string{"scan", "--check", "podsecurity/*", "--admission-config", adm, "../../examples/insecure"}, nil, &out, &errb); code != 2 {
		t.Errorf("scan with a broken admission config: exit %d, stderr %q", code, errb.String())
	}
}
