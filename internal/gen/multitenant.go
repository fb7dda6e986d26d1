package gen

import (
	"fmt"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// The multitenant profile follows a large multi-tenant cluster seen in the field. Per
// 10,000 workloads it has about 4,934 Deployments, 1,447 Pods, 1,129 StatefulSets, 1,037
// CronJobs, 859 Jobs and 594 DaemonSets; 4,834 Services, 1,184 Ingresses, 2,500
// NetworkPolicies, 401 Namespaces; 3,577 ServiceAccounts, 1,732 Roles and as many
// RoleBindings, 200 ClusterRoles and 200 ClusterRoleBindings (some to system:authenticated,
// system:serviceaccounts, system:anonymous and cluster-admin); 4,961 ConfigMaps, 3,256
// Secrets, 1,170 PodDisruptionBudgets and 575 HorizontalPodAutoscalers.

// mtMix is the workload mix per 10,000.
var mtMix = []struct {
	kind string
	per  int
}{
	{"Deployment", 4934}, {"Pod", 1447}, {"StatefulSet", 1129}, {"CronJob", 1037},
	{"Job", 859}, {"DaemonSet", 594},
}

const rbacGroup = "rbac.authorization.k8s.io"

func (g *gen) multitenant(n int) []Namespace {
	var nss []Namespace
	for made, i := 0, 0; made < n; i++ {
		size := min(5+g.r.IntN(41), n-made)
		name := fmt.Sprintf("%s-%d", teams[i%len(teams)], i/len(teams))
		nss = append(nss, Namespace{name, g.mtNamespace(name, size)})
		made += size
	}
	cluster := Namespace{Objects: g.mtClusterRBAC(n, nss)}
	return append([]Namespace{cluster}, nss...)
}

func (g *gen) mtNamespace(name string, size int) []runtime.Object {
	ns := &corev1.Namespace{TypeMeta: typeMeta("v1", "Namespace"), ObjectMeta: meta(name, "", map[string]string{"team": name})}
	switch r := g.r.IntN(10); {
	case r < 3:
		ns.Labels["pod-security.kubernetes.io/enforce"] = "restricted"
	case r < 5:
		ns.Labels["pod-security.kubernetes.io/enforce"] = "baseline"
		ns.Labels["pod-security.kubernetes.io/warn"] = "restricted"
	case r < 6:
		ns.Labels["pod-security.kubernetes.io/enforce"] = "privileged"
	}
	out := []runtime.Object{ns}
	if g.pct(55) {
		out = append(out, defaultDeny(name))
	}
	mark := len(g.accounts)
	for i := 0; i < size; i++ {
		out = append(out, g.mtWorkload(name, fmt.Sprintf("%s-%s-%d", name, g.pick(roles), i))...)
	}
	// The namespace's service accounts, for its RoleBindings.
	accounts := g.accounts[mark:]
	roles := 2 + g.r.IntN(5)
	if g.pct(32) {
		roles++
	}
	for i := 0; i < roles; i++ {
		out = append(out, g.mtRole(name, i, accounts)...)
	}
	return out
}

func (g *gen) mtKind() string {
	r := g.r.IntN(10000)
	for _, k := range mtMix {
		if r < k.per {
			return k.kind
		}
		r -= k.per
	}
	return mtMix[0].kind
}

func (g *gen) mtWorkload(ns, name string) []runtime.Object {
	kind := g.mtKind()
	labels := map[string]string{"app": name, "app.kubernetes.io/part-of": ns}
	var out []runtime.Object
	pod := g.podSpec(ns, name, kind)
	if pod.ServiceAccountName == "" && g.pct(24) {
		pod.ServiceAccountName = name
	}
	if pod.ServiceAccountName != "" {
		out = append(out, &corev1.ServiceAccount{TypeMeta: typeMeta("v1", "ServiceAccount"), ObjectMeta: meta(pod.ServiceAccountName, ns, nil),
			AutomountServiceAccountToken: ptr.To(g.pct(50))})
		g.accounts = append(g.accounts, rbacv1.Subject{Kind: "ServiceAccount", Name: pod.ServiceAccountName, Namespace: ns})
	}
	if g.pct(50) {
		out = append(out, g.configMap(ns, name))
		pod.Volumes = append(pod.Volumes, corev1.Volume{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}}}})
		pod.Containers[0].VolumeMounts = append(pod.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "config", MountPath: "/etc/" + name, ReadOnly: true})
	}
	if g.pct(33) {
		out = append(out, g.secret(ns, name))
		pod.Containers[0].Env = append(pod.Containers[0].Env, corev1.EnvVar{Name: "DB_PASSWORD", ValueFrom: &corev1.EnvVarSource{
			SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: "password"}}})
	}
	out = append(out, g.wrap(kind, ns, name, labels, pod))
	served := kind == "Deployment" || kind == "StatefulSet"
	if served && g.pct(80) {
		svc := g.service(ns, name, kind == "StatefulSet")
		out = append(out, svc)
		if svc.Spec.ClusterIP != corev1.ClusterIPNone && g.pct(30) {
			out = append(out, g.ingress(ns, name))
		}
		if g.pct(47) {
			out = append(out, g.allowPolicy(ns, name))
		}
	}
	if served && g.pct(19) {
		out = append(out, g.pdb(ns, name))
	}
	if kind == "Deployment" && g.pct(12) {
		out = append(out, g.hpa(ns, name))
	}
	return out
}

func (g *gen) pdb(ns, name string) *policyv1.PodDisruptionBudget {
	pdb := &policyv1.PodDisruptionBudget{
		TypeMeta:   typeMeta("policy/v1", "PodDisruptionBudget"),
		ObjectMeta: meta(name, ns, map[string]string{"app": name}),
		Spec:       policyv1.PodDisruptionBudgetSpec{Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}},
	}
	if g.pct(50) {
		pdb.Spec.MinAvailable = ptr.To(intstr.FromInt32(1))
	} else {
		pdb.Spec.MaxUnavailable = ptr.To(intstr.FromString("25%"))
	}
	return pdb
}

func (g *gen) hpa(ns, name string) *autoscalingv2.HorizontalPodAutoscaler {
	return &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   typeMeta("autoscaling/v2", "HorizontalPodAutoscaler"),
		ObjectMeta: meta(name, ns, map[string]string{"app": name}),
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: name},
			MinReplicas:    ptr.To(int32(2)),
			MaxReplicas:    int32(4 + g.r.IntN(20)),
			Metrics: []autoscalingv2.MetricSpec{{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
				Name: corev1.ResourceCPU, Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To(int32(70))},
			}}},
		},
	}
}

// Namespaced role templates: the first ones are what teams need, the rest careless grants.
var mtRoles = []struct {
	name  string
	rules []rbacv1.PolicyRule
}{
	{"developer", []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods", "pods/log", "services", "configmaps"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets"}, Verbs: []string{"get", "list", "watch", "update", "patch"}},
	}},
	{"viewer", []rbacv1.PolicyRule{
		{APIGroups: []string{"", "apps", "batch"}, Resources: []string{"pods", "services", "deployments", "jobs", "cronjobs"}, Verbs: []string{"get", "list", "watch"}},
	}},
	{"deployer", []rbacv1.PolicyRule{
		{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets", "daemonsets"}, Verbs: []string{"get", "list", "create", "update", "patch", "delete"}},
		{APIGroups: []string{""}, Resources: []string{"services", "configmaps"}, Verbs: []string{"get", "list", "create", "update", "patch"}},
	}},
	{"secret-reader", []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch"}},
	}},
	{"debugger", []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list"}},
		{APIGroups: []string{""}, Resources: []string{"pods/exec", "pods/portforward", "pods/attach"}, Verbs: []string{"create", "get"}},
	}},
	{"namespace-admin", []rbacv1.PolicyRule{
		{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}},
	}},
	{"rbac-manager", []rbacv1.PolicyRule{
		{APIGroups: []string{rbacGroup}, Resources: []string{"roles", "rolebindings"}, Verbs: []string{"get", "list", "create", "update", "escalate", "bind"}},
	}},
	{"impersonator", []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"serviceaccounts"}, Verbs: []string{"impersonate"}},
	}},
	{"ci", []rbacv1.PolicyRule{
		{APIGroups: []string{"", "apps", "batch"}, Resources: []string{"pods", "deployments", "jobs"}, Verbs: []string{"create", "delete", "get", "list"}},
		{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"create", "update"}},
	}},
}

// mtRole generates the i-th Role of a namespace and its RoleBinding, to the team's group, a
// user, some of the namespace's service accounts, or all of them (the group
// system:serviceaccounts:NS).
func (g *gen) mtRole(ns string, i int, accounts []rbacv1.Subject) []runtime.Object {
	t := mtRoles[g.r.IntN(len(mtRoles))]
	if i < 2 {
		t = mtRoles[i]
	}
	name := fmt.Sprintf("%s-%d", t.name, i)
	role := &rbacv1.Role{TypeMeta: typeMeta(rbacGroup+"/v1", "Role"), ObjectMeta: meta(name, ns, nil), Rules: t.rules}
	var subjects []rbacv1.Subject
	switch r := g.r.IntN(10); {
	case r < 4:
		subjects = append(subjects, rbacv1.Subject{Kind: "Group", APIGroup: rbacGroup, Name: ns + "-developers"})
	case r < 6:
		subjects = append(subjects, rbacv1.Subject{Kind: "User", APIGroup: rbacGroup, Name: fmt.Sprintf("dev%d@acme.example", g.r.IntN(500))})
	case r < 7:
		subjects = append(subjects, rbacv1.Subject{Kind: "Group", APIGroup: rbacGroup, Name: "system:serviceaccounts:" + ns})
	default:
		subjects = append(subjects, rbacv1.Subject{Kind: "ServiceAccount", Name: "default", Namespace: ns})
	}
	for k := g.r.IntN(4); k > 0 && len(accounts) > 0; k-- {
		subjects = append(subjects, accounts[g.r.IntN(len(accounts))])
	}
	rb := &rbacv1.RoleBinding{
		TypeMeta:   typeMeta(rbacGroup+"/v1", "RoleBinding"),
		ObjectMeta: meta(name, ns, nil),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacGroup, Kind: "Role", Name: name},
		Subjects:   subjects,
	}
	return []runtime.Object{role, rb}
}

// Cluster role templates.
var mtClusterRoles = []struct {
	name  string
	rules []rbacv1.PolicyRule
}{
	{"tenant-viewer", []rbacv1.PolicyRule{
		{APIGroups: []string{"", "apps", "batch"}, Resources: []string{"pods", "services", "deployments", "jobs", "namespaces"}, Verbs: []string{"get", "list", "watch"}},
	}},
	{"monitoring", []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"nodes", "nodes/metrics", "pods", "endpoints"}, Verbs: []string{"get", "list", "watch"}},
	}},
	{"node-debug", []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"nodes/proxy"}, Verbs: []string{"get", "create"}},
	}},
	{"everything", []rbacv1.PolicyRule{
		{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}},
	}},
	{"secret-sync", []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch"}},
	}},
	{"exec", []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods/exec", "pods/attach"}, Verbs: []string{"create"}},
	}},
	{"role-admin", []rbacv1.PolicyRule{
		{APIGroups: []string{rbacGroup}, Resources: []string{"clusterroles", "clusterrolebindings"}, Verbs: []string{"get", "list", "escalate", "bind"}},
	}},
	{"impersonate", []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"users", "groups", "serviceaccounts"}, Verbs: []string{"impersonate"}},
	}},
	{"controller", []rbacv1.PolicyRule{
		{APIGroups: []string{"", "apps"}, Resources: []string{"*"}, Verbs: []string{"get", "list", "watch", "update", "patch"}},
	}},
}

// mtClusterRBAC generates n/50 ClusterRoles (at least 9) and a ClusterRoleBinding for each.
// Bindings go to the groups every user (system:authenticated), every service account
// (system:serviceaccounts) or nobody in particular (system:anonymous) is in, to teams, to
// a few service accounts; some hand out cluster-admin instead of their own role.
func (g *gen) mtClusterRBAC(n int, nss []Namespace) []runtime.Object {
	count := max(len(mtClusterRoles), n/50)
	var out []runtime.Object
	for i := 0; i < count; i++ {
		t := mtClusterRoles[i%len(mtClusterRoles)]
		name := fmt.Sprintf("acme-%s-%d", t.name, i/len(mtClusterRoles))
		out = append(out, &rbacv1.ClusterRole{TypeMeta: typeMeta(rbacGroup+"/v1", "ClusterRole"), ObjectMeta: meta(name, "", nil), Rules: t.rules})
	}
	for i := 0; i < count; i++ {
		t := mtClusterRoles[i%len(mtClusterRoles)]
		name := fmt.Sprintf("acme-%s-%d", t.name, i/len(mtClusterRoles))
		ref := name
		if g.pct(4) {
			ref = "cluster-admin"
		}
		var subjects []rbacv1.Subject
		switch r := g.r.IntN(100); {
		case r < 6:
			subjects = append(subjects, rbacv1.Subject{Kind: "Group", APIGroup: rbacGroup, Name: "system:authenticated"})
		case r < 12:
			subjects = append(subjects, rbacv1.Subject{Kind: "Group", APIGroup: rbacGroup, Name: "system:serviceaccounts"})
		case r < 14:
			subjects = append(subjects, rbacv1.Subject{Kind: "Group", APIGroup: rbacGroup, Name: "system:anonymous"})
		case r < 24:
			ns := nss[g.r.IntN(len(nss))].Name
			subjects = append(subjects, rbacv1.Subject{Kind: "Group", APIGroup: rbacGroup, Name: "system:serviceaccounts:" + ns})
		case r < 60:
			for k := 1 + g.r.IntN(8); k > 0; k-- {
				subjects = append(subjects, rbacv1.Subject{Kind: "Group", APIGroup: rbacGroup, Name: nss[g.r.IntN(len(nss))].Name + "-developers"})
			}
		default:
			for k := 1 + g.r.IntN(5); k > 0 && len(g.accounts) > 0; k-- {
				subjects = append(subjects, g.accounts[g.r.IntN(len(g.accounts))])
			}
		}
		if len(subjects) == 0 {
			subjects = append(subjects, rbacv1.Subject{Kind: "User", APIGroup: rbacGroup, Name: "ops@acme.example"})
		}
		out = append(out, &rbacv1.ClusterRoleBinding{
			TypeMeta:   typeMeta(rbacGroup+"/v1", "ClusterRoleBinding"),
			ObjectMeta: meta(name, "", nil),
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacGroup, Kind: "ClusterRole", Name: ref},
			Subjects:   subjects,
		})
	}
	return out
}
