package admission

import (
	"fmt"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeharden/kubeharden/check"
)

// WebhookName is the name of the webhook in its configuration (and the prefix of its audit
// annotations).
const WebhookName = "validate.kubeharden.io"

// ManifestOptions describe where the webhook runs and how the API server calls it.
type ManifestOptions struct {
	// Either URL, or Service as namespace, name and port.
	URL                           string
	ServiceNamespace, ServiceName string
	ServicePort                   int32
	CABundle                      []byte
	FailurePolicy                 admissionregistrationv1.FailurePolicyType
	TimeoutSeconds                int32
	// Exempt are namespaces the API server does not send (globs are left to the webhook).
	Exempt []string
	// ServiceAccount ("namespace/name") is the webhook's own, whose requests are skipped so
	// that the webhook never waits on itself.
	ServiceAccount string
	// Checks decide the kinds the webhook is called for; nil means every registered check.
	Checks []*check.Check
}

// WebhookConfiguration returns the ValidatingWebhookConfiguration that sends the API server's
// requests for every kind a check reports on to the webhook.
func WebhookConfiguration(o ManifestOptions) (*admissionregistrationv1.ValidatingWebhookConfiguration, error) {
	if (o.URL == "") == (o.ServiceName == "") {
		return nil, fmt.Errorf("give either a URL or a service")
	}
	if o.Checks == nil {
		o.Checks = check.All()
	}
	if o.FailurePolicy == "" {
		o.FailurePolicy = admissionregistrationv1.Fail
	}
	if o.TimeoutSeconds == 0 {
		o.TimeoutSeconds = 5
	}
	kinds, _ := expandKinds(kindsOf(o.Checks))
	var rules []admissionregistrationv1.RuleWithOperations
	scope := admissionregistrationv1.AllScopes
	for _, g := range groupRules(kinds) {
		rules = append(rules, admissionregistrationv1.RuleWithOperations{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
			Rule: admissionregistrationv1.Rule{APIGroups: []string{g.group}, APIVersions: []string{g.version},
				Resources: g.resources, Scope: &scope},
		})
	}
	cc := admissionregistrationv1.WebhookClientConfig{CABundle: o.CABundle}
	if o.URL != "" {
		u := strings.TrimSuffix(o.URL, "/")
		if !strings.HasSuffix(u, "/validate") {
			u += "/validate"
		}
		cc.URL = &u
	} else {
		cc.Service = &admissionregistrationv1.ServiceReference{
			Namespace: o.ServiceNamespace, Name: o.ServiceName, Path: ptr("/validate"), Port: &o.ServicePort,
		}
	}
	none := admissionregistrationv1.SideEffectClassNone
	equiv := admissionregistrationv1.Equivalent
	wh := admissionregistrationv1.ValidatingWebhook{
		Name:                    WebhookName,
		ClientConfig:            cc,
		Rules:                   rules,
		FailurePolicy:           &o.FailurePolicy,
		MatchPolicy:             &equiv,
		SideEffects:             &none,
		TimeoutSeconds:          &o.TimeoutSeconds,
		AdmissionReviewVersions: []string{"v1"},
	}
	var names []string
	for _, ns := range o.Exempt {
		if !strings.ContainsAny(ns, "*?[") {
			names = append(names, ns)
		}
	}
	if len(names) > 0 {
		wh.NamespaceSelector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
			Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: names,
		}}}
	}
	if o.ServiceAccount != "" {
		ns, name, ok := strings.Cut(o.ServiceAccount, "/")
		if !ok || ns == "" || name == "" {
			return nil, fmt.Errorf("service account %q is not NAMESPACE/NAME", o.ServiceAccount)
		}
		wh.MatchConditions = []admissionregistrationv1.MatchCondition{{
			Name:       "not-the-webhook-itself",
			Expression: fmt.Sprintf("request.userInfo.username != 'system:serviceaccount:%s:%s'", ns, name),
		}}
	}
	return &admissionregistrationv1.ValidatingWebhookConfiguration{
		TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingWebhookConfiguration"},
		ObjectMeta: metav1.ObjectMeta{Name: "kubeharden", Labels: map[string]string{"app.kubernetes.io/managed-by": "kubeharden"}},
		Webhooks:   []admissionregistrationv1.ValidatingWebhook{wh},
	}, nil
}

// kindsOf is every kind the webhook can judge with one of checks.
func kindsOf(checks []*check.Check) []string {
	var out []string
	for _, c := range checks {
		out = append(out, EnforceableKinds(c)...)
	}
	return out
}
