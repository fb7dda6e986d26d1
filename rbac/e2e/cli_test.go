package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeharden/kubeharden/internal/cli"
	"github.com/kubeharden/kubeharden/internal/testcluster"
	"github.com/kubeharden/kubeharden/rbac"
	"github.com/kubeharden/kubeharden/rbac/rbactest"
)

// TestCLICluster runs `kubeharden can-i --cluster` and `who-can --cluster` against the test
// cluster and compares their answers with SubjectAccessReviews for the same callers.
func TestCLICluster(t *testing.T) {
	cs := client(t)
	ctx := context.Background()
	g := rbactest.New(seed + 2)
	g.Prefix, g.Namespaces = "cli-", []string{"cli-a", "cli-b"}
	populate(ctx, t, cs, g, 60)
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := testcluster.WriteKubeConfig(kubeconfig, tc.Admin); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		code := cli.Main(append(args, "--cluster", "--kubeconfig", kubeconfig, "-o", "json"), strings.NewReader(""), &out, &errb)
		if code > 1 {
			t.Fatalf("%q: exit %d: %s", args, code, errb.String())
		}
		return code, out.String()
	}
	e := rbac.New(listRBAC(ctx, t, cs, metav1.ListOptions{}))
	subjects := e.Subjects()
	bound := boundRules(e)
	checked, yes, listed := 0, 0, 0
	for checked < 24 {
		br := bound[g.Intn(len(bound))]
		a := g.AttributesFor(br.rule, g.Namespaces[g.Intn(len(g.Namespaces))])
		args, ok := cliArgs(a)
		if !ok {
			continue
		}
		checked++
		user, groups := g.Principal(subjects)
		if user == "" {
			continue
		}
		caArgs := append([]string{"can-i", "--as", user}, args...)
		for _, gr := range groups {
			caArgs = append(caArgs, "--as-group", gr)
		}
		code, out := run(caArgs...)
		var got struct{ Allowed bool }
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%q: %v\n%s", caArgs, err, out)
		}
		iu, ig := rbac.Impersonate(user, groups)
		want := review(ctx, t, cs, iu, ig, a)
		if want {
			yes++
		}
		if got.Allowed != want || (code == 0) != want {
			t.Errorf("%q: allowed %v (exit %d), API server says %v", caArgs, got.Allowed, code, want)
		}

		if checked%4 != 0 {
			continue
		}
		_, out = run(append([]string{"who-can"}, args...)...)
		var who struct {
			Subjects []rbac.Subject `json:"subjects"`
		}
		if err := json.Unmarshal([]byte(out), &who); err != nil {
			t.Fatalf("who-can %q: %v\n%s", args, err, out)
		}
		listed += len(who.Subjects)
		for _, s := range who.Subjects {
			u, gs := bare(s)
			if !review(ctx, t, cs, u, gs, a) {
				t.Errorf("who-can %q lists %s, but the API server denies it", args, s)
			}
		}
	}
	t.Logf("can-i --cluster: %d requests, %d allowed; who-can --cluster: %d subjects listed, each confirmed", checked, yes, listed)
	if yes == 0 || yes == checked || listed == 0 {
		t.Errorf("the requests exercise too little")
	}
}

// cliArgs writes a request as the CLI takes it, or false when the CLI would read the words
// back as another request (a core-group name that is a built-in of another group, a
// cluster-scoped built-in asked in a namespace).
func cliArgs(a rbac.Attributes) ([]string, bool) {
	if a.NonResource() {
		return []string{a.Verb, a.Path}, true
	}
	res := rbac.Resource{Group: a.APIGroup, Resource: a.Resource, Subresource: a.Subresource}
	back, err := rbac.ParseResource(res.String())
	if err != nil || back.Group != a.APIGroup || back.Resource != a.Resource || back.ClusterScoped || a.Resource == "*" && a.APIGroup != "" {
		return nil, false
	}
	args := []string{a.Verb, res.String()}
	if a.Name != "" {
		args = append(args, a.Name)
	}
	if a.Namespace != "" {
		args = append(args, "-n", a.Namespace)
	} else {
		args = append(args, "-A")
	}
	return args, true
}
