// Package gen generates a deterministic, realistic cluster of N workloads for benchmarks and
// tests: namespaces (with and without Pod Security labels), every workload kind, Services,
// Ingresses, NetworkPolicies, ServiceAccounts, RBAC, Secrets, ConfigMaps, LimitRanges and
// ResourceQuotas, with a mix of hardened and careless settings (mutable tags, missing
// limits, privileged containers, hostPath volumes, wildcard RBAC, ...).
//
// The same (n, seed) always gives the same objects in the same order, so benchmark numbers
// and test expectations are comparable across runs. A cluster averages about 2.3 objects per
// workload: 10,000 workloads make about 23,000 objects.
//
// Objects are typed k8s.io/api objects with apiVersion and kind set. Names are stable and
// readable: namespace "payments-3", workload "payments-3-api-12", its Service the same name.
package gen

import (
	"fmt"
	"math/rand/v2"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kubeharden/kubeharden/inventory"
)

// Workload kinds and how often each appears, in percent.
var workloadMix = []struct {
	kind string
	pct  int
}{
	{"Deployment", 50}, {"StatefulSet", 8}, {"DaemonSet", 4}, {"Job", 6},
	{"CronJob", 7}, {"Pod", 15}, {"ReplicaSet", 10},
}

// Objects returns the objects of a cluster of n workloads generated from seed: first the
// cluster-scoped ones (ClusterRoles, ClusterRoleBindings), then namespace by namespace its
// Namespace object followed by everything in it.
func Objects(n int, seed int64) []runtime.Object {
	return Options{}.Objects(n, seed)
}

// Options chooses what kind of cluster to generate. The zero value is the default profile.
type Options struct {
	// Profile is "" (or "default") for the mix described in the package doc, or
	// "multitenant" for a large multi-tenant cluster: many Roles per namespace, ClusterRoles
	// bound to the groups every user or service account is in, PodDisruptionBudgets and
	// HorizontalPodAutoscalers, about 3.6 objects and 10 findings per workload.
	Profile string
}

// Profiles are the values Options.Profile accepts.
var Profiles = []string{"default", "multitenant"}

// Valid reports an unknown profile.
func (o Options) Valid() error {
	switch o.Profile {
	case "", "default", "multitenant":
		return nil
	}
	return fmt.Errorf("gen: unknown profile %q (want default or multitenant)", o.Profile)
}

// Objects is Objects for the options' profile.
func (o Options) Objects(n int, seed int64) []runtime.Object {
	var out []runtime.Object
	for _, ns := range o.Namespaces(n, seed) {
		out = append(out, ns.Objects...)
	}
	return out
}

// Namespace is one generated namespace and its objects. The cluster-scoped objects come as
// a Namespace with Name "".
type Namespace struct {
	Name    string
	Objects []runtime.Object
}

// Namespaces returns the cluster of Objects grouped as it is written to a directory: the
// cluster-scoped group first, then one group per namespace.
func Namespaces(n int, seed int64) []Namespace {
	return Options{}.Namespaces(n, seed)
}

// Namespaces is Namespaces for the options' profile.
func (o Options) Namespaces(n int, seed int64) []Namespace {
	g := &gen{r: rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))}
	if o.Profile == "multitenant" {
		return g.multitenant(n)
	}
	var nss []Namespace
	for made, i := 0, 0; made < n; i++ {
		size := min(5+g.r.IntN(41), n-made) // 5..45 workloads, 25 on average
		name := fmt.Sprintf("%s-%d", teams[i%len(teams)], i/len(teams))
		nss = append(nss, Namespace{name, g.namespace(name, size)})
		made += size
	}
	cluster := Namespace{Objects: g.clusterRBAC(nss)}
	return append([]Namespace{cluster}, nss...)
}

var (
	teams = []string{"payments", "checkout", "search", "catalog", "identity", "shipping",
		"billing", "analytics", "notifications", "inventory", "reviews", "ads", "media",
		"gateway", "platform", "data"}
	roles  = []string{"api", "web", "worker", "cache", "db", "queue", "cron", "sync", "auth", "proxy"}
	images = []string{"nginx", "redis", "postgres", "busybox", "envoyproxy/envoy", "bitnami/kafka",
		"grafana/grafana", "prom/prometheus", "python", "node", "golang", "memcached",
		"rabbitmq", "traefik", "haproxy", "mysql"}
	registries = []string{"", "", "docker.io/", "ghcr.io/acme/", "registry.acme.example/",
		"quay.io/acme/", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/"}
)

// gen holds the random source; every choice goes through it in a fixed order.
type gen struct {
	r *rand.Rand
	// serviceAccounts that have been bound cluster-wide, for clusterRBAC.
	accounts []rbacv1.Subject
}

func (g *gen) pct(p int) bool { return g.r.IntN(100) < p }

func (g *gen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

func meta(name, ns string, labels map[string]string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels}
}

func typeMeta(apiVersion, kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
}

// namespace generates one namespace with size workloads.
func (g *gen) namespace(name string, size int) []runtime.Object {
	ns := &corev1.Namespace{TypeMeta: typeMeta("v1", "Namespace"), ObjectMeta: meta(name, "", map[string]string{"team": name})}
	switch r := g.r.IntN(10); {
	case r < 4:
		ns.Labels["pod-security.kubernetes.io/enforce"] = "restricted"
		ns.Labels["pod-security.kubernetes.io/enforce-version"] = "latest"
	case r < 6:
		ns.Labels["pod-security.kubernetes.io/enforce"] = "baseline"
		ns.Labels["pod-security.kubernetes.io/warn"] = "restricted"
	case r < 7:
		ns.Labels["pod-security.kubernetes.io/enforce"] = "privileged"
	case r < 8:
		ns.Labels["pod-security.kubernetes.io/audit"] = "restricted"
	}
	out := []runtime.Object{ns}
	if g.pct(55) {
		out = append(out, defaultDeny(name))
	}
	if g.pct(45) {
		out = append(out, g.limitRange(name))
	}
	if g.pct(35) {
		out = append(out, g.resourceQuota(name))
	}
	if g.pct(60) {
		out = append(out, g.role(name)...)
	}
	for i := 0; i < size; i++ {
		out = append(out, g.workload(name, fmt.Sprintf("%s-%s-%d", name, g.pick(roles), i))...)
	}
	return out
}

func defaultDeny(ns string) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		TypeMeta:   typeMeta("networking.k8s.io/v1", "NetworkPolicy"),
		ObjectMeta: meta("default-deny", ns, nil),
		Spec: networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
		},
	}
}

func (g *gen) limitRange(ns string) *corev1.LimitRange {
	lr := &corev1.LimitRange{TypeMeta: typeMeta("v1", "LimitRange"), ObjectMeta: meta("defaults", ns, nil)}
	item := corev1.LimitRangeItem{
		Type:           corev1.LimitTypeContainer,
		Default:        corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi")},
		DefaultRequest: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
	}
	if g.pct(60) {
		item.Default[corev1.ResourceCPU] = resource.MustParse("500m")
		item.DefaultRequest[corev1.ResourceCPU] = resource.MustParse("100m")
	}
	if g.pct(30) {
		item.Max = corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("4Gi")}
	}
	lr.Spec.Limits = []corev1.LimitRangeItem{item}
	return lr
}

func (g *gen) resourceQuota(ns string) *corev1.ResourceQuota {
	return &corev1.ResourceQuota{
		TypeMeta:   typeMeta("v1", "ResourceQuota"),
		ObjectMeta: meta("quota", ns, nil),
		Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{
			corev1.ResourceRequestsCPU:    resource.MustParse(fmt.Sprint(4 + g.r.IntN(60))),
			corev1.ResourceRequestsMemory: resource.MustParse(fmt.Sprintf("%dGi", 8+g.r.IntN(120))),
			corev1.ResourceLimitsMemory:   resource.MustParse(fmt.Sprintf("%dGi", 16+g.r.IntN(200))),
			corev1.ResourcePods:           resource.MustParse(fmt.Sprint(50 + g.r.IntN(200))),
		}},
	}
}

// role generates a namespace's developer Role and its binding; some are careless.
func (g *gen) role(ns string) []runtime.Object {
	rules := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods", "pods/log", "services", "configmaps"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets"}, Verbs: []string{"get", "list", "watch", "update", "patch"}},
	}
	switch r := g.r.IntN(10); {
	case r < 2:
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}})
	case r < 4:
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list"}})
	case r < 5:
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/exec"}, Verbs: []string{"create"}})
	}
	role := &rbacv1.Role{TypeMeta: typeMeta("rbac.authorization.k8s.io/v1", "Role"), ObjectMeta: meta("developer", ns, nil), Rules: rules}
	subjects := []rbacv1.Subject{{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: ns + "-developers"}}
	if g.pct(30) {
		subjects = append(subjects, rbacv1.Subject{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: fmt.Sprintf("dev%d@acme.example", g.r.IntN(500))})
	}
	if g.pct(15) {
		subjects = append(subjects, rbacv1.Subject{Kind: "ServiceAccount", Name: "default", Namespace: ns})
	}
	rb := &rbacv1.RoleBinding{
		TypeMeta:   typeMeta("rbac.authorization.k8s.io/v1", "RoleBinding"),
		ObjectMeta: meta("developer", ns, nil),
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "developer"},
		Subjects:   subjects,
	}
	return []runtime.Object{role, rb}
}

// clusterRBAC generates cluster-wide roles: a read-only viewer, an operator role bound to a
// few service accounts, and (in some clusters) cluster-admin handed out too widely.
func (g *gen) clusterRBAC(nss []Namespace) []runtime.Object {
	const group = "rbac.authorization.k8s.io"
	viewer := &rbacv1.ClusterRole{
		TypeMeta:   typeMeta(group+"/v1", "ClusterRole"),
		ObjectMeta: meta("acme-viewer", "", map[string]string{"rbac.authorization.k8s.io/aggregate-to-view": "true"}),
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"", "apps", "batch"}, Resources: []string{"pods", "deployments", "jobs", "cronjobs", "services"}, Verbs: []string{"get", "list", "watch"}},
		},
	}
	operator := &rbacv1.ClusterRole{
		TypeMeta:   typeMeta(group+"/v1", "ClusterRole"),
		ObjectMeta: meta("acme-operator", "", nil),
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{"apps"}, Resources: []string{"deployments", "deployments/scale"}, Verbs: []string{"get", "list", "watch", "update", "patch"}},
			{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "list"}},
		},
	}
	out := []runtime.Object{viewer, operator}
	var viewers []rbacv1.Subject
	for _, ns := range nss {
		viewers = append(viewers, rbacv1.Subject{Kind: "Group", APIGroup: group, Name: ns.Name + "-developers"})
	}
	out = append(out, &rbacv1.ClusterRoleBinding{
		TypeMeta:   typeMeta(group+"/v1", "ClusterRoleBinding"),
		ObjectMeta: meta("acme-viewers", "", nil),
		RoleRef:    rbacv1.RoleRef{APIGroup: group, Kind: "ClusterRole", Name: "acme-viewer"},
		Subjects:   viewers,
	})
	ops := g.accounts
	if len(ops) > 20 {
		ops = ops[:20]
	}
	out = append(out, &rbacv1.ClusterRoleBinding{
		TypeMeta:   typeMeta(group+"/v1", "ClusterRoleBinding"),
		ObjectMeta: meta("acme-operators", "", nil),
		RoleRef:    rbacv1.RoleRef{APIGroup: group, Kind: "ClusterRole", Name: "acme-operator"},
		Subjects:   ops,
	})
	if len(g.accounts) > 20 {
		// One careless grant: cluster-admin for a CI service account.
		out = append(out, &rbacv1.ClusterRoleBinding{
			TypeMeta:   typeMeta(group+"/v1", "ClusterRoleBinding"),
			ObjectMeta: meta("ci-admin", "", nil),
			RoleRef:    rbacv1.RoleRef{APIGroup: group, Kind: "ClusterRole", Name: "cluster-admin"},
			Subjects:   []rbacv1.Subject{g.accounts[20]},
		})
	}
	return out
}

// workload generates one workload and the objects that come with it.
func (g *gen) workload(ns, name string) []runtime.Object {
	kind := g.kind()
	labels := map[string]string{"app": name, "app.kubernetes.io/part-of": ns}
	var out []runtime.Object
	pod := g.podSpec(ns, name, kind)
	if pod.ServiceAccountName != "" {
		out = append(out, &corev1.ServiceAccount{TypeMeta: typeMeta("v1", "ServiceAccount"), ObjectMeta: meta(pod.ServiceAccountName, ns, nil),
			AutomountServiceAccountToken: ptr.To(g.pct(50))})
		if g.pct(40) {
			g.accounts = append(g.accounts, rbacv1.Subject{Kind: "ServiceAccount", Name: pod.ServiceAccountName, Namespace: ns})
		}
	}
	if g.pct(18) {
		out = append(out, g.configMap(ns, name))
		pod.Volumes = append(pod.Volumes, corev1.Volume{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}}}})
		pod.Containers[0].VolumeMounts = append(pod.Containers[0].VolumeMounts, corev1.VolumeMount{Name: "config", MountPath: "/etc/" + name, ReadOnly: true})
	}
	if g.pct(12) {
		out = append(out, g.secret(ns, name))
		pod.Containers[0].Env = append(pod.Containers[0].Env, corev1.EnvVar{Name: "DB_PASSWORD", ValueFrom: &corev1.EnvVarSource{
			SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: name}, Key: "password"}}})
	}
	out = append(out, g.wrap(kind, ns, name, labels, pod))
	served := kind == "Deployment" || kind == "StatefulSet" || kind == "ReplicaSet" && g.pct(30)
	if served && g.pct(85) {
		svc := g.service(ns, name, kind == "StatefulSet")
		out = append(out, svc)
		if svc.Spec.ClusterIP != corev1.ClusterIPNone && g.pct(12) {
			out = append(out, g.ingress(ns, name))
		}
		if g.pct(20) {
			out = append(out, g.allowPolicy(ns, name))
		}
	}
	return out
}

// wrap puts a pod spec into a workload of the kind.
func (g *gen) wrap(kind, ns, name string, labels map[string]string, pod corev1.PodSpec) runtime.Object {
	tmpl := corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: pod}
	selector := &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}
	replicas := ptr.To(int32(1 + g.r.IntN(5)))
	om := meta(name, ns, map[string]string{"app": name})
	switch kind {
	case "Deployment":
		return &appsv1.Deployment{TypeMeta: typeMeta("apps/v1", kind), ObjectMeta: om, Spec: appsv1.DeploymentSpec{Replicas: replicas, Selector: selector, Template: tmpl}}
	case "StatefulSet":
		return &appsv1.StatefulSet{TypeMeta: typeMeta("apps/v1", kind), ObjectMeta: om, Spec: appsv1.StatefulSetSpec{Replicas: replicas, Selector: selector, Template: tmpl, ServiceName: name,
			VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{ObjectMeta: metav1.ObjectMeta{Name: "data"}, Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(fmt.Sprintf("%dGi", 1+g.r.IntN(100)))}},
			}}}}}
	case "DaemonSet":
		return &appsv1.DaemonSet{TypeMeta: typeMeta("apps/v1", kind), ObjectMeta: om, Spec: appsv1.DaemonSetSpec{Selector: selector, Template: tmpl}}
	case "ReplicaSet":
		return &appsv1.ReplicaSet{TypeMeta: typeMeta("apps/v1", kind), ObjectMeta: om, Spec: appsv1.ReplicaSetSpec{Replicas: replicas, Selector: selector, Template: tmpl}}
	case "Job":
		tmpl.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
		return &batchv1.Job{TypeMeta: typeMeta("batch/v1", kind), ObjectMeta: om, Spec: batchv1.JobSpec{BackoffLimit: ptr.To(int32(3)), Template: tmpl}}
	case "CronJob":
		tmpl.Spec.RestartPolicy = corev1.RestartPolicyNever
		return &batchv1.CronJob{TypeMeta: typeMeta("batch/v1", kind), ObjectMeta: om, Spec: batchv1.CronJobSpec{
			Schedule:    fmt.Sprintf("%d %d * * *", g.r.IntN(60), g.r.IntN(24)),
			JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: tmpl}},
		}}
	}
	om.Labels = labels
	return &corev1.Pod{TypeMeta: typeMeta("v1", "Pod"), ObjectMeta: om, Spec: pod}
}

func (g *gen) kind() string {
	r := g.r.IntN(100)
	for _, k := range workloadMix {
		if r < k.pct {
			return k.kind
		}
		r -= k.pct
	}
	return workloadMix[0].kind
}

// podSpec generates a pod spec, hardened or not.
func (g *gen) podSpec(ns, name, kind string) corev1.PodSpec {
	var spec corev1.PodSpec
	hardened := g.pct(40)
	if g.pct(15) {
		spec.ServiceAccountName = name
	}
	if hardened {
		spec.SecurityContext = &corev1.PodSecurityContext{
			RunAsNonRoot:   ptr.To(true),
			RunAsUser:      ptr.To(int64(10000 + g.r.IntN(1000))),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		}
		spec.AutomountServiceAccountToken = ptr.To(false)
	}
	switch {
	case kind == "DaemonSet" && g.pct(50):
		spec.HostNetwork = true
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: "host-logs", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/log"}}})
	case !hardened && g.pct(4):
		spec.Volumes = append(spec.Volumes, corev1.Volume{Name: "docker", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/run/docker.sock"}}})
	case !hardened && g.pct(2):
		spec.HostPID = true
	}
	n := 1
	if g.pct(30) {
		n += 1 + g.r.IntN(2)
	}
	for i := 0; i < n; i++ {
		c := g.container(name, i, hardened)
		if i == 0 && (kind == "Deployment" || kind == "StatefulSet") && g.pct(70) {
			c.Ports = []corev1.ContainerPort{{Name: "http", ContainerPort: int32(8000 + g.r.IntN(1000)), Protocol: corev1.ProtocolTCP}}
			probe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}}, PeriodSeconds: 10}
			c.ReadinessProbe = probe
			if g.pct(70) {
				c.LivenessProbe = probe
			}
		}
		spec.Containers = append(spec.Containers, c)
	}
	if g.pct(15) {
		init := g.container(name, 9, hardened)
		init.Name = "init"
		init.Command = []string{"sh", "-c", "until nslookup db; do sleep 2; done"}
		spec.InitContainers = []corev1.Container{init}
	}
	if g.pct(20) {
		spec.NodeSelector = map[string]string{"kubernetes.io/os": "linux"}
	}
	return spec
}

func (g *gen) container(app string, i int, hardened bool) corev1.Container {
	c := corev1.Container{Name: fmt.Sprintf("c%d", i), Image: g.image()}
	switch r := g.r.IntN(10); {
	case r < 5: // requests and limits
		c.Resources = corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(fmt.Sprintf("%dm", 50*(1+g.r.IntN(20)))), corev1.ResourceMemory: resource.MustParse(fmt.Sprintf("%dMi", 64*(1+g.r.IntN(32))))},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(fmt.Sprintf("%dMi", 64*(33+g.r.IntN(32))))},
		}
		if g.pct(40) {
			c.Resources.Limits[corev1.ResourceCPU] = resource.MustParse(fmt.Sprint(1 + g.r.IntN(4)))
		}
	case r < 7: // requests only
		c.Resources = corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")}}
	case r < 8: // limits only: the API server copies them to requests
		c.Resources = corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1Gi")}}
	}
	switch {
	case hardened:
		c.SecurityContext = &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr.To(false),
			ReadOnlyRootFilesystem:   ptr.To(true),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		}
	case g.pct(5):
		c.SecurityContext = &corev1.SecurityContext{Privileged: ptr.To(true)}
	case g.pct(5):
		c.SecurityContext = &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"NET_ADMIN", "SYS_TIME"}}}
	case g.pct(5):
		c.SecurityContext = &corev1.SecurityContext{RunAsUser: ptr.To(int64(0))}
	}
	if g.pct(50) {
		c.ImagePullPolicy = []corev1.PullPolicy{corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullIfNotPresent}[g.r.IntN(3)]
	}
	c.Env = []corev1.EnvVar{{Name: "APP", Value: app}, {Name: "LOG_LEVEL", Value: []string{"info", "debug", "warn"}[g.r.IntN(3)]}}
	if g.pct(3) {
		// A credential written into the manifest.
		c.Env = append(c.Env, corev1.EnvVar{Name: "API_TOKEN", Value: fmt.Sprintf("gen-token-%08x", g.r.Uint32())})
	}
	return c
}

// image picks a reference: pinned by digest, a version tag, :latest, or no tag at all.
func (g *gen) image() string {
	ref := g.pick(registries) + g.pick(images)
	switch r := g.r.IntN(100); {
	case r < 20:
		return fmt.Sprintf("%s:%d.%d@sha256:%016x%016x%016x%016x", ref, 1+g.r.IntN(3), g.r.IntN(30), g.r.Uint64(), g.r.Uint64(), g.r.Uint64(), g.r.Uint64())
	case r < 75:
		return fmt.Sprintf("%s:%d.%d.%d", ref, 1+g.r.IntN(3), g.r.IntN(30), g.r.IntN(10))
	case r < 90:
		return ref + ":latest"
	}
	return ref
}

func (g *gen) service(ns, name string, headless bool) *corev1.Service {
	svc := &corev1.Service{
		TypeMeta:   typeMeta("v1", "Service"),
		ObjectMeta: meta(name, ns, map[string]string{"app": name}),
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": name},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP}},
		},
	}
	switch r := g.r.IntN(100); {
	case headless:
		svc.Spec.ClusterIP = corev1.ClusterIPNone
	case r < 4:
		svc.Spec.Type = corev1.ServiceTypeLoadBalancer
	case r < 9:
		svc.Spec.Type = corev1.ServiceTypeNodePort
	}
	return svc
}

func (g *gen) ingress(ns, name string) *networkingv1.Ingress {
	host := fmt.Sprintf("%s.acme.example", name)
	ing := &networkingv1.Ingress{
		TypeMeta:   typeMeta("networking.k8s.io/v1", "Ingress"),
		ObjectMeta: meta(name, ns, nil),
		Spec: networkingv1.IngressSpec{
			IngressClassName: ptr.To("nginx"),
			Rules: []networkingv1.IngressRule{{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{{Path: "/", PathType: ptr.To(networkingv1.PathTypePrefix), Backend: networkingv1.IngressBackend{
					Service: &networkingv1.IngressServiceBackend{Name: name, Port: networkingv1.ServiceBackendPort{Name: "http"}},
				}}},
			}}}},
		},
	}
	if g.pct(60) {
		ing.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{host}, SecretName: name + "-tls"}}
	}
	return ing
}

// allowPolicy lets the namespace's own pods and the ingress controller reach an app.
func (g *gen) allowPolicy(ns, name string) *networkingv1.NetworkPolicy {
	port := intstr.FromString("http")
	from := []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{}}}
	if g.pct(50) {
		from = append(from, networkingv1.NetworkPolicyPeer{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "ingress-nginx"}}})
	}
	if g.pct(10) {
		from = append(from, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}})
	}
	return &networkingv1.NetworkPolicy{
		TypeMeta:   typeMeta("networking.k8s.io/v1", "NetworkPolicy"),
		ObjectMeta: meta("allow-"+name, ns, nil),
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: from, Ports: []networkingv1.NetworkPolicyPort{{Port: &port}}}},
		},
	}
}

func (g *gen) configMap(ns, name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   typeMeta("v1", "ConfigMap"),
		ObjectMeta: meta(name, ns, map[string]string{"app": name}),
		Data: map[string]string{
			"app.properties": fmt.Sprintf("port=%d\nworkers=%d\nfeature.flags=%s\n", 8000+g.r.IntN(1000), 1+g.r.IntN(16), g.pick(roles)),
			"LOG_FORMAT":     "json",
		},
	}
}

// secret generates an Opaque secret with generated (not real) values.
func (g *gen) secret(ns, name string) *corev1.Secret {
	return &corev1.Secret{
		TypeMeta:   typeMeta("v1", "Secret"),
		ObjectMeta: meta(name, ns, map[string]string{"app": name}),
		Type:       corev1.SecretTypeOpaque,
		Data: map[string][]byte{
			"username": []byte(name),
			"password": []byte(fmt.Sprintf("gen-%016x", g.r.Uint64())),
		},
	}
}

// Inventory is the generated cluster of n workloads as an inventory, as a live read would
// give it (no source positions).
func Inventory(n int, seed int64) *inventory.Inventory {
	return Options{}.Inventory(n, seed)
}

// Inventory is Inventory for the options' profile.
func (o Options) Inventory(n int, seed int64) *inventory.Inventory {
	objs := o.Objects(n, seed)
	out := make([]*inventory.Object, len(objs))
	for i, o := range objs {
		out[i] = inventory.New(o, inventory.Source{}, nil)
	}
	return inventory.Build(out)
}
