package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

const rbacFixture = "../../rbac/testdata/paths.yaml"

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestCanI(t *testing.T) {
	for _, tt := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"can-i", "--as", "alice", "-f", rbacFixture, "create", "pods", "-n", "ci"}, 0, "yes\n\nSUBJECT     BINDING              ROLE              RULE\nUser alice  RoleBinding/ci/devs  ClusterRole/edit  rules[2]: verbs=[create delete deletecollection patch update] apiGroups=[\"\"] resources=[pods pods/attach pods/exec pods/portforward pods/proxy]\n"},
		{[]string{"can-i", "--as", "alice", "-f", rbacFixture, "create", "pods", "-n", "prod"}, 1, "no\n"},
		{[]string{"can-i", "--as", "alice", "-f", rbacFixture, "get", "nodes"}, 1, "no\n"},
		{[]string{"can-i", "--as", "system:serviceaccount:ci:deployer", "-f", rbacFixture, "delete", "nodes", "n1"}, 0, "yes\n"},
		{[]string{"can-i", "--as", "someone", "--as-group", "system:masters", "-f", rbacFixture, "get", "secrets", "-A"}, 0, "yes\n"},
		// Every authenticated user may read /version (default policy), anonymous users too.
		{[]string{"can-i", "--as", "system:anonymous", "-f", rbacFixture, "get", "/version"}, 0, "yes\n"},
		{[]string{"can-i", "--as", "system:anonymous", "-f", rbacFixture, "get", "--non-resource-url", "/metrics"}, 1, "no\n"},
	} {
		code, out, errs := run(t, tt.args...)
		if code != tt.code || !strings.HasPrefix(out, tt.out) {
			t.Errorf("%q: exit %d, output\n%s%s\nwant exit %d, output starting\n%s", tt.args, code, out, errs, tt.code, tt.out)
		}
	}
}

func TestCanIJSON(t *testing.T) {
	code, out, errs := run(t, "can-i", "--as", "bob", "-f", rbacFixture, "impersonate", "users", "carol", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got struct {
		Allowed bool `json:"allowed"`
		Reasons []struct {
			Subject             struct{ Kind, Name string } `json:"subject"`
			Binding, Role, Rule string
		} `json:"reasons"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if !got.Allowed || len(got.Reasons) != 1 || got.Reasons[0].Binding != "ClusterRoleBinding/bob-impersonates" ||
		got.Reasons[0].Role != "ClusterRole/impersonate-carol" || got.Reasons[0].Subject.Name != "bob" {
		t.Errorf("got %s", out)
	}
	for _, key := range []string{`"allowed"`, `"reasons"`, `"binding"`, `"role"`, `"rule"`} {
		if !strings.Contains(out, key) {
			t.Errorf("JSON lacks %s: %s", key, out)
		}
	}
}

func TestWhoCan(t *testing.T) {
	code, out, errs := run(t, "who-can", "-f", rbacFixture, "get", "secrets", "-n", "ci", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var got struct {
		Subjects []struct {
			Kind, Name, Namespace string
			Via                   struct{ Binding, Role, Rule string }
		} `json:"subjects"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range got.Subjects {
		names = append(names, s.Kind+":"+s.Namespace+":"+s.Name+"@"+s.Via.Binding)
	}
	// The default policy's controllers read Secrets too.
	want := "Group::system:masters@ClusterRoleBinding/cluster-admin ServiceAccount:ci:deployer@ClusterRoleBinding/deployer-admin " +
		"ServiceAccount:kube-system:generic-garbage-collector@ClusterRoleBinding/system:controller:generic-garbage-collector " +
		"ServiceAccount:kube-system:namespace-controller@ClusterRoleBinding/system:controller:namespace-controller " +
		"ServiceAccount:ops:runner@ClusterRoleBinding/runner-admin User::alice@RoleBinding/ci/devs User::carol@ClusterRoleBinding/carol-secrets " +
		"User::system:kube-controller-manager@ClusterRoleBinding/system:kube-controller-manager"
	if g := strings.Join(names, " "); g != want {
		t.Errorf("who-can get secrets -n ci:\n got %s\nwant %s", g, want)
	}

	// -A: RoleBindings of every namespace.
	_, out, _ = run(t, "who-can", "-f", rbacFixture, "create", "pods/exec", "-A")
	for _, s := range []string{"RoleBinding/ops/ivan", "RoleBinding/ci/devs"} {
		if !strings.Contains(out, s) {
			t.Errorf("who-can create pods/exec -A lacks %s:\n%s", s, out)
		}
	}
	// Without -n or -A the request is in namespace default: nobody but the admins.
	_, out, _ = run(t, "who-can", "-f", rbacFixture, "create", "pods/exec")
	if strings.Contains(out, "ivan") || !strings.Contains(out, "runner") {
		t.Errorf("who-can create pods/exec (namespace default):\n%s", out)
	}
	if code, _, errs := run(t, "who-can", "-f", rbacFixture, "get"); code != 2 || !strings.Contains(errs, "RESOURCE") {
		t.Errorf("who-can without resource: exit %d, %s", code, errs)
	}
}

func TestRBACPaths(t *testing.T) {
	code, out, errs := run(t, "rbac", "paths", "-f", rbacFixture, "--from", "ivan")
	if code != 1 {
		t.Fatalf("exit %d (want 1: a path exists): %s", code, errs)
	}
	for _, s := range []string{"User ivan reaches cluster-admin in 2 steps", "1. User ivan → ServiceAccount ops/runner",
		"granted by RoleBinding/ops/ivan → Role/ops/exec", "2. ServiceAccount ops/runner → cluster-admin"} {
		if !strings.Contains(out, s) {
			t.Errorf("paths output lacks %q:\n%s", s, out)
		}
	}
	code, out, _ = run(t, "rbac", "paths", "-f", rbacFixture, "--from", "judy", "--to", "secrets", "-o", "json")
	if code != 0 || !strings.Contains(out, `"found": false`) {
		t.Errorf("judy → secrets: exit %d\n%s", code, out)
	}
	code, out, _ = run(t, "rbac", "paths", "-f", rbacFixture, "--from", "User:bob", "--to", "secrets", "-o", "json")
	var p pathJSON
	if err := json.Unmarshal([]byte(out), &p); err != nil || code != 1 || len(p.Hops) != 2 || p.Hops[0].To == nil || p.Hops[0].To.Name != "carol" || p.Hops[1].To != nil {
		t.Errorf("bob → secrets: exit %d, %v\n%s", code, err, out)
	}
	if code, _, errs := run(t, "rbac", "paths", "-f", rbacFixture, "--from", "bob", "--to", "moon"); code != 2 || !strings.Contains(errs, "unknown target") {
		t.Errorf("bad target: exit %d, %s", code, errs)
	}
}
