package e2e

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/pod-security-admission/api"

	"github.com/kubeharden/kubeharden/internal/testcluster"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/psa"
)

// TestPlanExamples plans examples/insecure and examples/hardened and proves every namespace's
// answer with the API server: each workload's pod template, created as a pod in a namespace
// that enforces a level at the plan's version, is refused exactly when the plan lists it as
// a blocker of that level, with the same checks; the strictest level is the strictest one
// that admits them all.
func TestPlanExamples(t *testing.T) {
	c := testcluster.Need(t, tc)
	cs, err := kubernetes.NewForConfig(c.Admin)
	if err != nil {
		t.Fatal(err)
	}
	root, err := testcluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	ev, err := psa.New(psa.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, example := range []string{"insecure", "hardened"} {
		t.Run(example, func(t *testing.T) {
			objs, errs := load.Files([]string{filepath.Join(root, "examples", example)}, load.Options{})
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			inv := inventory.Build(objs)
			plans := ev.PlanAll(inv, psa.PlanOptions{})
			if len(plans) == 0 {
				t.Fatal("nothing planned")
			}
			for _, p := range plans {
				checkPlan(t, cs, c, ev, example, p, inv.PodTemplatesIn(p.Namespace))
			}
		})
	}
}

func checkPlan(t *testing.T, cs kubernetes.Interface, c *testcluster.Cluster, ev *psa.Evaluator, example string, p psa.Plan, templates []inventory.PodTemplate) {
	t.Helper()
	version, err := api.ParseVersion(p.Version)
	if err != nil {
		t.Fatal(err)
	}
	pods := map[string]inventory.PodTemplate{}
	var list []*corev1.Pod
	for _, tmpl := range templates {
		name := strings.ToLower(tmpl.Owner.Kind + "-" + tmpl.Owner.Name)
		meta := tmpl.Meta.DeepCopy()
		meta.Name, meta.Namespace, meta.GenerateName = name, "", ""
		pod := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: *meta, Spec: *tmpl.Spec.DeepCopy()}
		// The StatefulSet controller adds a PersistentVolumeClaim volume per claim template
		// (an allowed type at every level); the pod is invalid without them.
		if sts, ok := tmpl.Owner.Obj.(*appsv1.StatefulSet); ok {
			for _, pvc := range sts.Spec.VolumeClaimTemplates {
				pod.Spec.Volumes = append(pod.Spec.Volumes, corev1.Volume{Name: pvc.Name, VolumeSource: corev1.VolumeSource{
					PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: pvc.Name + "-" + sts.Name + "-0"}}})
			}
		}
		pods[name] = tmpl
		list = append(list, pod)
	}
	strictest := api.LevelPrivileged
	for _, level := range []api.Level{api.LevelBaseline, api.LevelRestricted} {
		ns := fmt.Sprintf("plan-%s-%s-%s", example, p.Namespace, level)
		createNamespace(t, cs, ns, map[string]string{api.EnforceLevelLabel: string(level), api.EnforceVersionLabel: p.Version})
		server := serverVerdicts(t, c.Admin, ns, list)
		var refused []string
		for _, pod := range list {
			if server[pod.Name].rejected {
				refused = append(refused, pod.Name)
			}
		}
		var blocked []string
		planned := map[string][]string{}
		for _, b := range p.Blockers[level] {
			name := strings.ToLower(b.Object.Kind + "-" + b.Object.Name)
			blocked = append(blocked, name)
			planned[name] = b.Checks
		}
		sort.Strings(refused)
		sort.Strings(blocked)
		if strings.Join(refused, ",") != strings.Join(blocked, ",") && api.CompareLevels(level, p.Strictest) > 0 {
			t.Errorf("%s/%s at %s: API server refuses %v, plan lists %v", example, p.Namespace, level, refused, blocked)
		}
		if len(refused) == 0 {
			strictest = level
		}
		for _, name := range refused {
			tmpl := pods[name]
			var msgs, ids []string
			for _, f := range ev.Evaluate(api.LevelVersion{Level: level, Version: version}, tmpl.Meta, tmpl.Spec) {
				msgs = append(msgs, f.Message())
				ids = append(ids, f.Check)
			}
			if got := strings.Join(msgs, ", "); got != server[name].detail {
				t.Errorf("%s/%s %s at %s: API server says %q, kubeharden %q", example, p.Namespace, name, level, server[name].detail, got)
			}
			if api.CompareLevels(level, p.Strictest) > 0 && strings.Join(planned[name], ",") != strings.Join(ids, ",") {
				t.Errorf("%s/%s %s at %s: plan lists checks %v, want %v", example, p.Namespace, name, level, planned[name], ids)
			}
		}
		t.Logf("%s/%s at %s:%s: %d of %d workloads refused", example, p.Namespace, level, p.Version, len(refused), len(list))
	}
	if strictest != p.Strictest {
		t.Errorf("%s/%s: plan says strictest %s, the API server admits everything up to %s", example, p.Namespace, p.Strictest, strictest)
	}
}
