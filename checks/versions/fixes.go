package versions

import (
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// sameSchema are the migrations the Deprecated API Migration Guide lists with no notable
// changes: only apiVersion changes, so a fix may make it. Others (Ingress, CRDs, webhooks,
// workloads from extensions/v1beta1) change fields and need a person.
var sameSchema = map[[2]string]string{
	{"autoscaling/v2beta2", "HorizontalPodAutoscaler"}:                     "autoscaling/v2",
	{"batch/v1beta1", "CronJob"}:                                           "batch/v1",
	{"policy/v1beta1", "PodDisruptionBudget"}:                              "policy/v1",
	{"networking.k8s.io/v1beta1", "IngressClass"}:                          "networking.k8s.io/v1",
	{"rbac.authorization.k8s.io/v1beta1", "Role"}:                          "rbac.authorization.k8s.io/v1",
	{"rbac.authorization.k8s.io/v1beta1", "ClusterRole"}:                   "rbac.authorization.k8s.io/v1",
	{"rbac.authorization.k8s.io/v1beta1", "RoleBinding"}:                   "rbac.authorization.k8s.io/v1",
	{"rbac.authorization.k8s.io/v1beta1", "ClusterRoleBinding"}:            "rbac.authorization.k8s.io/v1",
	{"scheduling.k8s.io/v1beta1", "PriorityClass"}:                         "scheduling.k8s.io/v1",
	{"storage.k8s.io/v1beta1", "StorageClass"}:                             "storage.k8s.io/v1",
	{"storage.k8s.io/v1beta1", "CSIDriver"}:                                "storage.k8s.io/v1",
	{"storage.k8s.io/v1beta1", "CSINode"}:                                  "storage.k8s.io/v1",
	{"storage.k8s.io/v1beta1", "VolumeAttachment"}:                         "storage.k8s.io/v1",
	{"storage.k8s.io/v1beta1", "CSIStorageCapacity"}:                       "storage.k8s.io/v1",
	{"coordination.k8s.io/v1beta1", "Lease"}:                               "coordination.k8s.io/v1",
	{"node.k8s.io/v1beta1", "RuntimeClass"}:                                "node.k8s.io/v1",
	{"apiregistration.k8s.io/v1beta1", "APIService"}:                       "apiregistration.k8s.io/v1",
	{"flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema"}:                 "flowcontrol.apiserver.k8s.io/v1",
	{"flowcontrol.apiserver.k8s.io/v1beta3", "PriorityLevelConfiguration"}: "flowcontrol.apiserver.k8s.io/v1",
}

// moveFix moves o to its replacement apiVersion when only the apiVersion changes.
func moveFix(o *inventory.Object, a *API, target Version) []check.SuggestedFix {
	apiVersion, kind := DeprecatedAPIs().ReplacementAt(a, target)
	if kind != a.Kind || apiVersion == "" || sameSchema[[2]string{o.APIVersion, o.Kind}] != apiVersion {
		return nil
	}
	if o.Kind == "PodDisruptionBudget" && emptySelector(o) {
		// policy/v1 reads an empty selector as every pod of the namespace; v1beta1 as none.
		return nil
	}
	return []check.SuggestedFix{{
		Message: "move to " + apiVersion + ", which has the same fields",
		Edits:   []check.Edit{check.SetAt(o, "apiVersion", apiVersion)},
	}}
}

func emptySelector(o *inventory.Object) bool {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o.Obj)
	if err != nil {
		return true // leave it to a person
	}
	spec, _ := m["spec"].(map[string]any)
	sel, _ := spec["selector"].(map[string]any)
	return len(sel) == 0
}
