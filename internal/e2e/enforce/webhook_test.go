package enforce

import (
	"context"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/kubeharden/kubeharden/admission"
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/internal/testcluster"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
)

// e2eLabel marks the namespaces a test's webhook is registered for, so that the webhooks
// and policies of the package's tests never judge each other's objects.
const e2eLabel = "kubeharden-e2e"

// register registers w for namespaces labelled e2eLabel=scope with the manifest that
// `kubeharden webhook manifest` prints, and removes it when the test ends.
func register(t *testing.T, w *webhook, scope string, policy admissionregistrationv1.FailurePolicyType) {
	t.Helper()
	cfg, err := admission.WebhookConfiguration(admission.ManifestOptions{URL: w.URL, CABundle: w.CA,
		FailurePolicy: policy, Exempt: admission.DefaultExempt, TimeoutSeconds: 5})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Name = "kubeharden-" + strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	sel := cfg.Webhooks[0].NamespaceSelector
	sel.MatchExpressions = append(sel.MatchExpressions,
		metav1.LabelSelectorRequirement{Key: e2eLabel, Operator: metav1.LabelSelectorOpIn, Values: []string{scope}})
	cs := kubernetes.NewForConfigOrDie(tc.Admin)
	ctx := context.Background()
	if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, cfg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, cfg.Name, metav1.DeleteOptions{})
	})
}

// client applies objects as `kubectl apply --server-side` does and keeps the warnings the
// API server returns, which kubectl prints as "Warning: ...".
type client struct {
	dyn    dynamic.Interface
	mapper meta.RESTMapper
	mu     sync.Mutex
	warns  []string
}

func (c *client) HandleWarningHeader(_ int, _ string, text string) {
	c.mu.Lock()
	c.warns = append(c.warns, text)
	c.mu.Unlock()
}

func (c *client) warnings() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.warns
	c.warns = nil
	return out
}

func newClient(t testing.TB) *client {
	cfg := rest.CopyConfig(tc.Admin)
	c := &client{}
	cfg.WarningHandler = c
	c.dyn = dynamic.NewForConfigOrDie(cfg)
	groups, err := restmapper.GetAPIGroupResources(discovery.NewDiscoveryClientForConfigOrDie(cfg))
	if err != nil {
		t.Fatal(err)
	}
	c.mapper = restmapper.NewDiscoveryRESTMapper(groups)
	return c
}

// apply applies o (dry run when dry) and returns the API server's error.
func (c *client) apply(o *unstructured.Unstructured, dry bool) error {
	gvk := o.GroupVersionKind()
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return err
	}
	var ri dynamic.ResourceInterface = c.dyn.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		ri = c.dyn.Resource(m.Resource).Namespace(o.GetNamespace())
	}
	opts := metav1.ApplyOptions{FieldManager: "kubectl", Force: true}
	if dry {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	_, err = ri.Apply(context.Background(), o.GetName(), o, opts)
	return err
}

// example reads an example folder of the repository.
func example(t testing.TB, name string) []*inventory.Object {
	t.Helper()
	root, err := testcluster.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	objs, errs := load.Files([]string{root + "/examples/" + name}, load.Options{})
	if len(errs) > 0 {
		t.Fatalf("examples/%s: %v", name, errs)
	}
	return objs
}

func toU(t testing.TB, o *inventory.Object) *unstructured.Unstructured {
	us, err := testcluster.ToUnstructured(o.Obj)
	if err != nil {
		t.Fatal(err)
	}
	return us[0]
}

// labelNamespaces creates (or labels) the namespaces of objs with e2eLabel=scope.
func labelNamespaces(t *testing.T, objs []*inventory.Object, scope string) {
	cs := kubernetes.NewForConfigOrDie(tc.Admin)
	seen := map[string]bool{}
	for _, o := range objs {
		ns := o.Namespace
		if o.Kind == "Namespace" {
			ns = o.Name
		}
		if ns == "" || seen[ns] {
			continue
		}
		seen[ns] = true
		n := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: map[string]string{e2eLabel: scope}}}
		if _, err := cs.CoreV1().Namespaces().Create(context.Background(), n, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
}

// waitActive waits until the API server calls the webhook: a probe pod with hostNetwork in ns
// is denied (deny mode) or warned about.
func waitActive(t *testing.T, c *client, ns string) {
	t.Helper()
	probe := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "probe", "namespace": ns},
		"spec": map[string]any{"hostNetwork": true, "containers": []any{map[string]any{"name": "c", "image": "nginx:1.27"}}},
	}}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		err := c.apply(probe, true)
		w := c.warnings()
		if (err != nil && strings.Contains(err.Error(), "kubeharden")) || slices.ContainsFunc(w, func(s string) bool { return strings.Contains(s, "podsecurity/hostNamespaces") }) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatal("the webhook was never called")
}

var idRE = regexp.MustCompile(`(?m)^([a-z]+/[A-Za-z0-9_-]+): `)

// deniedIDs are the check IDs a denial lists, one "CHECK-ID: message" per line.
func deniedIDs(err error) []string {
	var out []string
	for _, m := range idRE.FindAllStringSubmatch(strings.ReplaceAll(err.Error(), "\\n", "\n"), -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// scanIDs are the unsuppressed check IDs scan reports on each object of objs.
func scanIDs(objs []*inventory.Object) map[inventory.Ref][]string {
	res := scan.Run(inventory.Build(objs), scan.Options{})
	out := map[inventory.Ref][]string{}
	for _, f := range res.Findings {
		if !f.Suppressed && !slices.Contains(out[f.Object], f.Check) {
			out[f.Object] = append(out[f.Object], f.Check)
		}
	}
	return out
}

func TestWebhookDeny(t *testing.T) {
	testcluster.Need(t, tc)
	w := startWebhook(t, admission.Options{Mode: admission.Deny, FailOn: check.High})
	objs := example(t, "insecure")
	labelNamespaces(t, objs, "deny")
	register(t, w, "deny", admissionregistrationv1.Fail)
	c := newClient(t)
	waitActive(t, c, "shop-api")

	want := scanIDs(objs)
	denied := map[string][]string{}
	for _, o := range objs {
		if o.Kind == "Namespace" {
			continue
		}
		err := c.apply(toU(t, o), false)
		if err == nil || meta.IsNoMatchError(err) {
			continue // admitted, or a kind this API server no longer serves
		}
		ids := deniedIDs(err)
		if len(ids) == 0 {
			t.Errorf("%s: refused without a finding: %v", o.Ref, err)
			continue
		}
		denied[o.Ref.String()] = ids
		// One evaluation path: every check the webhook denies for, scan reports too.
		for _, id := range ids {
			if !slices.Contains(want[o.Ref], id) {
				t.Errorf("%s: webhook denied for %s, which scan does not report (scan: %v)", o.Ref, id, want[o.Ref])
			}
		}
	}
	t.Logf("denied: %v", denied)
	for ref, ids := range map[string][]string{
		"shop-api/Deployment/api": {"podsecurity/hostNamespaces"},
	} {
		for _, id := range ids {
			if !slices.Contains(denied[ref], id) {
				t.Errorf("%s: want a denial for %s, got %v", ref, id, denied[ref])
			}
		}
	}
	if len(denied) < 3 {
		t.Errorf("only %d objects of the insecure example were denied: %v", len(denied), denied)
	}

	t.Run("hardened", func(t *testing.T) {
		hard := example(t, "hardened")
		labelNamespaces(t, hard, "deny")
		for _, o := range hard {
			// Objects the insecure example already created may not change their immutable
			// fields, and cert-manager is not installed: only the webhook's answer counts.
			if err := c.apply(toU(t, o), false); err != nil && strings.Contains(err.Error(), "kubeharden") {
				t.Errorf("%s: denied by the webhook: %v", o.Ref, err)
			}
		}
	})

	t.Run("suppressed", func(t *testing.T) {
		var dep *inventory.Object
		for _, o := range objs {
			if o.Kind == "Deployment" && o.Name == "api" {
				dep = o
			}
		}
		u := toU(t, dep)
		u.SetName("api-suppressed")
		err := c.apply(u, true)
		if err == nil {
			t.Fatal("the unannotated copy was admitted")
		}
		u.SetAnnotations(map[string]string{check.IgnoreAnnotation: strings.Join(deniedIDs(err), ",") + ": accepted for the e2e test"})
		if err := c.apply(u, true); err != nil {
			t.Fatalf("annotated copy refused: %v", err)
		}
	})
}

func TestWebhookWarn(t *testing.T) {
	testcluster.Need(t, tc)
	w := startWebhook(t, admission.Options{Mode: admission.Warn})
	objs := example(t, "insecure")
	ns := tc.Namespace(t, "warn", map[string]string{e2eLabel: "warn"})
	register(t, w, "warn", admissionregistrationv1.Fail)
	c := newClient(t)
	waitActive(t, c, ns)
	for _, o := range objs {
		if o.Kind != "Deployment" || o.Name != "api" {
			continue
		}
		u := toU(t, o)
		u.SetNamespace(ns)
		if err := c.apply(u, false); err != nil {
			t.Fatalf("warn mode refused %s: %v", o.Ref, err)
		}
		warns := c.warnings()
		t.Logf("warnings: %q", warns)
		if !slices.ContainsFunc(warns, func(s string) bool { return strings.HasPrefix(s, "podsecurity/hostNamespaces: ") }) {
			t.Errorf("no podsecurity/hostNamespaces warning among %q", warns)
		}
	}
}

// TestFailurePolicy stops the webhook and shows what each failure policy does then.
func TestFailurePolicy(t *testing.T) {
	testcluster.Need(t, tc)
	for _, policy := range []admissionregistrationv1.FailurePolicyType{admissionregistrationv1.Fail, admissionregistrationv1.Ignore} {
		t.Run(string(policy), func(t *testing.T) {
			w := startWebhook(t, admission.Options{Mode: admission.Deny, FailOn: check.High})
			scope := "policy-" + strings.ToLower(string(policy))
			ns := tc.Namespace(t, scope, map[string]string{e2eLabel: scope})
			register(t, w, scope, policy)
			c := newClient(t)
			waitActive(t, c, ns)
			w.Stop()
			pod := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "clean", "namespace": ns},
				"spec": map[string]any{"containers": []any{map[string]any{"name": "c", "image": "nginx:1.27"}}},
			}}
			err := c.apply(pod, true)
			switch policy {
			case admissionregistrationv1.Fail:
				if err == nil || !strings.Contains(err.Error(), "failed calling webhook") {
					t.Errorf("Fail with the webhook down: want a refusal naming the webhook, got %v", err)
				}
			case admissionregistrationv1.Ignore:
				if err != nil {
					t.Errorf("Ignore with the webhook down: want the pod admitted, got %v", err)
				}
			}
		})
	}
}
