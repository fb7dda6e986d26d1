package enforce

import (
	"context"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/kubeharden/kubeharden/admission"
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/internal/testcluster"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/scan"
)

// exportedWorkloadChecks are the registered checks with a CEL form on workloads.
func exportedWorkloadChecks() []*check.Check {
	var out []*check.Check
	for _, c := range check.All() {
		if c.CEL != nil && slices.Contains(c.CEL.Kinds, check.Workloads) {
			out = append(out, c)
		}
	}
	return out
}

// genPodSpec makes a pod spec that varies every field the exported checks read.
func genPodSpec(r *rand.Rand) corev1.PodSpec {
	pick := func(p float64) bool { return r.Float64() < p }
	mutable := []string{"nginx", "nginx:latest", "nginx:1.27", "ghcr.io/acme/app:2.1",
		"registry.example.com:5000/team/app", "registry.example.com:5000/team/app:v3",
		"localhost:5000/app:latest", "docker.io/library/redis:7"}
	pinned := []string{"busybox@sha256:" + strings.Repeat("ab", 32), "quay.io/org/tool:latest@sha256:" + strings.Repeat("cd", 32),
		"registry.example.com:5000/team/app@sha256:" + strings.Repeat("ef", 32)}
	var spec corev1.PodSpec
	spec.HostNetwork, spec.HostPID, spec.HostIPC = pick(0.06), pick(0.06), pick(0.06)
	container := func(name string) corev1.Container {
		c := corev1.Container{Name: name, Image: pinned[r.Intn(len(pinned))]}
		if pick(0.12) {
			c.Image = mutable[r.Intn(len(mutable))]
		}
		if pick(0.5) {
			c.SecurityContext = &corev1.SecurityContext{}
			switch r.Intn(5) {
			case 0:
				c.SecurityContext.Privileged = ptr(true)
			case 1:
				c.SecurityContext.Privileged = ptr(false)
			}
		}
		if pick(0.4) {
			port := corev1.ContainerPort{ContainerPort: int32(8000 + r.Intn(100))}
			if pick(0.15) || spec.HostNetwork && pick(0.5) {
				port.HostPort = port.ContainerPort // host-network pods need hostPort == containerPort
			}
			c.Ports = []corev1.ContainerPort{port}
		}
		return c
	}
	for i := range 1 + r.Intn(3) {
		spec.Containers = append(spec.Containers, container(fmt.Sprintf("app%d", i)))
	}
	if pick(0.3) {
		spec.InitContainers = []corev1.Container{container("init")}
	}
	if pick(0.15) {
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: "host", VolumeSource: corev1.VolumeSource{
			HostPath: &corev1.HostPathVolumeSource{Path: "/var/log"}}})
	}
	if pick(0.4) {
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
	}
	return spec
}

func ptr[T any](v T) *T { return &v }

// genObjects makes n pods and deployments in ns, deterministically.
func genObjects(n int, ns string) []runtime.Object {
	r := rand.New(rand.NewSource(14))
	var out []runtime.Object
	for i := range n {
		spec := genPodSpec(r)
		name := fmt.Sprintf("gen-%03d", i)
		if i%2 == 0 {
			out = append(out, &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: spec})
			continue
		}
		labels := map[string]string{"app": name}
		out = append(out, &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: spec}}})
	}
	return out
}

// TestVAPDifferential applies the exported policies and compares, object for object, what the
// API server rejects with what scan reports for the exported checks.
func TestVAPDifferential(t *testing.T) {
	testcluster.Need(t, tc)
	ctx := context.Background()
	cs := kubernetes.NewForConfigOrDie(tc.Admin)
	// The namespace enforces privileged so that the PodSecurity admission plugin rejects
	// nothing: every rejection is a policy's.
	nsLabels := map[string]string{e2eLabel: "vap", "pod-security.kubernetes.io/enforce": "privileged"}
	ns := tc.Namespace(t, "vap", nsLabels)
	checks := exportedWorkloadChecks()
	if len(checks) < 5 {
		t.Fatalf("only %d workload checks have a CEL form", len(checks))
	}
	pols, _ := admission.ExportVAP(checks, admission.VAPOptions{})
	if len(pols) != len(checks) {
		t.Fatalf("exported %d of %d checks", len(pols), len(checks))
	}
	for _, p := range pols {
		mr := p.Binding.Spec.MatchResources
		if mr == nil {
			mr = &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{}}
			p.Binding.Spec.MatchResources = mr
		}
		mr.NamespaceSelector.MatchExpressions = append(mr.NamespaceSelector.MatchExpressions,
			metav1.LabelSelectorRequirement{Key: e2eLabel, Operator: metav1.LabelSelectorOpIn, Values: []string{"vap"}})
		if _, err := cs.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, p.Policy, metav1.CreateOptions{}); err != nil {
			t.Fatalf("%s: %v", p.Check, err)
		}
		if _, err := cs.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Create(ctx, p.Binding, metav1.CreateOptions{}); err != nil {
			t.Fatalf("%s binding: %v", p.Check, err)
		}
		t.Cleanup(func() {
			_ = cs.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Delete(ctx, p.Binding.Name, metav1.DeleteOptions{})
			_ = cs.AdmissionregistrationV1().ValidatingAdmissionPolicies().Delete(ctx, p.Policy.Name, metav1.DeleteOptions{})
		})
	}
	c := newClient(t)
	objs := genObjects(320, ns)
	waitPolicies(t, c, ns, pols)

	nsObj, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nsObj.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"}
	inv := []*inventory.Object{inventory.New(nsObj, inventory.Source{}, nil)}
	rejected := map[inventory.Ref][]string{}
	msgs := map[inventory.Ref]string{}
	for _, o := range objs {
		io := inventory.New(o, inventory.Source{}, nil)
		inv = append(inv, io)
		err := c.apply(toU(t, io), true)
		if err == nil {
			continue
		}
		ids := vapIDs(err.Error(), pols)
		if len(ids) == 0 {
			t.Fatalf("%s: refused, but not by a kubeharden policy: %v", io.Ref, err)
		}
		rejected[io.Ref] = ids
		msgs[io.Ref] = err.Error()
	}
	res := scan.Run(inventory.Build(inv), scan.Options{Checks: checks})
	reported := map[inventory.Ref][]string{}
	for _, f := range res.Findings {
		if !f.Suppressed && !slices.Contains(reported[f.Object], f.Check) {
			reported[f.Object] = append(reported[f.Object], f.Check)
		}
	}
	disagree := 0
	for _, o := range inv[1:] {
		rej, rep := rejected[o.Ref], reported[o.Ref]
		if (len(rej) > 0) != (len(rep) > 0) {
			disagree++
			t.Errorf("%s: API server rejects for %v, scan reports %v\n%s\n%s", o.Ref, rej, rep, msgs[o.Ref], yamlOf(o))
			continue
		}
		for _, id := range rej {
			if !slices.Contains(rep, id) {
				disagree++
				t.Errorf("%s: policy of %s rejects it, scan does not report it (scan: %v)\n%s\n%s", o.Ref, id, rep, msgs[o.Ref], yamlOf(o))
			}
		}
	}
	t.Logf("%d objects: %d rejected by the API server, %d reported by scan, %d disagreements",
		len(objs), len(rejected), len(reported), disagree)
	if len(rejected) < len(objs)/5 || len(rejected) > len(objs)*9/10 {
		t.Errorf("the generated set is not varied enough: %d of %d rejected", len(rejected), len(objs))
	}
}

// vapIDs are the check IDs of the kubeharden policies a rejection names.
func vapIDs(msg string, pols []admission.Policy) []string {
	var out []string
	for _, p := range pols {
		if strings.Contains(msg, "'"+p.Policy.Name+"'") || strings.Contains(msg, p.Check+": ") {
			out = append(out, p.Check)
		}
	}
	return out
}

// waitPolicies waits until the API server enforces every policy: for each, a pod that fails
// only that check's expression is rejected (a dry run).
func waitPolicies(t *testing.T, c *client, ns string, pols []admission.Policy) {
	t.Helper()
	violating := map[string]corev1.PodSpec{
		"podsecurity/privileged":     {Containers: []corev1.Container{{Name: "c", Image: "a:1@sha256:" + strings.Repeat("ab", 32), SecurityContext: &corev1.SecurityContext{Privileged: ptr(true)}}}},
		"podsecurity/hostNamespaces": {HostPID: true, Containers: []corev1.Container{{Name: "c", Image: "a:1@sha256:" + strings.Repeat("ab", 32)}}},
		"podsecurity/hostPorts":      {Containers: []corev1.Container{{Name: "c", Image: "a:1@sha256:" + strings.Repeat("ab", 32), Ports: []corev1.ContainerPort{{ContainerPort: 80, HostPort: 80}}}}},
		"images/latest-tag":          {Containers: []corev1.Container{{Name: "c", Image: "a"}}},
		"images/not-pinned":          {Containers: []corev1.Container{{Name: "c", Image: "a:1"}}},
	}
	for _, p := range pols {
		spec, ok := violating[p.Check]
		if !ok {
			t.Fatalf("no probe for %s: add one", p.Check)
		}
		pod := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Name: "probe", Namespace: ns}, Spec: spec}
		u := toU(t, inventory.New(pod, inventory.Source{}, nil))
		deadline := time.Now().Add(60 * time.Second)
		for {
			err := c.apply(u, true)
			if err != nil && slices.Contains(vapIDs(err.Error(), pols), p.Check) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("policy of %s never rejected its probe (last answer: %v)", p.Check, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

func yamlOf(o *inventory.Object) string {
	b, _ := yaml.Marshal(o.Obj)
	return string(b)
}
