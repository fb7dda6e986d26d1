package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubeharden/kubeharden/audit/audittest"
	"github.com/kubeharden/kubeharden/rbac/review"
)

const reviewManifest = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: app, namespace: shop}
rules:
- apiGroups: [""]
  resources: [pods, secrets]
  verbs: [get, list, delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: app, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: app}
subjects:
- {kind: ServiceAccount, name: api, namespace: shop}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: editors, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: dana}
`

// TestRBACReviewFiles reviews manifests (with the default policy a cluster has: edit) against
// a log: the service account used two of six permissions, dana nothing; a bad line is an
// error at its line and the rest is still reviewed.
func TestRBACReviewFiles(t *testing.T) {
	dir := t.TempDir()
	manifest := filepath.Join(dir, "rbac.yaml")
	os.WriteFile(manifest, []byte(reviewManifest), 0o644)
	sa := "system:serviceaccount:shop:api"
	groups := []string{"system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated"}
	now := time.Now().UTC()
	var log []byte
	log = append(log, audittest.Line(audittest.Event{User: sa, Groups: groups, Verb: "get", Resource: "pods", NS: "shop", Name: "a",
		URI: "/api/v1/namespaces/shop/pods/a", Decision: "allow", Time: now.Add(-time.Hour)})...)
	log = append(log, audittest.Line(audittest.Event{User: sa, Groups: groups, Verb: "list", Resource: "pods", NS: "shop",
		URI: "/api/v1/namespaces/shop/pods", Decision: "allow", Time: now.Add(-time.Hour)})...)
	// Older than --since: not evidence.
	log = append(log, audittest.Line(audittest.Event{User: sa, Groups: groups, Verb: "get", Resource: "secrets", NS: "shop", Name: "s",
		URI: "/api/v1/namespaces/shop/secrets/s", Decision: "allow", Time: now.Add(-50 * 24 * time.Hour)})...)
	logFile := filepath.Join(dir, "audit.log")
	os.WriteFile(logFile, log, 0o644)

	code, out, stderr := runCLI(t, "", "rbac", "review", "-f", manifest, "--audit-log", logFile, "-o", "json")
	if code != 1 {
		t.Fatalf("exit %d (want 1), %s", code, stderr)
	}
	var subjects []review.Subject
	if err := json.Unmarshal([]byte(out), &subjects); err != nil {
		t.Fatal(err)
	}
	by := map[string]review.Subject{}
	for _, s := range subjects {
		by[s.Subject.String()] = s
	}
	api := by["ServiceAccount shop/api"]
	var used, unused []string
	for _, p := range api.Used {
		used = append(used, p.String())
	}
	for _, p := range api.Unused {
		unused = append(unused, p.String())
	}
	if strings.Join(used, "; ") != "get pods -n shop; list pods -n shop" ||
		strings.Join(unused, "; ") != "delete pods -n shop; delete secrets -n shop; get secrets -n shop; list secrets -n shop" {
		t.Errorf("api used %v, unused %v", used, unused)
	}
	dana := by["User dana"]
	if dana.Active || len(dana.Bindings) != 1 || dana.Bindings[0].Used || len(dana.Suggestion.Changes) != 1 ||
		dana.Suggestion.Changes[0].Action != review.RemoveBinding {
		t.Errorf("dana: %+v", dana)
	}
	if !api.Suggestion.Verified || len(api.Suggestion.Changes) != 1 || api.Suggestion.Changes[0].Action != review.NarrowRole {
		t.Errorf("api suggestion: %+v", api.Suggestion)
	}

	code, md, _ := runCLI(t, "", "rbac", "review", "-f", manifest, "--audit-log", logFile, "-o", "md")
	for _, want := range []string{"# RBAC review", "Evidence: 2 requests", "## Subjects by risk", "## Proposed changes",
		"kubectl delete rolebinding editors -n shop", "kubectl apply -f - <<'EOF'", "No activity in the window"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q (exit %d):\n%s", want, code, md)
		}
	}

	os.WriteFile(logFile, append(append([]byte(nil), log[:len(log)/3]...), append([]byte("{oops\n"), log...)...), 0o644)
	code, _, stderr = runCLI(t, "", "rbac", "review", "-f", manifest, "--audit-log", logFile, "--since", "0")
	if code != 2 || !strings.Contains(stderr, "audit.log:") {
		t.Errorf("bad line: exit %d, stderr %s", code, stderr)
	}
	if code, _, _ := runCLI(t, "", "rbac", "review", "-f", manifest); code != 2 {
		t.Errorf("no --audit-log: exit %d, want 2", code)
	}
	if code, _, _ := runCLI(t, "", "rbac", "review", "-f", manifest, "--audit-log", logFile, "-o", "sarif"); code != 2 {
		t.Errorf("-o sarif: exit %d, want 2", code)
	}
}
