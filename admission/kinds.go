package admission

import (
	"slices"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubeharden/kubeharden/check"
)

// resources are the built-in kinds admission rules can name, with their group, version and
// resource. Checks on kinds outside it (custom resources) cannot be enforced at admission.
var resources = map[string]schema.GroupVersionResource{
	"Pod":                   {Version: "v1", Resource: "pods"},
	"ReplicationController": {Version: "v1", Resource: "replicationcontrollers"},
	"PodTemplate":           {Version: "v1", Resource: "podtemplates"},
	"Service":               {Version: "v1", Resource: "services"},
	"Namespace":             {Version: "v1", Resource: "namespaces"},
	"Secret":                {Version: "v1", Resource: "secrets"},
	"ConfigMap":             {Version: "v1", Resource: "configmaps"},
	"ServiceAccount":        {Version: "v1", Resource: "serviceaccounts"},
	"LimitRange":            {Version: "v1", Resource: "limitranges"},
	"ResourceQuota":         {Version: "v1", Resource: "resourcequotas"},
	"Deployment":            {Group: "apps", Version: "v1", Resource: "deployments"},
	"StatefulSet":           {Group: "apps", Version: "v1", Resource: "statefulsets"},
	"DaemonSet":             {Group: "apps", Version: "v1", Resource: "daemonsets"},
	"ReplicaSet":            {Group: "apps", Version: "v1", Resource: "replicasets"},
	"Job":                   {Group: "batch", Version: "v1", Resource: "jobs"},
	"CronJob":               {Group: "batch", Version: "v1", Resource: "cronjobs"},
	"Ingress":               {Group: "networking.k8s.io", Version: "v1", Resource: "ingresses"},
	"NetworkPolicy":         {Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies"},
	"Role":                  {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"},
	"ClusterRole":           {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles"},
	"RoleBinding":           {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"},
	"ClusterRoleBinding":    {Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings"},
}

// expandKinds turns kinds (Workloads allowed) into the known kinds they name, sorted; unknown
// lists the kinds without a known resource.
func expandKinds(kinds []string) (known, unknown []string) {
	for _, k := range kinds {
		if k == check.AnyKind {
			continue // judges whatever the other checks register for
		}
		if k == check.Workloads {
			for _, w := range check.WorkloadKinds {
				if _, ok := resources[w]; ok {
					known = append(known, w)
				}
			}
			continue
		}
		if _, ok := resources[k]; ok {
			known = append(known, k)
		} else {
			unknown = append(unknown, k)
		}
	}
	slices.Sort(known)
	return slices.Compact(known), unknown
}

// groupRules groups kinds by API group and version, as admission rules list them.
type groupRule struct {
	group, version string
	resources      []string
}

func groupRules(kinds []string) []groupRule {
	var out []groupRule
	for _, k := range kinds {
		r := resources[k]
		i := slices.IndexFunc(out, func(g groupRule) bool { return g.group == r.Group && g.version == r.Version })
		if i < 0 {
			out = append(out, groupRule{group: r.Group, version: r.Version})
			i = len(out) - 1
		}
		out[i].resources = append(out[i].resources, r.Resource)
	}
	slices.SortFunc(out, func(a, b groupRule) int {
		if a.group != b.group {
			if a.group < b.group {
				return -1
			}
			return 1
		}
		return 0
	})
	return out
}
