package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/pod-security-admission/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/podsecurity"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/internal/testcluster"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/psa"
	"github.com/kubeharden/kubeharden/psa/internal/podgen"
	"github.com/kubeharden/kubeharden/scan"
)

var tc *testcluster.Cluster

// admissionConfig is the API server's PodSecurity configuration in these tests: unlabeled
// namespaces enforce baseline, and one namespace, runtime class and user are exempt.
const admissionConfig = `apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
- name: PodSecurity
  configuration:
    apiVersion: pod-security.admission.config.k8s.io/v1
    kind: PodSecurityConfiguration
    defaults:
      enforce: baseline
      enforce-version: latest
    exemptions:
      usernames: [exempt-user]
      runtimeClasses: [exempt-rc]
      namespaces: [psa-exempt]
`

var admissionPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "psa-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	admissionPath = filepath.Join(dir, "admission.yaml")
	if err := os.WriteFile(admissionPath, []byte(admissionConfig), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := testcluster.Main(m, &tc, testcluster.Options{AdmissionConfig: admissionPath})
	os.RemoveAll(dir)
	os.Exit(code)
}

// podCount is how many generated pods each differential run judges.
const podCount = 600

// verdict is what judged one pod: rejected or not, and the PodSecurity detail.
type verdict struct {
	rejected bool
	detail   string
}

// serverVerdicts dry-run creates every pod in ns with cfg and returns the API server's
// verdicts by pod name. Any error other than a PodSecurity rejection fails the test: the
// generator must only make pods that validation accepts.
func serverVerdicts(t *testing.T, cfg *rest.Config, ns string, pods []*corev1.Pod) map[string]verdict {
	t.Helper()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out := make(map[string]verdict, len(pods))
	var mu sync.Mutex
	work := make(chan *corev1.Pod)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range work {
				p = p.DeepCopy()
				p.Namespace = ns
				_, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
				v := verdict{}
				switch {
				case err == nil:
				case apierrors.IsForbidden(err) && strings.Contains(err.Error(), "violates PodSecurity"):
					v.rejected = true
					// pods "x" is forbidden: violates PodSecurity "restricted:latest": <detail>
					_, rest, _ := strings.Cut(err.Error(), `violates PodSecurity "`)
					_, v.detail, _ = strings.Cut(rest, `": `)
				default:
					t.Errorf("pod %s (%s) in %s: %v", p.Name, p.Annotations[podgen.AnnotationVariants], ns, err)
				}
				mu.Lock()
				out[p.Name] = v
				mu.Unlock()
			}
		}()
	}
	for _, p := range pods {
		work <- p
	}
	close(work)
	wg.Wait()
	return out
}

// createNamespace creates ns with labels, or fails the test.
func createNamespace(t *testing.T, cs kubernetes.Interface, name string, labels map[string]string) *corev1.Namespace {
	t.Helper()
	ns := &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if _, err := cs.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	return ns
}

// kubehardenVerdicts writes the namespace and pods as a manifest, scans it as `kubeharden
// scan` would (load, inventory, the podsecurity checks) with the same admission
// configuration, and returns the findings at the enforced level by pod: a finding at its
// check's own severity (findings only against restricted are one lower).
func kubehardenVerdicts(t *testing.T, adm *config.PodSecurityAdmission, ns *corev1.Namespace, pods []*corev1.Pod) (map[string][]check.Finding, *scan.Result) {
	t.Helper()
	var doc bytes.Buffer
	write := func(o any) {
		b, err := yaml.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		doc.WriteString("---\n")
		doc.Write(b)
	}
	write(ns)
	for _, p := range pods {
		p = p.DeepCopy()
		p.Namespace = ns.Name
		p.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}
		write(p)
	}
	file := filepath.Join(t.TempDir(), ns.Name+".yaml")
	if err := os.WriteFile(file, doc.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	objs, errs := load.Files([]string{file}, load.Options{})
	if len(errs) > 0 {
		t.Fatalf("load: %v", errs)
	}
	cfg := &config.Config{PodSecurity: config.PodSecurity{ExemptNamespaces: []string{}, Admission: adm}}
	res := scan.Run(inventory.Build(objs), scan.Options{Config: cfg, Checks: podsecurity.PSSChecks()})
	if len(res.Errors) > 0 {
		t.Fatalf("scan errors: %v", res.Errors)
	}
	out := map[string][]check.Finding{}
	for _, f := range res.Findings {
		if f.Object.Kind != "Pod" {
			continue
		}
		if f.File != file || f.Line <= 0 {
			t.Errorf("%s on %s: no file and line (%s:%d)", f.Check, f.Object, f.File, f.Line)
		}
		if c := check.Lookup(f.Check); c != nil && f.Severity == c.Severity {
			out[f.Object.Name] = append(out[f.Object.Name], f)
		}
	}
	return out, res
}

func loadAdmission(t *testing.T) *config.PodSecurityAdmission {
	t.Helper()
	adm, err := psa.LoadAdmissionConfig(admissionPath)
	if err != nil {
		t.Fatal(err)
	}
	return adm
}

// TestDifferential labels a namespace enforce=<level> at a version, creates every generated
// pod in it, and requires the set the API server rejects to equal, pod for pod, the set
// kubeharden reports as failing that level, with the same reasons and details.
func TestDifferential(t *testing.T) {
	c := testcluster.Need(t, tc)
	cs, err := kubernetes.NewForConfig(c.Admin)
	if err != nil {
		t.Fatal(err)
	}
	adm := loadAdmission(t)
	ev, err := psa.New(psa.Options{Admission: adm})
	if err != nil {
		t.Fatal(err)
	}
	pods := podgen.Pods(20260601, podCount)
	for _, level := range []api.Level{api.LevelBaseline, api.LevelRestricted} {
		for _, version := range []string{"latest", "v1.34", "v1.24"} {
			t.Run(string(level)+"-"+version, func(t *testing.T) {
				name := "psa-" + string(level) + "-" + strings.ReplaceAll(version, ".", "-")
				ns := createNamespace(t, cs, name, map[string]string{
					api.EnforceLevelLabel: string(level), api.EnforceVersionLabel: version,
				})
				lv, err := api.ParseVersion(version)
				if err != nil {
					t.Fatal(err)
				}
				server := serverVerdicts(t, c.Admin, name, pods)
				ours, _ := kubehardenVerdicts(t, adm, ns, pods)
				compare(t, ev, api.LevelVersion{Level: level, Version: lv}, pods, server, ours)
			})
		}
	}
}

// compare requires kubeharden and the API server to agree on every pod.
func compare(t *testing.T, ev *psa.Evaluator, lv api.LevelVersion, pods []*corev1.Pod, server map[string]verdict, ours map[string][]check.Finding) {
	t.Helper()
	rejected, disagree := 0, 0
	for _, p := range pods {
		s := server[p.Name]
		fs := ours[p.Name]
		if s.rejected {
			rejected++
		}
		if s.rejected != (len(fs) > 0) {
			disagree++
			t.Errorf("pod %s (%s): API server rejected=%v (%s), kubeharden reports %d findings at %s",
				p.Name, p.Annotations[podgen.AnnotationVariants], s.rejected, s.detail, len(fs), lv)
			continue
		}
		if !s.rejected {
			continue
		}
		// Same reasons and details, in the same order, as the API server's message.
		var msgs []string
		for _, f := range ev.Evaluate(lv, &p.ObjectMeta, &p.Spec) {
			msgs = append(msgs, f.Message())
		}
		if got := strings.Join(msgs, ", "); got != s.detail {
			disagree++
			t.Errorf("pod %s (%s): API server says\n  %s\nkubeharden says\n  %s", p.Name, p.Annotations[podgen.AnnotationVariants], s.detail, got)
		}
		if len(fs) != len(msgs) {
			disagree++
			t.Errorf("pod %s: %d findings for %d failing checks", p.Name, len(fs), len(msgs))
		}
		for _, f := range fs {
			if !strings.HasPrefix(f.Check, "podsecurity/") || !strings.Contains(s.detail, strings.SplitN(f.Message, ": fails Pod Security", 2)[0]) {
				disagree++
				t.Errorf("pod %s: finding %s %q is not in the API server's message %q", p.Name, f.Check, f.Message, s.detail)
			}
		}
	}
	t.Logf("%s: %d pods, %d rejected by the API server, %d disagreements", lv, len(pods), rejected, disagree)
	if rejected == 0 || rejected == len(pods) {
		t.Errorf("%s: %d of %d pods rejected; the generator should make both kinds", lv, rejected, len(pods))
	}
}

// TestDefaultsAndExemptions checks the admission configuration's default level (unlabeled
// namespaces) and its namespace, runtime class and user exemptions.
func TestDefaultsAndExemptions(t *testing.T) {
	c := testcluster.Need(t, tc)
	cs, err := kubernetes.NewForConfig(c.Admin)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	adm := loadAdmission(t)
	ev, err := psa.New(psa.Options{Admission: adm})
	if err != nil {
		t.Fatal(err)
	}
	pods := podgen.Pods(7, 150)
	for _, rc := range []string{"exempt-rc", "other-rc"} {
		_, err := cs.NodeV1().RuntimeClasses().Create(ctx, &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: rc}, Handler: "runc"}, metav1.CreateOptions{})
		if err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}

	t.Run("unlabeled namespace uses the configured default", func(t *testing.T) {
		ns := createNamespace(t, cs, "psa-default", nil)
		server := serverVerdicts(t, c.Admin, ns.Name, pods)
		ours, _ := kubehardenVerdicts(t, adm, ns, pods)
		compare(t, ev, api.LevelVersion{Level: api.LevelBaseline, Version: api.LatestVersion()}, pods, server, ours)
	})

	t.Run("exempt namespace", func(t *testing.T) {
		ns := createNamespace(t, cs, "psa-exempt", map[string]string{api.EnforceLevelLabel: "restricted"})
		server := serverVerdicts(t, c.Admin, ns.Name, pods)
		ours, _ := kubehardenVerdicts(t, adm, ns, pods)
		for _, p := range pods {
			if server[p.Name].rejected || len(ours[p.Name]) > 0 {
				t.Errorf("pod %s in an exempt namespace: API server rejected=%v, kubeharden findings %d", p.Name, server[p.Name].rejected, len(ours[p.Name]))
			}
		}
	})

	t.Run("runtime classes", func(t *testing.T) {
		ns := createNamespace(t, cs, "psa-rc", map[string]string{api.EnforceLevelLabel: "restricted"})
		var withRC []*corev1.Pod
		for i, p := range pods {
			p = p.DeepCopy()
			if p.Spec.OS != nil && p.Spec.OS.Name == corev1.Windows {
				continue // RuntimeClass scheduling constraints aside, keep the Linux pods.
			}
			rc := "exempt-rc"
			if i%2 == 1 {
				rc = "other-rc"
			}
			p.Spec.RuntimeClassName = &rc
			withRC = append(withRC, p)
		}
		server := serverVerdicts(t, c.Admin, ns.Name, withRC)
		ours, _ := kubehardenVerdicts(t, adm, ns, withRC)
		compare(t, ev, api.LevelVersion{Level: api.LevelRestricted, Version: api.LatestVersion()}, onlyRC(withRC, "other-rc"), server, ours)
		for _, p := range onlyRC(withRC, "exempt-rc") {
			if server[p.Name].rejected || len(ours[p.Name]) > 0 {
				t.Errorf("pod %s of an exempt runtime class: API server rejected=%v, kubeharden findings %d", p.Name, server[p.Name].rejected, len(ours[p.Name]))
			}
		}
	})

	t.Run("exempt user", func(t *testing.T) {
		ns := createNamespace(t, cs, "psa-user", map[string]string{api.EnforceLevelLabel: "restricted"})
		for _, user := range []string{"exempt-user", "other-user"} {
			crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "psa-e2e-" + user},
				RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
				Subjects: []rbacv1.Subject{{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: user}}}
			if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatal(err)
			}
		}
		// The authorizer's cache may lag the new bindings a moment.
		time.Sleep(2 * time.Second)
		for _, user := range []string{"exempt-user", "other-user"} {
			cfg, err := c.User(user)
			if err != nil {
				t.Fatal(err)
			}
			server := serverVerdicts(t, cfg, ns.Name, pods)
			rejected := 0
			for _, p := range pods {
				want := !ev.ExemptUser(user) && len(ev.Evaluate(api.LevelVersion{Level: api.LevelRestricted, Version: api.LatestVersion()}, &p.ObjectMeta, &p.Spec)) > 0
				if server[p.Name].rejected != want {
					t.Errorf("user %s, pod %s: API server rejected=%v, kubeharden says %v", user, p.Name, server[p.Name].rejected, want)
				}
				if want {
					rejected++
				}
			}
			t.Logf("user %s: %d of %d pods rejected", user, rejected, len(pods))
		}
	})
}

func onlyRC(pods []*corev1.Pod, rc string) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range pods {
		if p.Spec.RuntimeClassName != nil && *p.Spec.RuntimeClassName == rc {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// TestEphemeralContainers adds ephemeral containers (kubectl debug) to a running pod through
// the ephemeralcontainers subresource, which admission judges like a create: the API server
// must refuse exactly those kubeharden reports.
func TestEphemeralContainers(t *testing.T) {
	c := testcluster.Need(t, tc)
	cs, err := kubernetes.NewForConfig(c.Admin)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	adm := loadAdmission(t)
	for _, level := range []api.Level{api.LevelBaseline, api.LevelRestricted} {
		name := "psa-ephemeral-" + string(level)
		ns := createNamespace(t, cs, name, map[string]string{api.EnforceLevelLabel: string(level)})
		base := podgen.Restricted(false)
		base.Name, base.Namespace = "target", name
		if _, err := cs.CoreV1().Pods(name).Create(ctx, base, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
		live, err := cs.CoreV1().Pods(name).Get(ctx, "target", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		variants := map[string]*corev1.SecurityContext{
			"bare":       nil,
			"privileged": {Privileged: ptr.To(true)},
			"ptrace":     {Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"SYS_PTRACE"}}, AllowPrivilegeEscalation: ptr.To(false)},
			"restricted": {AllowPrivilegeEscalation: ptr.To(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
			"root":       {RunAsUser: ptr.To[int64](0), AllowPrivilegeEscalation: ptr.To(false), Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
		}
		var pods []*corev1.Pod
		server := map[string]verdict{}
		for v, sc := range variants {
			p := live.DeepCopy()
			p.Spec.EphemeralContainers = append(p.Spec.EphemeralContainers, corev1.EphemeralContainer{
				EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug-" + v, Image: "registry.k8s.io/e2e-test-images/busybox:1.36", SecurityContext: sc},
				TargetContainerName:      "app",
			})
			_, err := cs.CoreV1().Pods(name).UpdateEphemeralContainers(ctx, "target", p, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}})
			switch {
			case err == nil:
				server[v] = verdict{}
			case apierrors.IsForbidden(err) && strings.Contains(err.Error(), "violates PodSecurity"):
				_, rest, _ := strings.Cut(err.Error(), `violates PodSecurity "`)
				_, detail, _ := strings.Cut(rest, `": `)
				server[v] = verdict{rejected: true, detail: detail}
			default:
				t.Fatalf("%s/%s: %v", level, v, err)
			}
			p.Name = v
			p.ResourceVersion, p.UID = "", ""
			pods = append(pods, p)
		}
		ours, _ := kubehardenVerdicts(t, adm, ns, pods)
		ev, err := psa.New(psa.Options{Admission: adm})
		if err != nil {
			t.Fatal(err)
		}
		compare(t, ev, api.LevelVersion{Level: level, Version: api.LatestVersion()}, pods, server, ours)
		for _, p := range pods {
			for _, f := range ours[p.Name] {
				if !strings.Contains(f.Path, "ephemeralContainers[0]") {
					t.Errorf("%s: %s points at %s, not the ephemeral container", p.Name, f.Check, f.Path)
				}
			}
		}
	}
}
