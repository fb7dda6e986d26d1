package attack

import (
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/netpol"
	"github.com/kubeharden/kubeharden/rbac"
)

// A monitor sees labels change far more often than anything the paths depend on: a rollout
// stamps a pod template, a controller labels what it manages. The paths read labels only
// through selectors (NetworkPolicies, Services, and their namespaces' Pod Security levels),
// so a change that leaves every other field as it was and touches only label keys no
// selector names leaves every edge, and so every path, as it was (keepsPaths).

// labelKeys are the label keys some selector the attack engine evaluates names; all when a
// kind whose selectors it does not list here is present (admin network policies, Gateways'
// namespace selectors).
type labelKeys struct {
	all  bool
	keys map[string]bool
}

// selectorKinds are the kinds whose selectors labelKeys reads, and those whose presence
// makes it give up.
var selectorKinds = []string{"NetworkPolicy", "Service", "Gateway", netpol.ANPKind, netpol.BANPKind, netpol.CNPKind}

// selectorKeys is shared by every change until one of selectorKinds changes.
var selectorKeys = &check.Engine[*labelKeys]{
	Name:  "attack-selector-keys",
	Reads: selectorKinds,
	Build: func(env check.Env) *labelKeys {
		k := &labelKeys{keys: map[string]bool{}}
		add := func(s *metav1.LabelSelector) {
			if s == nil {
				return
			}
			for key := range s.MatchLabels {
				k.keys[key] = true
			}
			for _, e := range s.MatchExpressions {
				k.keys[e.Key] = true
			}
		}
		for _, kind := range selectorKinds {
			for _, o := range env.Inv.ByKind(kind) {
				switch x := o.Obj.(type) {
				case *networkingv1.NetworkPolicy:
					add(&x.Spec.PodSelector)
					for _, r := range x.Spec.Ingress {
						for _, p := range r.From {
							add(p.PodSelector)
							add(p.NamespaceSelector)
						}
					}
					for _, r := range x.Spec.Egress {
						for _, p := range r.To {
							add(p.PodSelector)
							add(p.NamespaceSelector)
						}
					}
				case *corev1.Service:
					for key := range x.Spec.Selector {
						k.keys[key] = true
					}
				default:
					k.all = true
				}
			}
		}
		return k
	},
}

// keepsPaths says whether replacing old by new leaves the attack paths as they were: the
// objects are equal but for what no engine on a path reads. That is bookkeeping
// (resourceVersion, generation, managed fields); label keys no selector names: Pod and
// Namespace labels count when a selector names the key, or Pod Security (on Namespaces) or
// the namespace name label does, ClusterRole labels always (aggregation), the labels of
// other kinds never; and, for the objects that run pods, what a rollout or a scale changes:
// annotations other than the AppArmor and seccomp ones Pod Security reads, container images
// (unless scanners' reports are loaded: paths list their vulnerabilities), and a
// controller's replicas and status.
func keepsPaths(env check.Env, old, new *inventory.Object) bool {
	if old.Kind != new.Kind || old.APIVersion != new.APIVersion || old.Source != new.Source || old.Lines != new.Lines {
		return false
	}
	read := func(string) bool { return false }
	pods := len(old.PodTemplates()) > 0 || len(new.PodTemplates()) > 0
	switch {
	case new.Kind == rbac.ClusterRoleKind:
		read = func(string) bool { return true }
	case new.Kind == "Namespace" || pods:
		k := selectorKeys.For(env)
		read = func(key string) bool {
			return k.all || k.keys[key] || key == netpol.NamespaceNameLabel || strings.HasPrefix(key, "pod-security.kubernetes.io/")
		}
	}
	images := len(env.Inv.ImageData().Vulnerabilities) > 0
	return equality.Semantic.DeepEqual(unread(old, read, pods, images), unread(new, read, pods, images))
}

// unread is a copy of o without what keepsPaths says no engine reads.
func unread(o *inventory.Object, read func(string) bool, pods, images bool) any {
	c := inventory.New(o.Obj.DeepCopyObject(), o.Source, o.Lines)
	strip := func(l map[string]string, read func(string) bool) map[string]string {
		for k := range l {
			if !read(k) {
				delete(l, k)
			}
		}
		if len(l) == 0 {
			return nil
		}
		return l
	}
	c.Meta.SetLabels(strip(c.Meta.GetLabels(), read))
	c.Meta.SetResourceVersion("")
	c.Meta.SetGeneration(0)
	c.Meta.SetManagedFields(nil)
	if !pods {
		return c.Obj
	}
	c.Meta.SetAnnotations(strip(c.Meta.GetAnnotations(), podSecurityAnnotation))
	for _, t := range c.PodTemplates() {
		t.Meta.Labels = strip(t.Meta.Labels, read)
		t.Meta.Annotations = strip(t.Meta.Annotations, podSecurityAnnotation)
		if !images {
			for i := range t.Spec.InitContainers {
				t.Spec.InitContainers[i].Image = ""
			}
			for i := range t.Spec.Containers {
				t.Spec.Containers[i].Image = ""
			}
			for i := range t.Spec.EphemeralContainers {
				t.Spec.EphemeralContainers[i].Image = ""
			}
		}
	}
	switch x := c.Obj.(type) {
	case *appsv1.Deployment:
		x.Spec.Replicas, x.Status = nil, appsv1.DeploymentStatus{}
	case *appsv1.StatefulSet:
		x.Spec.Replicas, x.Status = nil, appsv1.StatefulSetStatus{}
	case *appsv1.ReplicaSet:
		x.Spec.Replicas, x.Status = nil, appsv1.ReplicaSetStatus{}
	case *appsv1.DaemonSet:
		x.Status = appsv1.DaemonSetStatus{}
	case *batchv1.Job:
		x.Status = batchv1.JobStatus{}
	case *batchv1.CronJob:
		x.Status = batchv1.CronJobStatus{}
	}
	return c.Obj
}

// podSecurityAnnotation says whether Pod Security may read a pod annotation: the deprecated
// AppArmor and seccomp ones.
func podSecurityAnnotation(key string) bool {
	return strings.Contains(key, "apparmor") || strings.Contains(key, "seccomp")
}
