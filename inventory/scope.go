package inventory

import "strings"

// clusterScoped lists the built-in and common cluster-scoped kinds, by group.
var clusterScoped = map[string]bool{
	"Namespace": true, "Node": true, "PersistentVolume": true, "ComponentStatus": true,
	"rbac.authorization.k8s.io/ClusterRole": true, "rbac.authorization.k8s.io/ClusterRoleBinding": true,
	"storage.k8s.io/StorageClass": true, "storage.k8s.io/CSIDriver": true, "storage.k8s.io/CSINode": true,
	"storage.k8s.io/VolumeAttachment": true, "storage.k8s.io/VolumeAttributesClass": true,
	"apiextensions.k8s.io/CustomResourceDefinition":                 true,
	"admissionregistration.k8s.io/MutatingWebhookConfiguration":     true,
	"admissionregistration.k8s.io/ValidatingWebhookConfiguration":   true,
	"admissionregistration.k8s.io/ValidatingAdmissionPolicy":        true,
	"admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding": true,
	"admissionregistration.k8s.io/MutatingAdmissionPolicy":          true,
	"admissionregistration.k8s.io/MutatingAdmissionPolicyBinding":   true,
	"apiregistration.k8s.io/APIService":                             true,
	"scheduling.k8s.io/PriorityClass":                               true,
	"node.k8s.io/RuntimeClass":                                      true,
	"networking.k8s.io/IngressClass":                                true,
	"networking.k8s.io/IPAddress":                                   true,
	"networking.k8s.io/ServiceCIDR":                                 true,
	"certificates.k8s.io/CertificateSigningRequest":                 true,
	"certificates.k8s.io/ClusterTrustBundle":                        true,
	"flowcontrol.apiserver.k8s.io/FlowSchema":                       true,
	"flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration":       true,
	"resource.k8s.io/DeviceClass":                                   true,
	"resource.k8s.io/ResourceSlice":                                 true,
	"gateway.networking.k8s.io/GatewayClass":                        true,
	"policy/PodSecurityPolicy":                                      true,
	"authorization.k8s.io/SelfSubjectAccessReview":                  true,
	"authorization.k8s.io/SubjectAccessReview":                      true,
	"authentication.k8s.io/TokenReview":                             true,
	"internal.apiserver.k8s.io/StorageVersion":                      true,
	"storagemigration.k8s.io/StorageVersionMigration":               true,
	"external-secrets.io/ClusterSecretStore":                        true,
	"cert-manager.io/ClusterIssuer":                                 true,
	"kyverno.io/ClusterPolicy":                                      true,
	"templates.gatekeeper.sh/ConstraintTemplate":                    true,
	"snapshot.storage.k8s.io/VolumeSnapshotClass":                   true,
	"snapshot.storage.k8s.io/VolumeSnapshotContent":                 true,
	"metrics.k8s.io/NodeMetrics":                                    true,
	"wgpolicyk8s.io/ClusterPolicyReport":                            true,
	"apiserver.config.k8s.io/EncryptionConfiguration":               true,
	"apiserver.config.k8s.io/AdmissionConfiguration":                true,
	"pod-security.admission.config.k8s.io/PodSecurityConfiguration": true,
	"audit.k8s.io/Policy":                                           true,
	"kubelet.config.k8s.io/KubeletConfiguration":                    true,
	"kubeproxy.config.k8s.io/KubeProxyConfiguration":                true,
	"kubescheduler.config.k8s.io/KubeSchedulerConfiguration":        true,
	// Dockerfiles are read into objects of this kind (package dockerfile); they belong to
	// no namespace.
	"kubeharden.io/Dockerfile": true,
	// Findings about the cluster itself (its version) are made on a snapshot's ClusterFacts
	// document, or on an object of that kind standing for a live cluster.
	"kubeharden.io/ClusterFacts": true,
}

// ClusterScoped reports whether objects of kind in apiVersion have no namespace. Kinds it
// does not know are taken to be namespaced, which is what most custom resources are.
func ClusterScoped(apiVersion, kind string) bool {
	group := ""
	if i := strings.IndexByte(apiVersion, '/'); i >= 0 {
		group = apiVersion[:i]
	}
	if group == "" {
		return clusterScoped[kind]
	}
	return clusterScoped[group+"/"+kind]
}
