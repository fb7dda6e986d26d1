package monitor_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/discovery"
	memory "k8s.io/client-go/discovery/cached"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"

	"github.com/kubeharden/kubeharden/admission"
	"github.com/kubeharden/kubeharden/internal/testcluster"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/live"
	"github.com/kubeharden/kubeharden/live/livetest"
	"github.com/kubeharden/kubeharden/load"
)

var update = flag.Bool("update", false, "rewrite the chart's files/webhook-rules.yaml from the checks")

// webhookRules is where the chart keeps the webhook's rules: Helm cannot ask the checks.
var webhookRules = filepath.Join(chart, "files", "webhook-rules.yaml")

// TestChartWebhookRulesCurrent: the chart's rules file is what `kubeharden webhook manifest`
// registers, generated from the checks (go test ./monitor -run WebhookRules -update).
func TestChartWebhookRulesCurrent(t *testing.T) {
	wh, err := admission.WebhookConfiguration(admission.ManifestOptions{ServiceNamespace: "ns", ServiceName: "webhook", ServicePort: 443})
	if err != nil {
		t.Fatal(err)
	}
	want, err := yaml.Marshal(wh.Webhooks[0].Rules)
	if err != nil {
		t.Fatal(err)
	}
	want = append([]byte("# Generated from the checks by go test ./monitor -run WebhookRules -update; do not edit.\n"), want...)
	if *update {
		if err := os.WriteFile(webhookRules, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(webhookRules)
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("%s is stale (%v): run go test ./monitor -run WebhookRules -update", webhookRules, err)
	}
}

// webhookConfig is the chart's one ValidatingWebhookConfiguration.
func webhookConfig(t *testing.T, inv *inventory.Inventory) *admissionregistrationv1.ValidatingWebhookConfiguration {
	t.Helper()
	vs := inv.ByKind("ValidatingWebhookConfiguration")
	if len(vs) != 1 {
		t.Fatalf("%d ValidatingWebhookConfigurations, want 1", len(vs))
	}
	return vs[0].Obj.(*admissionregistrationv1.ValidatingWebhookConfiguration)
}

// TestChartWebhook renders the chart with the webhook on: its ValidatingWebhookConfiguration
// is the one `kubeharden webhook manifest --service` prints for the chart's Service (rules,
// exempt namespaces, the webhook's own service account, failure policy, timeout, CA); its
// Deployment serves with the chosen mode; its ClusterRole reads exactly what the webhook
// caches. Off, none of it renders.
func TestChartWebhook(t *testing.T) {
	ca := []byte("-----BEGIN CERTIFICATE-----\nnot a real CA\n-----END CERTIFICATE-----\n")
	inv := render(t, "webhook.enabled=true", "webhook.tls.secretName=kubeharden-webhook-tls",
		"webhook.tls.caBundle="+base64.StdEncoding.EncodeToString(ca), "webhook.failurePolicy=Ignore",
		"webhook.mode=warn", "webhook.exemptNamespaces={legacy,team-*}", "webhook.timeoutSeconds=7")
	got := webhookConfig(t, inv)
	want, err := admission.WebhookConfiguration(admission.ManifestOptions{
		ServiceNamespace: "kubeharden", ServiceName: "release-webhook", ServicePort: 443, CABundle: ca,
		FailurePolicy: admissionregistrationv1.Ignore, TimeoutSeconds: 7,
		Exempt:         append(append([]string{}, admission.DefaultExempt...), "kubeharden", "legacy", "team-*"),
		ServiceAccount: "kubeharden/release-webhook",
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Webhooks) != 1 || !equality.Semantic.DeepEqual(got.Webhooks[0], want.Webhooks[0]) {
		g, _ := yaml.Marshal(got.Webhooks)
		w, _ := yaml.Marshal(want.Webhooks)
		t.Errorf("chart's webhooks:\n%s\nwebhook manifest's:\n%s", g, w)
	}

	var d *appsv1.Deployment
	for _, o := range inv.ByKind("Deployment") {
		if o.Name == "release-webhook" {
			d = o.Obj.(*appsv1.Deployment)
		}
	}
	if d == nil {
		t.Fatal("no webhook Deployment")
	}
	args := d.Spec.Template.Spec.Containers[0].Args
	for _, a := range []string{"webhook", "serve", "--mode=warn", "--fail-on=high", "--exempt-namespace=kube-system,kubeharden,legacy,team-*"} {
		if !slices.Contains(args, a) {
			t.Errorf("webhook args %v lack %s", args, a)
		}
	}
	if v := d.Spec.Template.Spec.Volumes; len(v) != 1 || v[0].Secret == nil || v[0].Secret.SecretName != "kubeharden-webhook-tls" {
		t.Errorf("webhook volumes %+v: want the TLS Secret", v)
	}

	var role *rbacv1.ClusterRole
	for _, o := range inv.ByKind("ClusterRole") {
		if o.Name == "release-webhook-reader" {
			role = o.Obj.(*rbacv1.ClusterRole)
		}
	}
	if role == nil {
		t.Fatal("no ClusterRole for the webhook's cache")
	}
	granted := livetest.Granted(role.Rules)
	for _, k := range admission.CachedKinds {
		name := ""
		for _, r := range live.Resources() {
			if r.Kind == k {
				name = r.Name()
			}
		}
		if !granted[name] {
			t.Errorf("the webhook's ClusterRole does not grant %s (kind %s), which it caches", name, k)
		}
		delete(granted, name)
	}
	for name := range granted {
		t.Errorf("the webhook's ClusterRole grants %s, which it does not cache", name)
	}
	for _, r := range role.Rules {
		if !slices.Equal(r.Verbs, []string{"get", "list", "watch"}) {
			t.Errorf("webhook rule %v grants %v", r.Resources, r.Verbs)
		}
	}

	off := render(t)
	for _, k := range []string{"ValidatingWebhookConfiguration", "Certificate", "Issuer"} {
		if n := len(off.ByKind(k)); n != 0 {
			t.Errorf("webhook off: %d %s rendered", n, k)
		}
	}
	for _, o := range off.All() {
		if strings.Contains(o.Name, "webhook") {
			t.Errorf("webhook off: %s rendered", o.Ref)
		}
	}
}

// TestChartWebhookCertManager: with cert-manager the chart asks for the certificate (a
// self-signed Issuer unless one is named) and lets cert-manager's CA injector fill the
// caBundle, so none is rendered.
func TestChartWebhookCertManager(t *testing.T) {
	inv := render(t, "webhook.enabled=true", "webhook.tls.certManager.enabled=true")
	vwc := webhookConfig(t, inv)
	if a := vwc.Annotations["cert-manager.io/inject-ca-from"]; a != "kubeharden/release-webhook" {
		t.Errorf("inject-ca-from = %q", a)
	}
	if len(vwc.Webhooks) != 1 || len(vwc.Webhooks[0].ClientConfig.CABundle) != 0 {
		t.Error("a caBundle is rendered though cert-manager injects it")
	}
	if len(inv.ByKind("Certificate")) != 1 || len(inv.ByKind("Issuer")) != 1 {
		t.Errorf("%d Certificates, %d Issuers; want one each", len(inv.ByKind("Certificate")), len(inv.ByKind("Issuer")))
	}
	named := render(t, "webhook.enabled=true", "webhook.tls.certManager.enabled=true",
		"webhook.tls.certManager.issuerRef.name=corp-ca", "webhook.tls.certManager.issuerRef.kind=ClusterIssuer")
	if n := len(named.ByKind("Issuer")); n != 0 {
		t.Errorf("%d Issuers rendered though issuerRef names one", n)
	}
}

// TestChartWebhookAcceptedByAPIServer creates the chart's webhook objects, rendered into a
// namespace of the test cluster, with a server-side dry run: the real API server validates
// the ValidatingWebhookConfiguration (rules, selector, the CEL of its match condition) and
// the Deployment, Service, PodDisruptionBudget, NetworkPolicy and RBAC as written.
func TestChartWebhookAcceptedByAPIServer(t *testing.T) {
	c := testcluster.Need(t, tc)
	ns := c.Namespace(t, "kh-chart", nil)
	objs, errs := load.Files([]string{chart}, load.Options{HelmNamespace: ns, HelmSet: []string{
		"webhook.enabled=true", "webhook.tls.secretName=tls", "webhook.tls.caBundle=" + base64.StdEncoding.EncodeToString([]byte("CA")),
		"config.resources.requireCPULimit=true"}})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	dyn := dynamic.NewForConfigOrDie(c.Admin)
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(discovery.NewDiscoveryClientForConfigOrDie(c.Admin)))
	n := 0
	for _, o := range objs {
		if !strings.Contains(o.Name, "webhook") && o.Kind != "ConfigMap" {
			continue
		}
		u, err := testcluster.ToUnstructured(o.Obj)
		if err != nil {
			t.Fatal(err)
		}
		gvk := u[0].GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			t.Errorf("%s: %v", o.Ref, err)
			continue
		}
		var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			ri = dyn.Resource(m.Resource).Namespace(ns)
		}
		if _, err := ri.Create(context.Background(), u[0], metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
			t.Errorf("%s: the API server refuses it: %v", o.Ref, err)
		}
		n++
	}
	if n < 9 {
		t.Errorf("%d webhook objects created, want the ServiceAccount, ClusterRole, binding, Deployment, Service, PDB, NetworkPolicy, ConfigMap and configuration", n)
	}
}
