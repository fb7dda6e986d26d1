package enforce

import (
	"context"
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"strings"
	"sync"
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
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/internal/parallel"
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
	// Images from elsewhere, or that images.allowedRegistries (vapConfig) reads in a
	// particular way: Docker Hub's names and legacy host, case, prefixes that stop at a
	// component, references that do not parse.
	foreign := []string{"ghcr.io/acme-evil/app:1", "ghcr.io/acme:1", "ghcr.io/acme/sub/app@sha256:" + strings.Repeat("12", 32),
		"index.docker.io/library/busybox:1", "docker.io/team/app:2", "docker.io/nginx:1", "team/app:3", "other/app:3",
		"REGISTRY.example.com:5000/team/app:4", "registry.example.com/team/app:4", "quay.io/org:1", "quay.io/organisation/tool:1",
		"ghcr.io/Acme/app:1", "foo_bar.baz/app:1", "app:-bad", "[::1]:5000/app:1", "ghcr.io/acme/app@sha256:123",
		"gcr.io/acme/app:1", strings.Repeat("ab", 32)}
	var spec corev1.PodSpec
	spec.HostNetwork, spec.HostPID, spec.HostIPC = pick(0.06), pick(0.06), pick(0.06)
	container := func(name string) corev1.Container {
		c := corev1.Container{Name: name, Image: pinned[r.Intn(len(pinned))]}
		if pick(0.12) {
			c.Image = mutable[r.Intn(len(mutable))]
		}
		if pick(0.08) {
			c.Image = foreign[r.Intn(len(foreign))]
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

// vapConfig gives the parameterised checks parameters.
var vapConfig = &config.Config{Images: config.Images{AllowedRegistries: []string{
	"ghcr.io/acme", " docker.io/library/ ", "Registry.Example.com:5000", "quay.io/org/", "index.docker.io/team"}}}

// TestVAPDifferential applies the exported policies and compares, object for object and
// check for check, what the API server rejects with what scan reports for the exported checks.
// The API server names only the first policy that denies a request, so each policy is bound
// to a namespace of its own and every object is tried in each.
func TestVAPDifferential(t *testing.T) {
	testcluster.Need(t, tc)
	ctx := context.Background()
	cs := kubernetes.NewForConfigOrDie(tc.Admin)
	checks := exportedWorkloadChecks()
	if len(checks) < 5 {
		t.Fatalf("only %d workload checks have a CEL form", len(checks))
	}
	// The parameters live in a namespace of their own, as they would in kube-system.
	vopts := admission.VAPOptions{Config: vapConfig, ParamsNamespace: tc.Namespace(t, "vap-params", nil)}
	pols, _ := admission.ExportVAP(checks, vopts)
	if len(pols) != len(checks) {
		t.Fatalf("exported %d of %d checks", len(pols), len(checks))
	}
	params := admission.VAPParams(checks, vopts)
	if params == nil || params.Data["allowedRegistriesSet"] != "true" {
		t.Fatalf("no parameters exported: %+v", params)
	}
	if _, err := cs.CoreV1().ConfigMaps(params.Namespace).Create(ctx, params, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	parameterised := 0
	// The namespaces enforce privileged so that the PodSecurity admission plugin rejects
	// nothing: every rejection is a policy's.
	nsLabels := map[string]string{"pod-security.kubernetes.io/enforce": "privileged"}
	namespaces := make([]string, len(pols))
	for k, p := range pols {
		if p.Binding.Spec.ParamRef != nil {
			parameterised++
		}
		scope := fmt.Sprintf("vap-%d", k)
		labels := map[string]string{e2eLabel: scope}
		for l, v := range nsLabels {
			labels[l] = v
		}
		namespaces[k] = tc.Namespace(t, scope, labels)
		mr := p.Binding.Spec.MatchResources
		if mr == nil {
			mr = &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{}}
			p.Binding.Spec.MatchResources = mr
		}
		mr.NamespaceSelector.MatchExpressions = append(mr.NamespaceSelector.MatchExpressions,
			metav1.LabelSelectorRequirement{Key: e2eLabel, Operator: metav1.LabelSelectorOpIn, Values: []string{scope}})
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
	if parameterised == 0 {
		t.Fatal("no exported policy reads parameters")
	}
	c := newClient(t)
	waitPolicies(t, c, namespaces, pols)

	const ns = "vap"
	objs := genObjects(320, ns)
	inv := []*inventory.Object{inventory.New(&corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: nsLabels}}, inventory.Source{}, nil)}
	for _, o := range objs {
		inv = append(inv, inventory.New(o, inventory.Source{}, nil))
	}
	rejected := map[inventory.Ref][]string{}
	msgs := map[inventory.Ref]string{}
	var mu sync.Mutex
	parallel.Each(len(objs)*len(pols), 8, func(n int) {
		io, k := inv[1+n/len(pols)], n%len(pols)
		u := toU(t, io)
		u.SetNamespace(namespaces[k])
		err := c.apply(u, true)
		if err == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if ids := vapIDs(err.Error(), pols); !slices.Equal(ids, []string{pols[k].Check}) {
			t.Errorf("%s in %s: refused, but not by the policy of %s alone: %v", io.Ref, namespaces[k], pols[k].Check, err)
			return
		}
		rejected[io.Ref] = append(rejected[io.Ref], pols[k].Check)
		msgs[io.Ref] += err.Error() + "\n"
	}, nil)
	res := scan.Run(inventory.Build(inv), scan.Options{Checks: checks, Config: vapConfig})
	reported := map[inventory.Ref][]string{}
	for _, f := range res.Findings {
		if !f.Suppressed && !slices.Contains(reported[f.Object], f.Check) {
			reported[f.Object] = append(reported[f.Object], f.Check)
		}
	}
	disagree, perCheck := 0, map[string]int{}
	for _, o := range inv[1:] {
		rej, rep := rejected[o.Ref], reported[o.Ref]
		sort.Strings(rej)
		sort.Strings(rep)
		for _, id := range rej {
			perCheck[id]++
		}
		if !slices.Equal(rej, rep) {
			disagree++
			t.Errorf("%s: API server rejects for %v, scan reports %v\n%s\n%s", o.Ref, rej, rep, msgs[o.Ref], yamlOf(o))
		}
	}
	t.Logf("%d objects, %d policies: %d rejected by the API server, %d reported by scan, %d disagreements; rejections by check: %v",
		len(objs), len(pols), len(rejected), len(reported), disagree, perCheck)
	if len(rejected) < len(objs)/5 || len(rejected) > len(objs)*9/10 {
		t.Errorf("the generated set is not varied enough: %d of %d rejected", len(rejected), len(objs))
	}
	for _, p := range pols {
		if perCheck[p.Check] == 0 {
			t.Errorf("no generated object fails %s", p.Check)
		}
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
func waitPolicies(t *testing.T, c *client, namespaces []string, pols []admission.Policy) {
	t.Helper()
	violating := map[string]corev1.PodSpec{
		"podsecurity/privileged":      {Containers: []corev1.Container{{Name: "c", Image: "a:1@sha256:" + strings.Repeat("ab", 32), SecurityContext: &corev1.SecurityContext{Privileged: ptr(true)}}}},
		"podsecurity/hostNamespaces":  {HostPID: true, Containers: []corev1.Container{{Name: "c", Image: "a:1@sha256:" + strings.Repeat("ab", 32)}}},
		"podsecurity/hostPorts":       {Containers: []corev1.Container{{Name: "c", Image: "a:1@sha256:" + strings.Repeat("ab", 32), Ports: []corev1.ContainerPort{{ContainerPort: 80, HostPort: 80}}}}},
		"images/latest-tag":           {Containers: []corev1.Container{{Name: "c", Image: "a"}}},
		"images/not-pinned":           {Containers: []corev1.Container{{Name: "c", Image: "a:1"}}},
		"images/registry-not-allowed": {Containers: []corev1.Container{{Name: "c", Image: "gcr.io/a/b@sha256:" + strings.Repeat("ab", 32)}}},
	}
	for k, p := range pols {
		ns := namespaces[k]
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
