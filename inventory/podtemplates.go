package inventory

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// PodTemplate is a pod spec found in an object: a Pod's own, a workload's template, or a
// custom resource's spec.template.
type PodTemplate struct {
	Owner *Object
	Meta  *metav1.ObjectMeta
	Spec  *corev1.PodSpec
	// Path is the field path of Spec inside Owner ("spec.template.spec"), MetaPath of Meta.
	Path, MetaPath string
}

// Namespace is the effective namespace the pods run in.
func (p PodTemplate) Namespace() string { return p.Owner.EffectiveNamespace() }

// Labels are the labels the pods carry.
func (p PodTemplate) Labels() map[string]string { return p.Meta.Labels }

// ServiceAccount is the service account the pods run as, defaulted as the API server does.
func (p PodTemplate) ServiceAccount() string {
	if p.Spec.ServiceAccountName != "" {
		return p.Spec.ServiceAccountName
	}
	if p.Spec.DeprecatedServiceAccount != "" {
		return p.Spec.DeprecatedServiceAccount
	}
	return "default"
}

// ContainerRef is one container of a pod template with its field path.
type ContainerRef struct {
	Container *corev1.Container
	Path      string // "spec.template.spec.containers[0]"
	Init      bool
}

// Containers returns the init and regular containers, init first as the kubelet runs them.
// Ephemeral containers are left out: they carry no resources, ports or probes.
func (p PodTemplate) Containers() []ContainerRef {
	out := make([]ContainerRef, 0, len(p.Spec.InitContainers)+len(p.Spec.Containers))
	for i := range p.Spec.InitContainers {
		out = append(out, ContainerRef{&p.Spec.InitContainers[i], indexPath(p.Path+".initContainers", i), true})
	}
	for i := range p.Spec.Containers {
		out = append(out, ContainerRef{&p.Spec.Containers[i], indexPath(p.Path+".containers", i), false})
	}
	return out
}

// Images returns every image the pods run, ephemeral containers included, with the path of
// each image field.
func (p PodTemplate) Images() []ImageRef {
	var out []ImageRef
	for i := range p.Spec.InitContainers {
		c := &p.Spec.InitContainers[i]
		out = append(out, ImageRef{c.Image, c.ImagePullPolicy, c.Name, indexPath(p.Path+".initContainers", i)})
	}
	for i := range p.Spec.Containers {
		c := &p.Spec.Containers[i]
		out = append(out, ImageRef{c.Image, c.ImagePullPolicy, c.Name, indexPath(p.Path+".containers", i)})
	}
	for i := range p.Spec.EphemeralContainers {
		c := &p.Spec.EphemeralContainers[i]
		out = append(out, ImageRef{c.Image, c.ImagePullPolicy, c.Name, indexPath(p.Path+".ephemeralContainers", i)})
	}
	return out
}

// ImageRef is one container's image reference. Path is the container's field path.
type ImageRef struct {
	Image      string
	PullPolicy corev1.PullPolicy
	Container  string
	Path       string
}

func indexPath(p string, i int) string {
	return p + "[" + strconv.Itoa(i) + "]"
}

// PodTemplates returns the pod templates of o alone (see Inventory.PodTemplates).
func (o *Object) PodTemplates() []PodTemplate { return appendPodTemplates(nil, o) }

func appendPodTemplates(out []PodTemplate, o *Object) []PodTemplate {
	add := func(meta *metav1.ObjectMeta, spec *corev1.PodSpec, path string) {
		out = append(out, PodTemplate{Owner: o, Meta: meta, Spec: spec, Path: path + ".spec", MetaPath: path + ".metadata"})
	}
	switch w := o.Obj.(type) {
	case *corev1.Pod:
		out = append(out, PodTemplate{Owner: o, Meta: &w.ObjectMeta, Spec: &w.Spec, Path: "spec", MetaPath: "metadata"})
	case *appsv1.Deployment:
		add(&w.Spec.Template.ObjectMeta, &w.Spec.Template.Spec, "spec.template")
	case *appsv1.StatefulSet:
		add(&w.Spec.Template.ObjectMeta, &w.Spec.Template.Spec, "spec.template")
	case *appsv1.DaemonSet:
		add(&w.Spec.Template.ObjectMeta, &w.Spec.Template.Spec, "spec.template")
	case *appsv1.ReplicaSet:
		add(&w.Spec.Template.ObjectMeta, &w.Spec.Template.Spec, "spec.template")
	case *batchv1.Job:
		add(&w.Spec.Template.ObjectMeta, &w.Spec.Template.Spec, "spec.template")
	case *batchv1.CronJob:
		add(&w.Spec.JobTemplate.Spec.Template.ObjectMeta, &w.Spec.JobTemplate.Spec.Template.Spec, "spec.jobTemplate.spec.template")
	case *corev1.ReplicationController:
		if w.Spec.Template != nil {
			add(&w.Spec.Template.ObjectMeta, &w.Spec.Template.Spec, "spec.template")
		}
	case *corev1.PodTemplate:
		add(&w.Template.ObjectMeta, &w.Template.Spec, "template")
	case *unstructured.Unstructured:
		if t := customTemplate(w); t != nil {
			add(&t.ObjectMeta, &t.Spec, "spec.template")
		}
	default:
		if t, path := legacyTemplate(o.Obj); t != nil {
			add(&t.ObjectMeta, &t.Spec, path)
		}
	}
	return out
}

// legacyTemplate finds the pod template of the deprecated workload versions the scheme still
// decodes (extensions/v1beta1, apps/v1beta1 and v1beta2, batch/v1beta1), which old manifests
// use: their specs have the same Template (or JobTemplate.Spec.Template) fields.
func legacyTemplate(obj runtime.Object) (*corev1.PodTemplateSpec, string) {
	v := reflect.ValueOf(obj)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, ""
	}
	f := templateFieldOf(v.Type().Elem())
	if f.path == "" {
		return nil, ""
	}
	return v.Elem().FieldByIndex(f.index).Addr().Interface().(*corev1.PodTemplateSpec), f.path
}

// templateField is where a struct type keeps its pod template; path is empty for types
// without one.
type templateField struct {
	index []int
	path  string
}

// templateFields caches templateFieldOf by type: every object that is not a workload of a
// current version (Services, ConfigMaps, ...) is asked for its template, at least once on
// loading and once on building the inventory, and looking fields up by name costs more
// than its decoding's share.
var templateFields sync.Map // reflect.Type → templateField

// templateFieldOf finds spec.template or spec.jobTemplate.spec.template, of type
// corev1.PodTemplateSpec, in struct type t.
func templateFieldOf(t reflect.Type) templateField {
	if f, ok := templateFields.Load(t); ok {
		return f.(templateField)
	}
	var f templateField
	if spec, ok := t.FieldByName("Spec"); ok && spec.Type.Kind() == reflect.Struct {
		if i, ok := templateIndex(spec.Type); ok {
			f = templateField{index: append(slices.Clone(spec.Index), i...), path: "spec.template"}
		} else if jt, ok := spec.Type.FieldByName("JobTemplate"); ok && jt.Type.Kind() == reflect.Struct {
			if js, ok := jt.Type.FieldByName("Spec"); ok && js.Type.Kind() == reflect.Struct {
				if i, ok := templateIndex(js.Type); ok {
					index := append(append(slices.Clone(spec.Index), jt.Index...), js.Index...)
					f = templateField{index: append(index, i...), path: "spec.jobTemplate.spec.template"}
				}
			}
		}
	}
	templateFields.Store(t, f)
	return f
}

// templateIndex finds a field Template of type corev1.PodTemplateSpec in struct type t.
func templateIndex(t reflect.Type) ([]int, bool) {
	f, ok := t.FieldByName("Template")
	if !ok || f.Type != reflect.TypeFor[corev1.PodTemplateSpec]() {
		return nil, false
	}
	return f.Index, true
}

// podTemplateKinds are custom workload kinds whose spec.template is a pod template, with or
// without containers: an OpenShift DeploymentConfig without containers is judged as a
// Deployment without containers is (and both are input errors, see load).
var podTemplateKinds = map[string]bool{
	"apps.openshift.io DeploymentConfig": true,
	"argoproj.io Rollout":                true,
	"apps.kruise.io CloneSet":            true,
}

// customTemplate reads spec.template of a custom resource (Argo Rollouts, OpenKruise, ...) when
// it holds a pod template with containers, or the kind is one of podTemplateKinds.
func customTemplate(u *unstructured.Unstructured) *corev1.PodTemplateSpec {
	raw, found, err := unstructured.NestedMap(u.Object, "spec", "template")
	if err != nil || !found {
		return nil
	}
	group, _, _ := strings.Cut(u.GetAPIVersion(), "/")
	if _, ok, _ := unstructured.NestedSlice(raw, "spec", "containers"); !ok && !podTemplateKinds[group+" "+u.GetKind()] {
		return nil
	}
	var t corev1.PodTemplateSpec
	if runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &t) != nil {
		return nil
	}
	return &t
}
