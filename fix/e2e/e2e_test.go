package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubeharden/kubeharden/fix/fixtest"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/pod-security-admission/api"

	_ "github.com/kubeharden/kubeharden/checks/all"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/fix"
	"github.com/kubeharden/kubeharden/internal/testcluster"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
)

var tc *testcluster.Cluster

func TestMain(m *testing.M) { os.Exit(testcluster.Main(m, &tc, testcluster.Options{})) }

// fixDir runs fix --write on dir and returns the fixed objects.
func fixDir(t *testing.T, dir string) *inventory.Inventory {
	t.Helper()
	inv, cfg := read(t, dir)
	res := scan.Run(inv, scan.Options{Config: cfg})
	plan := fix.Plan(inv, res.Findings, fix.Options{})
	if len(plan.Changes) == 0 {
		t.Fatalf("fix changes nothing in %s", dir)
	}
	for _, c := range plan.Changes {
		if err := os.WriteFile(c.Path, c.New, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fixed, _ := read(t, dir)
	return fixed
}

func read(t *testing.T, dir string) (*inventory.Inventory, *config.Config) {
	t.Helper()
	objs, errs := load.Files([]string{dir}, load.Options{})
	if len(errs) > 0 {
		t.Fatalf("load %s: %v", dir, errs)
	}
	cfg, err := config.Find(dir)
	if err != nil {
		t.Fatal(err)
	}
	return inventory.Build(objs), cfg
}

// apply server-side applies every object and fails on any the API server refuses.
func apply(t *testing.T, c *testcluster.Cluster, inv *inventory.Inventory) {
	t.Helper()
	var objs []*unstructured.Unstructured
	for _, o := range inv.All() {
		u, err := testcluster.ToUnstructured(o.Obj)
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, u...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := testcluster.Apply(ctx, c.Admin, objs, 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.SortedErrors() {
		t.Errorf("apply: %s", e)
	}
	for _, u := range res.Unserved {
		t.Errorf("apply: %s %s is not served", u.GetAPIVersion(), u.GetKind())
	}
}

// createPods creates a pod from every pod template of the namespaces fix labelled to enforce
// a level (dryRun: server-side dry run, which runs admission too) and returns them by
// namespace with the API server's answer.
func createPods(t *testing.T, cfg *rest.Config, inv *inventory.Inventory, enforced map[string]string, dryRun bool) map[string][]error {
	t.Helper()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]error{}
	for i, tpl := range inv.PodTemplates() {
		ns := tpl.Namespace()
		if _, ok := enforced[ns]; !ok {
			continue
		}
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: strings.ToLower(tpl.Owner.Kind) + "-" + tpl.Owner.Name + "-" + string(rune('a'+i%26)), Namespace: ns, Labels: tpl.Meta.Labels},
			Spec:       *tpl.Spec.DeepCopy(),
		}
		opts := metav1.CreateOptions{}
		if dryRun {
			opts.DryRun = []string{metav1.DryRunAll}
		}
		_, err := cs.CoreV1().Pods(ns).Create(context.Background(), pod, opts)
		out[ns] = append(out[ns], err)
	}
	return out
}

// enforcedByFix lists the namespaces whose enforce label fix set (absent before, present after).
func enforcedByFix(before, after *inventory.Inventory) map[string]string {
	out := map[string]string{}
	for _, o := range after.ByKind("Namespace") {
		level := o.Labels()[api.EnforceLevelLabel]
		if level == "" {
			continue
		}
		if b := before.Namespace(o.Name); b != nil && b.Labels()[api.EnforceLevelLabel] == level {
			continue
		}
		out[o.Name] = level
	}
	return out
}

// TestFixedAppRunsRestricted: fix labels the app's namespace enforce=restricted, and the
// fixed app applies and its pods are admitted there; the same pods unfixed are refused.
func TestFixedAppRunsRestricted(t *testing.T) {
	c := testcluster.Need(t, tc)
	dir := fixtest.Copy(t, filepath.Join("testdata", "app"))
	before, _ := read(t, dir)
	after := fixDir(t, dir)
	enforced := enforcedByFix(before, after)
	if enforced["fix-e2e-app"] != "restricted" {
		t.Fatalf("fix set enforce labels %v, want fix-e2e-app: restricted", enforced)
	}
	apply(t, c, after)
	for ns, errs := range createPods(t, c.Admin, after, enforced, false) {
		if len(errs) < 2 {
			t.Errorf("%s: %d pods created, want one per template (2)", ns, len(errs))
		}
		for _, err := range errs {
			if err != nil {
				t.Errorf("fixed pod in %s (enforce %s) refused: %v", ns, enforced[ns], err)
			}
		}
	}
	// The unfixed templates are refused by the same namespace: the fixes are what let
	// them in.
	for ns, errs := range createPods(t, c.Admin, before, enforced, true) {
		for _, err := range errs {
			if err == nil || !strings.Contains(err.Error(), "violates PodSecurity") {
				t.Errorf("unfixed pod in %s admitted or refused for another reason: %v", ns, err)
			}
		}
	}
}

// TestFixedInsecureExampleApplies: examples/insecure, fixed, applies cleanly (its removed
// API versions moved, its new policies, LimitRanges and quotas valid), and the pods of every
// namespace fix labelled are admitted.
func TestFixedInsecureExampleApplies(t *testing.T) {
	c := testcluster.Need(t, tc)
	root := fixtest.Copy(t, filepath.Join("..", "..", "examples"))
	dir := filepath.Join(root, "insecure")
	before, _ := read(t, dir)
	after := fixDir(t, dir)
	apply(t, c, after)
	enforced := enforcedByFix(before, after)
	for ns, errs := range createPods(t, c.Admin, after, enforced, true) {
		for _, err := range errs {
			if err != nil {
				t.Errorf("fixed pod in %s (enforce %s) refused: %v", ns, enforced[ns], err)
			}
		}
	}
	t.Logf("namespaces fix labelled to enforce a level: %v", enforced)
}
