package load

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubeharden/kubeharden/check"
)

// ClusterResource is one resource the cluster loader lists.
type ClusterResource struct {
	Group, Version, Resource, Kind string
	// Namespaced is the built-in scope; custom resources take theirs from discovery.
	Namespaced bool
	// Custom resources are listed only when discovery shows them, in the server's preferred
	// version, and stay unstructured. Built-in kinds are decoded to k8s.io/api types.
	Custom bool
	// Practices are the practices whose checks read this resource: when it cannot be listed,
	// they are reported incomplete.
	Practices []string
}

// Name is the resource as kubectl writes it: "pods", "deployments.apps".
func (r ClusterResource) Name() string {
	if r.Group == "" {
		return r.Resource
	}
	return r.Resource + "." + r.Group
}

// GroupVersionResource is r in its version.
func (r ClusterResource) GroupVersionResource() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: r.Group, Version: r.Version, Resource: r.Resource}
}

// Practices, for the table below.
var (
	workloadPractices = []string{"network", "podsecurity", "secrets", "rbac", "ingress", "images", "resources"}
	nsPractices       = []string{"network", "podsecurity", "secrets", "rbac", "ingress", "resources"}
	rbacPractices     = []string{"rbac", "secrets"}
)

// clusterResources is every kind a check reads, in the order the inventory lists them. Keep it
// in step with deploy/rbac.yaml (a test compares them).
var clusterResources = []ClusterResource{
	{Version: "v1", Resource: "namespaces", Kind: "Namespace", Practices: nsPractices},
	{Version: "v1", Resource: "nodes", Kind: "Node", Practices: []string{"versions"}},
	{Version: "v1", Resource: "pods", Kind: "Pod", Namespaced: true, Practices: workloadPractices},
	{Version: "v1", Resource: "replicationcontrollers", Kind: "ReplicationController", Namespaced: true, Practices: workloadPractices},
	{Version: "v1", Resource: "podtemplates", Kind: "PodTemplate", Namespaced: true, Practices: workloadPractices},
	{Version: "v1", Resource: "services", Kind: "Service", Namespaced: true, Practices: []string{"network", "ingress"}},
	{Version: "v1", Resource: "serviceaccounts", Kind: "ServiceAccount", Namespaced: true, Practices: rbacPractices},
	{Version: "v1", Resource: "secrets", Kind: "Secret", Namespaced: true, Practices: []string{"secrets", "ingress"}},
	{Version: "v1", Resource: "configmaps", Kind: "ConfigMap", Namespaced: true, Practices: []string{"secrets", "network"}},
	{Version: "v1", Resource: "limitranges", Kind: "LimitRange", Namespaced: true, Practices: []string{"resources"}},
	{Version: "v1", Resource: "resourcequotas", Kind: "ResourceQuota", Namespaced: true, Practices: []string{"resources"}},
	{Group: "apps", Version: "v1", Resource: "deployments", Kind: "Deployment", Namespaced: true, Practices: workloadPractices},
	{Group: "apps", Version: "v1", Resource: "statefulsets", Kind: "StatefulSet", Namespaced: true, Practices: workloadPractices},
	{Group: "apps", Version: "v1", Resource: "daemonsets", Kind: "DaemonSet", Namespaced: true, Practices: workloadPractices},
	{Group: "apps", Version: "v1", Resource: "replicasets", Kind: "ReplicaSet", Namespaced: true, Practices: workloadPractices},
	{Group: "batch", Version: "v1", Resource: "jobs", Kind: "Job", Namespaced: true, Practices: workloadPractices},
	{Group: "batch", Version: "v1", Resource: "cronjobs", Kind: "CronJob", Namespaced: true, Practices: workloadPractices},
	{Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies", Kind: "NetworkPolicy", Namespaced: true, Practices: []string{"network"}},
	{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses", Kind: "Ingress", Namespaced: true, Practices: []string{"ingress", "network"}},
	{Group: "networking.k8s.io", Version: "v1", Resource: "ingressclasses", Kind: "IngressClass", Practices: []string{"ingress"}},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles", Kind: "Role", Namespaced: true, Practices: rbacPractices},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings", Kind: "RoleBinding", Namespaced: true, Practices: rbacPractices},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles", Kind: "ClusterRole", Practices: rbacPractices},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings", Kind: "ClusterRoleBinding", Practices: rbacPractices},
	{Group: "autoscaling", Version: "v2", Resource: "horizontalpodautoscalers", Kind: "HorizontalPodAutoscaler", Namespaced: true, Practices: []string{"resources"}},
	{Group: "policy", Version: "v1", Resource: "poddisruptionbudgets", Kind: "PodDisruptionBudget", Namespaced: true, Practices: []string{"resources"}},
	{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingwebhookconfigurations", Kind: "ValidatingWebhookConfiguration", Practices: []string{"podsecurity", "rbac"}},
	{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "mutatingwebhookconfigurations", Kind: "MutatingWebhookConfiguration", Practices: []string{"podsecurity", "rbac"}},
	{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingadmissionpolicies", Kind: "ValidatingAdmissionPolicy", Practices: []string{"podsecurity"}},
	{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingadmissionpolicybindings", Kind: "ValidatingAdmissionPolicyBinding", Practices: []string{"podsecurity"}},

	// Custom resources the checks understand, when their CRDs are installed.
	{Group: "argoproj.io", Resource: "rollouts", Kind: "Rollout", Custom: true, Practices: workloadPractices},
	{Group: "gateway.networking.k8s.io", Resource: "gatewayclasses", Kind: "GatewayClass", Custom: true, Practices: []string{"ingress"}},
	{Group: "gateway.networking.k8s.io", Resource: "gateways", Kind: "Gateway", Custom: true, Practices: []string{"ingress"}},
	{Group: "gateway.networking.k8s.io", Resource: "httproutes", Kind: "HTTPRoute", Custom: true, Practices: []string{"ingress"}},
	{Group: "gateway.networking.k8s.io", Resource: "grpcroutes", Kind: "GRPCRoute", Custom: true, Practices: []string{"ingress"}},
	{Group: "gateway.networking.k8s.io", Resource: "tlsroutes", Kind: "TLSRoute", Custom: true, Practices: []string{"ingress"}},
	{Group: "gateway.networking.k8s.io", Resource: "referencegrants", Kind: "ReferenceGrant", Custom: true, Practices: []string{"ingress"}},
	{Group: "security.istio.io", Resource: "peerauthentications", Kind: "PeerAuthentication", Custom: true, Practices: []string{"ingress"}},
	{Group: "security.istio.io", Resource: "authorizationpolicies", Kind: "AuthorizationPolicy", Custom: true, Practices: []string{"network"}},
	{Group: "cilium.io", Resource: "ciliumnetworkpolicies", Kind: "CiliumNetworkPolicy", Custom: true, Practices: []string{"network"}},
	{Group: "cilium.io", Resource: "ciliumclusterwidenetworkpolicies", Kind: "CiliumClusterwideNetworkPolicy", Custom: true, Practices: []string{"network"}},
	{Group: "external-secrets.io", Resource: "externalsecrets", Kind: "ExternalSecret", Custom: true, Practices: []string{"secrets"}},
	{Group: "external-secrets.io", Resource: "clusterexternalsecrets", Kind: "ClusterExternalSecret", Custom: true, Practices: []string{"secrets"}},
	{Group: "external-secrets.io", Resource: "secretstores", Kind: "SecretStore", Custom: true, Practices: []string{"secrets"}},
	{Group: "external-secrets.io", Resource: "clustersecretstores", Kind: "ClusterSecretStore", Custom: true, Practices: []string{"secrets"}},
	{Group: "secrets-store.csi.x-k8s.io", Resource: "secretproviderclasses", Kind: "SecretProviderClass", Custom: true, Practices: []string{"secrets"}},
	{Group: "spv.no", Resource: "azurekeyvaultsecrets", Kind: "AzureKeyVaultSecret", Custom: true, Practices: []string{"secrets"}},
	{Group: "cert-manager.io", Resource: "certificates", Kind: "Certificate", Custom: true, Practices: []string{"ingress"}},
	{Group: "cert-manager.io", Resource: "issuers", Kind: "Issuer", Custom: true, Practices: []string{"ingress"}},
	{Group: "cert-manager.io", Resource: "clusterissuers", Kind: "ClusterIssuer", Custom: true, Practices: []string{"ingress"}},
	{Group: "traefik.io", Resource: "ingressroutes", Kind: "IngressRoute", Custom: true, Practices: []string{"ingress"}},
	{Group: "traefik.io", Resource: "middlewares", Kind: "Middleware", Custom: true, Practices: []string{"ingress"}},
}

// ClusterResources lists every resource the cluster loader reads, for documentation and for
// the test that keeps deploy/rbac.yaml complete.
func ClusterResources() []ClusterResource {
	return append([]ClusterResource(nil), clusterResources...)
}

// practicesOf orders the practices of the failed resources as check.Practices does.
func practicesOf(failed map[string]bool) []string {
	var out []string
	for _, p := range check.Practices {
		if failed[p] {
			out = append(out, p)
		}
	}
	return out
}
