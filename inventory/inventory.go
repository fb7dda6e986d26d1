// Package inventory holds the Kubernetes objects a scan judges, wherever they came from (files,
// charts, a live cluster, a snapshot), with the place each came from and indexes that make
// checks lookups rather than scans.
package inventory

import (
	"sort"
	"sync"
	"sync/atomic"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// DefaultNamespace is where a namespaced object without a namespace lands, as with kubectl apply.
const DefaultNamespace = "default"

// Ref identifies an object the way the JSON report does.
type Ref struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace"`
	Name       string `json:"name"`
}

// String renders the ref as kubectl does: Kind/name, with the namespace in front when set.
func (r Ref) String() string {
	if r.Namespace == "" {
		return r.Kind + "/" + r.Name
	}
	return r.Namespace + "/" + r.Kind + "/" + r.Name
}

// Source is where an object was read from. File is empty for live objects.
type Source struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	// Rendered is set when File is a template (in a Helm chart) and lines count lines of the
	// template's rendered output, not of the file as written.
	Rendered bool `json:"rendered,omitempty"`
	// Build is the directory of the kustomization that was built to make the object (the
	// one given as input, not a base File is in); empty for objects no kustomization built.
	// Fixes of such objects become patches of that kustomization.
	Build string `json:"-"`
}

// Object is one Kubernetes object. Obj is a typed k8s.io/api object for known kinds and
// *unstructured.Unstructured otherwise (CRDs, unknown kinds); it is never nil.
type Object struct {
	Ref
	Obj    runtime.Object
	Meta   metav1.Object
	Source Source
	// Lines maps field paths to the lines they start on; nil for live objects.
	Lines *LineTable
}

// New wraps a decoded object. meta must be the object's metadata accessor.
func New(obj runtime.Object, src Source, lines *LineTable) *Object {
	o := &Object{Obj: obj, Source: src, Lines: lines}
	gvk := obj.GetObjectKind().GroupVersionKind()
	o.APIVersion, o.Kind = gvk.GroupVersion().String(), gvk.Kind
	if m, ok := obj.(metav1.Object); ok {
		o.Meta = m
	} else {
		o.Meta = &metav1.ObjectMeta{}
	}
	o.Namespace, o.Name = o.Meta.GetNamespace(), o.Meta.GetName()
	return o
}

// Line is the line of the field at path ("spec.template.spec.containers[0].image"), or of its
// closest ancestor that the source spelled out, or of the object itself.
func (o *Object) Line(path string) int {
	if o.Lines != nil {
		if l := o.Lines.Find(path); l > 0 {
			return l
		}
	}
	return o.Source.Line
}

// Labels returns the object's labels (never nil-panicking).
func (o *Object) Labels() map[string]string { return o.Meta.GetLabels() }

// Annotations returns the object's annotations.
func (o *Object) Annotations() map[string]string { return o.Meta.GetAnnotations() }

// Unstructured returns the object as unstructured content when it was not decoded to a type.
func (o *Object) Unstructured() (*unstructured.Unstructured, bool) {
	u, ok := o.Obj.(*unstructured.Unstructured)
	return u, ok
}

// EffectiveNamespace is the namespace the object lives in: its own, DefaultNamespace for a
// namespaced object that names none, and "" for cluster-scoped kinds.
func (o *Object) EffectiveNamespace() string {
	if o.Namespace != "" {
		return o.Namespace
	}
	if ClusterScoped(o.APIVersion, o.Kind) {
		return ""
	}
	return DefaultNamespace
}

type key struct{ kind, ns, name string }

// Inventory is an indexed, read-only set of objects. Build it once with Build.
type Inventory struct {
	objects []*Object
	byKind  map[string][]*Object
	byKey   map[key]*Object
	byNS    map[string][]*Object
	nsNames []string
	pods    []PodTemplate
	// images is what was learned about container images besides the manifests.
	images *ImageData
	// root is the inventory a Subset was taken from.
	root *Inventory
	// owned says objects is the inventory's own copy, which Upsert and Delete may change.
	owned bool
	// order, when set, is where Upsert puts new objects (SetOrder).
	order func(a, b *Object) int

	memoMu sync.Mutex
	memo   map[any]*memoEntry
}

type memoEntry struct {
	once sync.Once
	v    any
	// done is set once v is built: only built values may be shared with another inventory
	// (With), since whoever builds first builds from their own inventory.
	done atomic.Bool
}

// Memo returns what build returns for key, calling build once per inventory however many
// goroutines ask at once. Checks share indexes that are costly to build this way, and the
// indexes go when the inventory goes, which a package-level cache would prevent. Keys are
// compared with ==; use a type of the caller's own package, as with context keys.
func (inv *Inventory) Memo(key any, build func() any) any {
	inv.memoMu.Lock()
	e := inv.memo[key]
	if e == nil {
		if inv.memo == nil {
			inv.memo = map[any]*memoEntry{}
		}
		e = &memoEntry{}
		inv.memo[key] = e
	}
	inv.memoMu.Unlock()
	e.once.Do(func() { e.v = build(); e.done.Store(true) })
	return e.v
}

// Build indexes objs. The order of objs is kept for All and ByKind.
func Build(objs []*Object) *Inventory {
	inv := &Inventory{
		objects: objs,
		byKind:  map[string][]*Object{},
		byKey:   make(map[key]*Object, len(objs)),
		byNS:    map[string][]*Object{},
	}
	seen := map[string]bool{}
	for _, o := range objs {
		ns := o.EffectiveNamespace()
		inv.byKind[o.Kind] = append(inv.byKind[o.Kind], o)
		inv.byKey[key{o.Kind, ns, o.Name}] = o
		if ns != "" {
			inv.byNS[ns] = append(inv.byNS[ns], o)
			seen[ns] = true
		}
		if o.Kind == "Namespace" && o.APIVersion == "v1" {
			seen[o.Name] = true
		}
		inv.pods = appendPodTemplates(inv.pods, o)
	}
	for ns := range seen {
		inv.nsNames = append(inv.nsNames, ns)
	}
	sort.Strings(inv.nsNames)
	return inv
}

// Len is the number of objects.
func (inv *Inventory) Len() int { return len(inv.objects) }

// All returns every object in load order.
func (inv *Inventory) All() []*Object { return inv.objects }

// ByKind returns the objects of a kind ("Deployment"), in load order.
func (inv *Inventory) ByKind(kind string) []*Object { return inv.byKind[kind] }

// Get finds an object by kind, effective namespace ("" for cluster-scoped) and name.
func (inv *Inventory) Get(kind, namespace, name string) *Object {
	return inv.byKey[key{kind, namespace, name}]
}

// InNamespace returns the namespaced objects whose effective namespace is ns.
func (inv *Inventory) InNamespace(ns string) []*Object { return inv.byNS[ns] }

// Namespaces lists, sorted, every namespace that is declared or that holds an object.
func (inv *Inventory) Namespaces() []string { return inv.nsNames }

// Namespace returns the Namespace object named ns, or nil when it was not loaded.
func (inv *Inventory) Namespace(ns string) *Object { return inv.Get("Namespace", "", ns) }

// Select returns the objects of kind in namespace ns whose labels match sel.
func (inv *Inventory) Select(kind, ns string, sel labels.Selector) []*Object {
	var out []*Object
	for _, o := range inv.byNS[ns] {
		if o.Kind == kind && sel.Matches(labels.Set(o.Labels())) {
			out = append(out, o)
		}
	}
	return out
}

// PodTemplates returns the pod spec of every workload and pod, in load order.
func (inv *Inventory) PodTemplates() []PodTemplate { return inv.pods }

// PodTemplatesIn returns the pod templates whose owner lives in namespace ns.
func (inv *Inventory) PodTemplatesIn(ns string) []PodTemplate {
	var out []PodTemplate
	for _, p := range inv.pods {
		if p.Owner.EffectiveNamespace() == ns {
			out = append(out, p)
		}
	}
	return out
}
