package live

import (
	"slices"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubeharden/kubeharden/check"
)

// Resource is one resource the cluster loader lists.
type Resource struct {
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
func (r Resource) Name() string {
	if r.Group == "" {
		return r.Resource
	}
	return r.Resource + "." + r.Group
}

// GroupVersionResource is r in its version.
func (r Resource) GroupVersionResource() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: r.Group, Version: r.Version, Resource: r.Resource}
}

// catalog names the resource of each kind the cluster loader knows how to read, in the order
// the inventory lists them. The loader reads those the registered checks need
// (Resources); a test fails when a check needs a kind missing here.
var catalog = []Resource{
	{Version: "v1", Resource: "namespaces", Kind: "Namespace"},
	{Version: "v1", Resource: "nodes", Kind: "Node"},
	{Version: "v1", Resource: "pods", Kind: "Pod", Namespaced: true},
	{Version: "v1", Resource: "replicationcontrollers", Kind: "ReplicationController", Namespaced: true},
	{Version: "v1", Resource: "podtemplates", Kind: "PodTemplate", Namespaced: true},
	{Version: "v1", Resource: "services", Kind: "Service", Namespaced: true},
	{Version: "v1", Resource: "serviceaccounts", Kind: "ServiceAccount", Namespaced: true},
	{Version: "v1", Resource: "secrets", Kind: "Secret", Namespaced: true},
	{Version: "v1", Resource: "configmaps", Kind: "ConfigMap", Namespaced: true},
	{Version: "v1", Resource: "limitranges", Kind: "LimitRange", Namespaced: true},
	{Version: "v1", Resource: "resourcequotas", Kind: "ResourceQuota", Namespaced: true},
	{Group: "apps", Version: "v1", Resource: "deployments", Kind: "Deployment", Namespaced: true},
	{Group: "apps", Version: "v1", Resource: "statefulsets", Kind: "StatefulSet", Namespaced: true},
	{Group: "apps", Version: "v1", Resource: "daemonsets", Kind: "DaemonSet", Namespaced: true},
	{Group: "apps", Version: "v1", Resource: "replicasets", Kind: "ReplicaSet", Namespaced: true},
	{Group: "batch", Version: "v1", Resource: "jobs", Kind: "Job", Namespaced: true},
	{Group: "batch", Version: "v1", Resource: "cronjobs", Kind: "CronJob", Namespaced: true},
	{Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies", Kind: "NetworkPolicy", Namespaced: true},
	{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses", Kind: "Ingress", Namespaced: true},
	{Group: "networking.k8s.io", Version: "v1", Resource: "ingressclasses", Kind: "IngressClass"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles", Kind: "Role", Namespaced: true},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings", Kind: "RoleBinding", Namespaced: true},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles", Kind: "ClusterRole"},
	{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings", Kind: "ClusterRoleBinding"},
	{Group: "autoscaling", Version: "v2", Resource: "horizontalpodautoscalers", Kind: "HorizontalPodAutoscaler", Namespaced: true},
	{Group: "policy", Version: "v1", Resource: "poddisruptionbudgets", Kind: "PodDisruptionBudget", Namespaced: true},
	{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingwebhookconfigurations", Kind: "ValidatingWebhookConfiguration"},
	{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "mutatingwebhookconfigurations", Kind: "MutatingWebhookConfiguration"},
	{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingadmissionpolicies", Kind: "ValidatingAdmissionPolicy"},
	{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingadmissionpolicybindings", Kind: "ValidatingAdmissionPolicyBinding"},

	// Custom resources the checks understand, when their CRDs are installed.
	{Group: "argoproj.io", Resource: "rollouts", Kind: "Rollout", Custom: true},
	{Group: "gateway.networking.k8s.io", Resource: "gatewayclasses", Kind: "GatewayClass", Custom: true},
	{Group: "gateway.networking.k8s.io", Resource: "gateways", Kind: "Gateway", Custom: true},
	{Group: "gateway.networking.k8s.io", Resource: "httproutes", Kind: "HTTPRoute", Custom: true},
	{Group: "gateway.networking.k8s.io", Resource: "grpcroutes", Kind: "GRPCRoute", Custom: true},
	{Group: "gateway.networking.k8s.io", Resource: "tlsroutes", Kind: "TLSRoute", Custom: true},
	{Group: "gateway.networking.k8s.io", Resource: "referencegrants", Kind: "ReferenceGrant", Custom: true},
	{Group: "security.istio.io", Resource: "peerauthentications", Kind: "PeerAuthentication", Custom: true},
	{Group: "security.istio.io", Resource: "authorizationpolicies", Kind: "AuthorizationPolicy", Custom: true},
	{Group: "cilium.io", Resource: "ciliumnetworkpolicies", Kind: "CiliumNetworkPolicy", Custom: true},
	{Group: "cilium.io", Resource: "ciliumclusterwidenetworkpolicies", Kind: "CiliumClusterwideNetworkPolicy", Custom: true},
	{Group: "external-secrets.io", Resource: "externalsecrets", Kind: "ExternalSecret", Custom: true},
	{Group: "external-secrets.io", Resource: "clusterexternalsecrets", Kind: "ClusterExternalSecret", Custom: true},
	{Group: "external-secrets.io", Resource: "secretstores", Kind: "SecretStore", Custom: true},
	{Group: "external-secrets.io", Resource: "clustersecretstores", Kind: "ClusterSecretStore", Custom: true},
	{Group: "secrets-store.csi.x-k8s.io", Resource: "secretproviderclasses", Kind: "SecretProviderClass", Custom: true},
	{Group: "spv.no", Resource: "azurekeyvaultsecrets", Kind: "AzureKeyVaultSecret", Custom: true},
	{Group: "cert-manager.io", Resource: "certificates", Kind: "Certificate", Custom: true},
	{Group: "cert-manager.io", Resource: "issuers", Kind: "Issuer", Custom: true},
	{Group: "cert-manager.io", Resource: "clusterissuers", Kind: "ClusterIssuer", Custom: true},
	{Group: "traefik.io", Resource: "ingressroutes", Kind: "IngressRoute", Custom: true},
	{Group: "traefik.io", Resource: "middlewares", Kind: "Middleware", Custom: true},
	{Group: "gateway.networking.k8s.io", Resource: "tcproutes", Kind: "TCPRoute", Custom: true},
	{Group: "gateway.networking.k8s.io", Resource: "udproutes", Kind: "UDPRoute", Custom: true},
	{Group: "crd.projectcalico.org", Resource: "felixconfigurations", Kind: "FelixConfiguration", Custom: true},
	{Group: "external-secrets.io", Resource: "pushsecrets", Kind: "PushSecret", Custom: true},
	{Group: "secrets.hashicorp.com", Resource: "vaultstaticsecrets", Kind: "VaultStaticSecret", Custom: true},
	{Group: "secrets.hashicorp.com", Resource: "vaultdynamicsecrets", Kind: "VaultDynamicSecret", Custom: true},
	{Group: "secrets.hashicorp.com", Resource: "vaultpkisecrets", Kind: "VaultPKISecret", Custom: true},
	{Group: "policy.networking.k8s.io", Resource: "adminnetworkpolicies", Kind: "AdminNetworkPolicy", Custom: true},
	{Group: "policy.networking.k8s.io", Resource: "baselineadminnetworkpolicies", Kind: "BaselineAdminNetworkPolicy", Custom: true},
	{Group: "policy.networking.k8s.io", Resource: "clusternetworkpolicies", Kind: "ClusterNetworkPolicy", Custom: true},
	{Group: "crd.antrea.io", Resource: "clusternetworkpolicies", Kind: "ClusterNetworkPolicy", Custom: true},
	{Group: "crd.projectcalico.org", Resource: "globalnetworkpolicies", Kind: "GlobalNetworkPolicy", Custom: true},
	{Group: "projectcalico.org", Resource: "globalnetworkpolicies", Kind: "GlobalNetworkPolicy", Custom: true},
	{Group: "projectcalico.org", Resource: "stagednetworkpolicies", Kind: "StagedNetworkPolicy", Custom: true},
	{Group: "projectcalico.org", Resource: "stagedglobalnetworkpolicies", Kind: "StagedGlobalNetworkPolicy", Custom: true},
}

// NotListed are kinds checks read that no cluster serves: kubeharden's own documents
// (Dockerfiles, a snapshot's cluster facts) and configuration files of the API server.
var NotListed = []string{"ClusterFacts", "Dockerfile", "EncryptionConfiguration", "EncryptionConfig"}

// clusterResources are the resources of the catalog whose kinds the registered checks read
// (check.Set.Kinds), each with the practices of the checks that depend on it; with no check
// registered, the whole catalog.
func clusterResources() []Resource {
	checks := check.Set(check.All())
	need := map[string]bool{}
	for _, k := range checks.Kinds() {
		need[k] = true
	}
	var out []Resource
	for _, r := range catalog {
		if len(checks) > 0 && !need[r.Kind] {
			continue
		}
		// Checks of every kind (check.AnyKind) judge whatever is listed: a kind they alone
		// read is not listed, and a failed list does not make their practice incomplete.
		used := map[string]bool{}
		for _, c := range checks.AffectedBy(r.Kind) {
			if slices.Contains(check.Set{c}.Kinds(), r.Kind) {
				used[c.Practice()] = true
			}
		}
		r.Practices = practicesOf(used)
		out = append(out, r)
	}
	return out
}

// Resources lists every resource the cluster loader reads, for documentation and for
// the test that keeps deploy/rbac.yaml complete.
func Resources() []Resource { return clusterResources() }

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
