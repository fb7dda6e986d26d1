package secrets

import (
	"fmt"
	"strings"

	"github.com/kubeharden/kubeharden/internal/apiserverflags"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
	rbacchecks "github.com/kubeharden/kubeharden/checks/rbac"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/rbac"
)

// LegacyTokenSecret reports Secrets of type kubernetes.io/service-account-token.
var LegacyTokenSecret = &check.Check{
	ID:    "secrets/legacy-token-secret",
	Title: "Long-lived service account token Secret",
	Doc: "A Secret of type kubernetes.io/service-account-token holds a token that never expires " +
		"and is not bound to a pod: anyone who reads it once acts as the service account until " +
		"the Secret is deleted. Since 1.24 pods get short-lived, audience-bound tokens through " +
		"the TokenRequest API (projected volumes), and kubectl create token issues them for " +
		"people and CI. Delete the Secret and use TokenRequest; if a system outside the " +
		"cluster truly needs a long-lived token, keep the Secret's readers to a minimum.",
	Severity:    check.Medium,
	References:  []string{refSecretsDocs, refTokens, refCredsAPI},
	Remediation: "Delete the Secret and get tokens from the TokenRequest API (projected service account tokens, kubectl create token).",
	Kinds:       []string{"Secret"},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		for _, o := range p.Inv.ByKind("Secret") {
			s, ok := o.Obj.(*corev1.Secret)
			if !ok || s.Type != corev1.SecretTypeServiceAccountToken {
				continue
			}
			sa := s.Annotations[corev1.ServiceAccountNameKey]
			if sa == "" {
				sa = "(none named)"
			}
			p.Reportf(o, "type", "Secret %s holds a long-lived token of ServiceAccount %s that never expires", o.Name, sa)
		}
	},
}

// UnusedTokenAutomount reports pods that mount a token their service account has no use
// for.
var UnusedTokenAutomount = &check.Check{
	ID:    "secrets/unused-token-automount",
	Title: "Pods mount a service account token they do not use",
	Doc: "Unless automountServiceAccountToken is false (on the pod or its service account), every " +
		"container gets a token for the pod's service account. When no binding grants that " +
		"account (or every account of its namespace) anything — only what every account has, " +
		"such as discovery — the " +
		"application does not use the Kubernetes API, and the token only serves whoever " +
		"breaks into the pod: to probe the API, and to use any permission granted later. The " +
		"check asks the RBAC engine; pods whose account has grants are left to " +
		"rbac/automount-token and rbac/workload-risky-serviceaccount. Static pods get no " +
		"token and are skipped, and so are pods whose Vault agent logs in to Vault with the token.",
	Severity:    check.Low,
	Fixable:     true,
	References:  []string{refCISTokens, refNSA, refCredsAPI},
	Remediation: "Set automountServiceAccountToken: false on the pod template or on its ServiceAccount.",
	Kinds:       []string{check.Workloads},
	Reads:       []string{"ServiceAccount"},
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.RBAC},
	Partition:   rbacchecks.ByServiceAccount,
	Run: func(p *check.Pass) {
		e := rbacchecks.Engine(p)
		type saKey struct{ ns, name string }
		memo := map[saKey]bool{}
		for _, t := range p.PodTemplates() {
			if staticPod(t) || vaultAgent(t) || !rbac.Automounts(t, p.Inv) {
				continue
			}
			k := saKey{t.Namespace(), t.ServiceAccount()}
			uses, ok := memo[k]
			if !ok {
				uses = usesAPI(e, k.ns, k.name)
				memo[k] = uses
			}
			if uses {
				continue
			}
			path := t.Path + ".automountServiceAccountToken"
			p.Report(check.Diagnostic{Object: t.Owner, Path: path,
				Message: fmt.Sprintf("%s %s mounts the token of ServiceAccount %s/%s, which no binding grants anything of its own (only what every account has): set automountServiceAccountToken: false",
					t.Owner.Kind, t.Owner.Name, k.ns, k.name),
				Fixes: []check.SuggestedFix{{Message: "stop mounting the unused token",
					Edits: []check.Edit{check.SetAt(t.Owner, path, false)}}}})
		}
	},
}

// usesAPI reports whether a binding grants the service account itself, or every account
// of its namespace (system:serviceaccounts:NS), anything. Grants to everyone
// (system:authenticated, system:serviceaccounts) are not a sign that this pod calls the API:
// every account has them.
func usesAPI(e *rbac.Engine, ns, name string) bool {
	s := rbac.Subject{Kind: rbac.ServiceAccountKind, Namespace: ns, Name: name}
	// Only the account and its namespace's group count: the grants of the other groups
	// (every account, every caller) name those groups.
	user, group := rbac.ServiceAccountUser(ns, name), rbac.ServiceAccountGroupPrefix+ns
	for _, grants := range e.PermissionsOf(user, []string{group}) {
		for _, g := range grants {
			if g.Subject == s || (g.Subject.Kind == rbac.GroupKind && g.Subject.Name == rbac.ServiceAccountGroupPrefix+ns) {
				return true
			}
		}
	}
	return false
}

// vaultAgent reports pods whose injected Vault agent logs in to Vault with the service
// account token (Vault's Kubernetes auth): the token is used, though not against the API.
func vaultAgent(t inventory.PodTemplate) bool {
	return strings.EqualFold(t.Meta.Annotations["vault.hashicorp.com/agent-inject"], "true")
}

// staticPod reports a Pod the kubelet runs from a file (or its mirror in the API), which
// gets no service account token: control-plane components and other static pods.
func staticPod(t inventory.PodTemplate) bool {
	pod, ok := t.Owner.Obj.(*corev1.Pod)
	if !ok {
		return false
	}
	if _, mirror := pod.Annotations[corev1.MirrorPodAnnotationKey]; mirror {
		return true
	}
	for _, r := range pod.OwnerReferences {
		if r.Kind == "Node" {
			return true
		}
	}
	return pod.Labels["tier"] == "control-plane" || apiserverflags.Container(&pod.Spec) >= 0
}
