package rbac

import (
	"fmt"
	"strings"
)

// Resource is a resource as RBAC names it.
type Resource struct {
	Group, Resource, Subresource string
	// ClusterScoped is true for the built-in cluster-scoped resources (nodes, namespaces,
	// clusterroles, ...); unknown resources are taken to be namespaced.
	ClusterScoped bool
}

// ParseResource reads a resource as kubectl writes it, RESOURCE[.GROUP][/SUBRESOURCE]:
// "pods", "pods/exec", "deployments.apps/scale", "*". Without a group, a built-in resource
// gets its own group ("deployments" is apps), and kubectl's singular and short names
// ("deploy", "po", "pod") are understood; other names are taken as given, in the core group.
func ParseResource(s string) (Resource, error) {
	if s == "" {
		return Resource{}, fmt.Errorf("empty resource")
	}
	name, sub, _ := strings.Cut(s, "/")
	if name == "" || strings.Contains(sub, "/") {
		return Resource{}, fmt.Errorf("resource %q: want RESOURCE[.GROUP][/SUBRESOURCE]", s)
	}
	r := Resource{Subresource: sub}
	if res, group, ok := strings.Cut(name, "."); ok {
		r.Resource, r.Group = strings.ToLower(res), group
		if k, found := builtin[r.Resource]; found && k.group == group {
			r.Resource, r.ClusterScoped = k.plural, k.cluster
		}
		return r, nil
	}
	r.Resource = strings.ToLower(name)
	if k, ok := builtin[r.Resource]; ok {
		r.Resource, r.Group, r.ClusterScoped = k.plural, k.group, k.cluster
	}
	return r, nil
}

// String writes the resource back as kubectl would.
func (r Resource) String() string {
	s := r.Resource
	if r.Group != "" {
		s += "." + r.Group
	}
	if r.Subresource != "" {
		s += "/" + r.Subresource
	}
	return s
}

type known struct {
	plural, group string
	cluster       bool
}

// builtin maps the plural, singular and short names of the built-in resources.
var builtin = map[string]known{}

func init() {
	for _, r := range []struct {
		group, plural, singular string
		short                   []string
		cluster                 bool
	}{
		{"", "pods", "pod", []string{"po"}, false},
		{"", "services", "service", []string{"svc"}, false},
		{"", "endpoints", "endpoints", []string{"ep"}, false},
		{"", "configmaps", "configmap", []string{"cm"}, false},
		{"", "secrets", "secret", nil, false},
		{"", "serviceaccounts", "serviceaccount", []string{"sa"}, false},
		{"", "persistentvolumeclaims", "persistentvolumeclaim", []string{"pvc"}, false},
		{"", "persistentvolumes", "persistentvolume", []string{"pv"}, true},
		{"", "nodes", "node", []string{"no"}, true},
		{"", "namespaces", "namespace", []string{"ns"}, true},
		{"", "events", "event", []string{"ev"}, false},
		{"", "replicationcontrollers", "replicationcontroller", []string{"rc"}, false},
		{"", "resourcequotas", "resourcequota", []string{"quota"}, false},
		{"", "limitranges", "limitrange", []string{"limits"}, false},
		{"", "podtemplates", "podtemplate", nil, false},
		{"", "users", "user", nil, true},
		{"", "groups", "group", nil, true},
		{"apps", "deployments", "deployment", []string{"deploy"}, false},
		{"apps", "statefulsets", "statefulset", []string{"sts"}, false},
		{"apps", "daemonsets", "daemonset", []string{"ds"}, false},
		{"apps", "replicasets", "replicaset", []string{"rs"}, false},
		{"apps", "controllerrevisions", "controllerrevision", nil, false},
		{"batch", "jobs", "job", nil, false},
		{"batch", "cronjobs", "cronjob", []string{"cj"}, false},
		{"autoscaling", "horizontalpodautoscalers", "horizontalpodautoscaler", []string{"hpa"}, false},
		{"policy", "poddisruptionbudgets", "poddisruptionbudget", []string{"pdb"}, false},
		{"networking.k8s.io", "ingresses", "ingress", []string{"ing"}, false},
		{"networking.k8s.io", "ingressclasses", "ingressclass", nil, true},
		{"networking.k8s.io", "networkpolicies", "networkpolicy", []string{"netpol"}, false},
		{"rbac.authorization.k8s.io", "roles", "role", nil, false},
		{"rbac.authorization.k8s.io", "rolebindings", "rolebinding", nil, false},
		{"rbac.authorization.k8s.io", "clusterroles", "clusterrole", nil, true},
		{"rbac.authorization.k8s.io", "clusterrolebindings", "clusterrolebinding", nil, true},
		{"storage.k8s.io", "storageclasses", "storageclass", []string{"sc"}, true},
		{"storage.k8s.io", "csidrivers", "csidriver", nil, true},
		{"storage.k8s.io", "volumeattachments", "volumeattachment", nil, true},
		{"apiextensions.k8s.io", "customresourcedefinitions", "customresourcedefinition", []string{"crd", "crds"}, true},
		{"admissionregistration.k8s.io", "mutatingwebhookconfigurations", "mutatingwebhookconfiguration", nil, true},
		{"admissionregistration.k8s.io", "validatingwebhookconfigurations", "validatingwebhookconfiguration", nil, true},
		{"admissionregistration.k8s.io", "validatingadmissionpolicies", "validatingadmissionpolicy", nil, true},
		{"admissionregistration.k8s.io", "validatingadmissionpolicybindings", "validatingadmissionpolicybinding", nil, true},
		{"certificates.k8s.io", "certificatesigningrequests", "certificatesigningrequest", []string{"csr"}, true},
		{"certificates.k8s.io", "signers", "signer", nil, true},
		{"coordination.k8s.io", "leases", "lease", nil, false},
		{"discovery.k8s.io", "endpointslices", "endpointslice", nil, false},
		{"scheduling.k8s.io", "priorityclasses", "priorityclass", []string{"pc"}, true},
		{"node.k8s.io", "runtimeclasses", "runtimeclass", nil, true},
		{"apiregistration.k8s.io", "apiservices", "apiservice", nil, true},
		{"authentication.k8s.io", "tokenreviews", "tokenreview", nil, true},
		{"authorization.k8s.io", "subjectaccessreviews", "subjectaccessreview", nil, true},
		{"authorization.k8s.io", "selfsubjectaccessreviews", "selfsubjectaccessreview", nil, true},
		{"authorization.k8s.io", "localsubjectaccessreviews", "localsubjectaccessreview", nil, false},
	} {
		k := known{r.plural, r.group, r.cluster}
		builtin[r.plural] = k
		if _, taken := builtin[r.singular]; !taken {
			builtin[r.singular] = k
		}
		for _, s := range r.short {
			builtin[s] = k
		}
	}
}
