package admission

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/config"
)

// VAPOptions tune ExportVAP.
type VAPOptions struct {
	// Actions are the bindings' validationActions (Deny, Warn, Audit); empty means Deny.
	Actions []admissionregistrationv1.ValidationAction
	// Config gives the checks' parameters and namespace exemptions.
	Config *config.Config
	// ParamsNamespace is where the parameters' ConfigMap lives (ParamsName); empty means
	// DefaultParamsNamespace.
	ParamsNamespace string
}

// ParamsName is the ConfigMap that holds the parameters of the exported policies.
const ParamsName = "kubeharden-params"

// DefaultParamsNamespace is where the parameters' ConfigMap goes by default: a namespace
// every cluster has and only administrators write to.
const DefaultParamsNamespace = "kube-system"

// VAPParams is the ConfigMap of the parameters of checks' policies, the configuration's
// values of every check with Params; nil when none has.
func VAPParams(checks []*check.Check, opts VAPOptions) *corev1.ConfigMap {
	cfg := opts.Config
	if cfg == nil {
		cfg = &config.Config{}
	}
	data := map[string]string{}
	for _, c := range checks {
		if c.CEL == nil || c.CEL.Params == nil {
			continue
		}
		for k, v := range c.CEL.Params(cfg) {
			data[k] = v
		}
	}
	if len(data) == 0 {
		return nil
	}
	return &corev1.ConfigMap{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Name: ParamsName, Namespace: paramsNamespace(opts),
			Labels: map[string]string{"app.kubernetes.io/managed-by": "kubeharden"}},
		Data: data,
	}
}

func paramsNamespace(opts VAPOptions) string {
	if opts.ParamsNamespace != "" {
		return opts.ParamsNamespace
	}
	return DefaultParamsNamespace
}

// Skipped is a check ExportVAP could not export, with the reason.
type Skipped struct {
	Check  string
	Reason string
}

// Policy is one check's exported policy and its binding.
type Policy struct {
	Check   string
	Policy  *admissionregistrationv1.ValidatingAdmissionPolicy
	Binding *admissionregistrationv1.ValidatingAdmissionPolicyBinding
}

// podSpec selects the pod spec of every workload kind; containers lists the pod's init,
// regular and ephemeral containers. Checks on Workloads read both through variables.
const (
	podSpecExpr = "object.kind == 'Pod' ? object.spec : " +
		"object.kind == 'CronJob' ? object.spec.jobTemplate.spec.template.spec : " +
		"object.kind == 'PodTemplate' ? object.template.spec : object.spec.template.spec"
	containersExpr = "(has(variables.spec.initContainers) ? variables.spec.initContainers : []) + " +
		"(has(variables.spec.containers) ? variables.spec.containers : []) + " +
		"(has(variables.spec.ephemeralContainers) ? variables.spec.ephemeralContainers : [])"
)

// PolicyName is the name of the policy and binding exported for a check ID.
func PolicyName(id string) string {
	return "kubeharden-" + nameRE.ReplaceAllString(strings.ToLower(id), "-")
}

var nameRE = regexp.MustCompile(`[^a-z0-9-]+`)

// ExportVAP turns every check of checks that carries a CEL form into a
// ValidatingAdmissionPolicy and its binding. The others are returned as skipped, with why.
func ExportVAP(checks []*check.Check, opts VAPOptions) ([]Policy, []Skipped) {
	cfg := opts.Config
	if cfg == nil {
		cfg = &config.Config{}
	}
	actions := opts.Actions
	if len(actions) == 0 {
		actions = []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}
	}
	var out []Policy
	var skipped []Skipped
	for _, c := range checks {
		if c.CEL == nil {
			skipped = append(skipped, Skipped{c.ID, notCELReason(c)})
			continue
		}
		p, err := exportOne(c, cfg, actions, paramsNamespace(opts))
		if err != nil {
			skipped = append(skipped, Skipped{c.ID, err.Error()})
			continue
		}
		out = append(out, p)
	}
	return out, skipped
}

func notCELReason(c *check.Check) string {
	switch {
	case c.Scope == check.ScopeNamespace:
		return "reads objects of the namespace besides the object (not expressible in a policy)"
	case c.Scope == check.ScopeCluster:
		return "reads other objects of the cluster (enforce it with the webhook)"
	case len(c.Kinds) > 0 && !slices.ContainsFunc(c.Kinds, func(k string) bool { _, ok := resources[k]; return ok || k == check.Workloads }):
		return "judges no object the API server admits (files, images or cluster facts)"
	}
	return "has no CEL form (enforce it with the webhook)"
}

func exportOne(c *check.Check, cfg *config.Config, actions []admissionregistrationv1.ValidationAction, paramsNS string) (Policy, error) {
	kinds, unknown := expandKinds(c.CEL.Kinds)
	if len(kinds) == 0 {
		return Policy{}, fmt.Errorf("its kinds %s are not built-in kinds", strings.Join(unknown, ", "))
	}
	name := PolicyName(c.ID)
	var rules []admissionregistrationv1.NamedRuleWithOperations
	for _, g := range groupRules(kinds) {
		rules = append(rules, admissionregistrationv1.NamedRuleWithOperations{
			RuleWithOperations: admissionregistrationv1.RuleWithOperations{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
				Rule: admissionregistrationv1.Rule{
					APIGroups: []string{g.group}, APIVersions: []string{g.version}, Resources: g.resources,
				},
			},
		})
	}
	fail := admissionregistrationv1.Fail
	equiv := admissionregistrationv1.Equivalent
	spec := admissionregistrationv1.ValidatingAdmissionPolicySpec{
		FailurePolicy: &fail,
		MatchConstraints: &admissionregistrationv1.MatchResources{
			ResourceRules: rules,
			MatchPolicy:   &equiv,
		},
	}
	if slices.Contains(c.CEL.Kinds, check.Workloads) {
		spec.Variables = []admissionregistrationv1.Variable{
			{Name: "spec", Expression: podSpecExpr},
			{Name: "containers", Expression: containersExpr},
		}
	}
	for _, v := range c.CEL.Validations {
		spec.Validations = append(spec.Validations, admissionregistrationv1.Validation{
			Expression:        v.Expression,
			Message:           c.ID + ": " + c.Title,
			MessageExpression: v.MessageExpression,
			Reason:            ptr(metav1.StatusReasonForbidden),
		})
	}
	binding := admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
		PolicyName:        name,
		ValidationActions: actions,
	}
	if c.CEL.Params != nil {
		spec.ParamKind = &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"}
		// Without its parameters the policy cannot judge: refuse rather than admit all.
		deny := admissionregistrationv1.DenyAction
		binding.ParamRef = &admissionregistrationv1.ParamRef{Name: ParamsName, Namespace: paramsNS, ParameterNotFoundAction: &deny}
	}
	if c.CEL.NamespaceExempt != nil {
		var names []string
		for _, ns := range c.CEL.NamespaceExempt(cfg) {
			if strings.ContainsAny(ns, "*?[") {
				return Policy{}, fmt.Errorf("exempt namespace pattern %q cannot be a label selector", ns)
			}
			names = append(names, ns)
		}
		if len(names) > 0 {
			binding.MatchResources = &admissionregistrationv1.MatchResources{
				NamespaceSelector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
					Key: "kubernetes.io/metadata.name", Operator: metav1.LabelSelectorOpNotIn, Values: names,
				}}},
			}
		}
	}
	meta := metav1.ObjectMeta{Name: name, Labels: map[string]string{"app.kubernetes.io/managed-by": "kubeharden"},
		Annotations: map[string]string{"kubeharden.io/check": c.ID, "kubeharden.io/severity": c.Severity.String()}}
	return Policy{
		Check: c.ID,
		Policy: &admissionregistrationv1.ValidatingAdmissionPolicy{
			TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicy"},
			ObjectMeta: meta,
			Spec:       spec,
		},
		Binding: &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
			TypeMeta:   metav1.TypeMeta{APIVersion: "admissionregistration.k8s.io/v1", Kind: "ValidatingAdmissionPolicyBinding"},
			ObjectMeta: *meta.DeepCopy(),
			Spec:       binding,
		},
	}, nil
}

func ptr[T any](v T) *T { return &v }
