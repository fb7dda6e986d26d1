package monitor

import (
	"cmp"
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/informers"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/live"
)

// source is one watched resource.
type source struct {
	res      live.Resource
	informer cache.SharedIndexInformer
	// err is the last list or watch error, until the informer syncs.
	mu  sync.Mutex
	err error
}

func (s *source) setErr(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
}

func (s *source) getErr() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// watchers are the informers over every resource the cluster loader reads (the kinds of
// scan --cluster and deploy/rbac.yaml) that the server serves.
type watchers struct {
	sources []*source
	// tls watches kubernetes.io/tls Secrets in full (certificates only, see live.Cluster);
	// the Secrets source watches every Secret by metadata.
	tls     cache.SharedIndexInformer
	types   *live.SecretTypeReader
	typesMu sync.Mutex
	typeOf  map[types.UID]corev1.SecretType
	start   []func(<-chan struct{})
	// rank is each kind's place in the loader's order of resources.
	rank map[string]int

	// dirty are the objects that changed since the last take.
	dirtyMu sync.Mutex
	dirty   map[skey]bool
}

// skey names an object in the informers: its source and its store key (namespace/name).
type skey struct {
	src *source
	key string
}

// controllerIndex indexes Pods, ReplicaSets and Jobs by the UID of their controller, so that
// a workload that comes or goes finds the objects it stands for.
const controllerIndex = "controller"

func newWatchers(ctx context.Context, cfg *rest.Config, onEvent func()) (*watchers, error) {
	cfg = rest.CopyConfig(cfg)
	if cfg.UserAgent == "" {
		cfg.UserAgent = "kubeharden-monitor"
	}
	cfg.WarningHandler = rest.NoWarnings{}
	pcfg := rest.CopyConfig(cfg)
	pcfg.ContentType = runtime.ContentTypeProtobuf
	pcfg.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	cs, err := kubernetes.NewForConfig(pcfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	mc, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	disco, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	str, err := live.NewSecretTypeReader(cfg)
	if err != nil {
		return nil, err
	}
	w := &watchers{types: str, rank: map[string]int{}, dirty: map[skey]bool{}}

	typed := informers.NewSharedInformerFactoryWithOptions(cs, 0, informers.WithTransform(typedTransform))
	custom := dynamicinformer.NewDynamicSharedInformerFactory(dyn, 0)
	meta := metadatainformer.NewSharedInformerFactory(mc, 0)
	w.start = []func(<-chan struct{}){typed.Start, custom.Start, meta.Start}

	served, err := servedResources(disco)
	if err != nil {
		return nil, err
	}
	for _, r := range live.Resources() {
		s := &source{res: r}
		switch {
		case r.Custom:
			v, ok := served.custom(r)
			if !ok {
				continue
			}
			s.res.Version = v
			s.informer = custom.ForResource(s.res.GroupVersionResource()).Informer()
			if err := s.informer.SetTransform(customTransform); err != nil {
				return nil, err
			}
		case !served.has(r.GroupVersionResource()):
			continue
		case r.Group == "" && r.Resource == "secrets":
			s.informer = meta.ForResource(r.GroupVersionResource()).Informer()
			if err := s.informer.SetTransform(w.secretTransform(ctx)); err != nil {
				return nil, err
			}
			w.tls = coreinformers.NewFilteredSecretInformer(cs, metav1.NamespaceAll, 0, cache.Indexers{}, func(o *metav1.ListOptions) {
				o.FieldSelector = "type=" + string(corev1.SecretTypeTLS)
			})
			if err := w.tls.SetTransform(typedTransform); err != nil {
				return nil, err
			}
			tls := w.tls
			w.start = append(w.start, func(stop <-chan struct{}) { go tls.Run(stop) })
			if _, err := w.tls.AddEventHandler(w.handler(s, onEvent)); err != nil {
				return nil, err
			}
		default:
			gi, err := typed.ForResource(r.GroupVersionResource())
			if err != nil {
				return nil, fmt.Errorf("no informer for %s: %w", r.Name(), err)
			}
			s.informer = gi.Informer()
		}
		src := s
		if err := s.informer.SetWatchErrorHandler(func(_ *cache.Reflector, err error) { src.setErr(err) }); err != nil {
			return nil, err
		}
		if _, err := s.informer.AddEventHandler(w.handler(s, onEvent)); err != nil {
			return nil, err
		}
		if controlled(r.Kind) {
			if err := s.informer.AddIndexers(cache.Indexers{controllerIndex: controllerOf}); err != nil {
				return nil, err
			}
		}
		if _, ok := w.rank[r.Kind]; !ok {
			w.rank[r.Kind] = len(w.sources)
		}
		w.sources = append(w.sources, s)
	}
	// The type of every Secret that exists now, in one list; those created later are read
	// one by one as they come.
	if w.typeOf, err = str.All(ctx, metav1.NamespaceAll); err != nil {
		w.typeOf = map[types.UID]corev1.SecretType{}
	}
	return w, nil
}

// handler notes the object of each event of s as changed, and wakes the monitor.
func (w *watchers) handler(s *source, onEvent func()) cache.ResourceEventHandler {
	note := func(obj any) {
		k, err := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
		if err != nil {
			return
		}
		w.dirtyMu.Lock()
		w.dirty[skey{s, k}] = true
		w.dirtyMu.Unlock()
		onEvent()
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    note,
		UpdateFunc: func(_, obj any) { note(obj) },
		DeleteFunc: note,
	}
}

// take returns the objects that changed since the last take.
func (w *watchers) take() map[skey]bool {
	w.dirtyMu.Lock()
	defer w.dirtyMu.Unlock()
	d := w.dirty
	w.dirty = map[skey]bool{}
	return d
}

// get returns the object k names as the loader reads it (a TLS Secret in full), or nil.
func (w *watchers) get(k skey) runtime.Object {
	it, ok, err := k.src.informer.GetStore().GetByKey(k.key)
	if err != nil || !ok {
		return nil
	}
	o, ok := it.(runtime.Object)
	if !ok {
		return nil
	}
	if sec, ok := o.(*corev1.Secret); ok && w.tls != nil {
		if full, ok, _ := w.tls.GetStore().GetByKey(k.key); ok && full.(*corev1.Secret).UID == sec.UID {
			o = full.(*corev1.Secret)
		}
	}
	return o
}

// keys returns the keys of the objects of src that index names under v.
func (w *watchers) keys(src *source, index, v string) []string {
	ks, err := src.informer.GetIndexer().IndexKeys(index, v)
	if err != nil {
		return nil
	}
	return ks
}

// controlled says whether objects of kind are left out when a workload read controls them
// (see live.HasPodTemplate).
func controlled(kind string) bool { return kind == "Pod" || kind == "ReplicaSet" || kind == "Job" }

func controllerOf(obj any) ([]string, error) {
	mo, ok := obj.(metav1.Object)
	if !ok {
		return nil, nil
	}
	if c := metav1.GetControllerOfNoCopy(mo); c != nil {
		return []string{string(c.UID)}, nil
	}
	return nil, nil
}

func (w *watchers) run(stop <-chan struct{}) {
	for _, s := range w.start {
		s(stop)
	}
}

// synced says whether every source has synced or failed; failed lists those that failed.
func (w *watchers) synced() (done bool, failed []*source) {
	done = true
	for _, s := range w.sources {
		if s.informer.HasSynced() {
			continue
		}
		if s.getErr() != nil {
			failed = append(failed, s)
			continue
		}
		done = false
	}
	if w.tls != nil && !w.tls.HasSynced() {
		done = false
	}
	return done, failed
}

// item is an object the informers hold, with its key.
type item struct {
	skey
	obj runtime.Object
}

// objects returns every object the informers hold, resource by resource in the loader's
// order, each sorted by namespace and name as the API server lists them.
func (w *watchers) objects() []item {
	var out []item
	for _, s := range w.sources {
		keys := s.informer.GetStore().ListKeys()
		sort.Slice(keys, func(i, j int) bool { return lessKey(keys[i], keys[j]) })
		for _, k := range keys {
			if o := w.get(skey{s, k}); o != nil {
				out = append(out, item{skey{s, k}, o})
			}
		}
	}
	return out
}

// lessKey orders store keys (namespace/name, or name) by namespace, then name.
func lessKey(a, b string) bool {
	an, aname, aok := strings.Cut(a, "/")
	bn, bname, bok := strings.Cut(b, "/")
	if !aok {
		an, aname = "", a
	}
	if !bok {
		bn, bname = "", b
	}
	if an != bn {
		return an < bn
	}
	return aname < bname
}

// order is the inventory order of the loader: resource by resource, then namespace and name.
func (w *watchers) order(a, b *inventory.Object) int {
	return cmp.Or(cmp.Compare(w.rankOf(a.Kind), w.rankOf(b.Kind)), cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
}

func (w *watchers) rankOf(kind string) int {
	if r, ok := w.rank[kind]; ok {
		return r
	}
	return len(w.sources)
}

// typedTransform makes an object from a typed informer what live.Cluster reads: its kind
// set, and tidied.
func typedTransform(obj any) (any, error) {
	o, ok := obj.(runtime.Object)
	if !ok {
		return obj, nil
	}
	if o.GetObjectKind().GroupVersionKind().Kind == "" {
		if gvks, _, err := scheme.Scheme.ObjectKinds(o); err == nil && len(gvks) > 0 {
			o.GetObjectKind().SetGroupVersionKind(gvks[0])
		}
	}
	live.Tidy(o)
	return o, nil
}

func customTransform(obj any) (any, error) {
	if o, ok := obj.(runtime.Object); ok {
		live.Tidy(o)
	}
	return obj, nil
}

// secretTransform turns a Secret's metadata into a Secret without data, with its type.
func (w *watchers) secretTransform(ctx context.Context) cache.TransformFunc {
	gvk := corev1.SchemeGroupVersion.WithKind("Secret")
	return func(obj any) (any, error) {
		pom, ok := obj.(*metav1.PartialObjectMetadata)
		if !ok {
			return obj, nil
		}
		s := &corev1.Secret{ObjectMeta: pom.ObjectMeta}
		s.SetGroupVersionKind(gvk)
		s.Type = w.secretType(ctx, s)
		live.Tidy(s)
		return s, nil
	}
}

func (w *watchers) secretType(ctx context.Context, s *corev1.Secret) corev1.SecretType {
	w.typesMu.Lock()
	t, ok := w.typeOf[s.UID]
	w.typesMu.Unlock()
	if ok || s.DeletionTimestamp != nil {
		return t
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	t, err := w.types.One(ctx, s.Namespace, s.Name)
	if err != nil {
		return ""
	}
	w.typesMu.Lock()
	w.typeOf[s.UID] = t
	w.typesMu.Unlock()
	return t
}

// served is what discovery says the server serves.
type served struct {
	gvr       map[schema.GroupVersionResource]bool
	preferred map[string]string
	versions  map[string][]string
}

func servedResources(disco discovery.DiscoveryInterface) (*served, error) {
	groups, lists, err := disco.ServerGroupsAndResources()
	if err != nil && len(lists) == 0 {
		return nil, fmt.Errorf("API discovery: %w", err)
	}
	s := &served{gvr: map[schema.GroupVersionResource]bool{}, preferred: map[string]string{}, versions: map[string][]string{}}
	for _, rl := range lists {
		gv, err := schema.ParseGroupVersion(rl.GroupVersion)
		if err != nil {
			continue
		}
		for _, r := range rl.APIResources {
			if !strings.Contains(r.Name, "/") {
				s.gvr[gv.WithResource(r.Name)] = true
			}
		}
	}
	for _, g := range groups {
		s.preferred[g.Name] = g.PreferredVersion.Version
		for _, v := range g.Versions {
			s.versions[g.Name] = append(s.versions[g.Name], v.Version)
		}
	}
	return s, nil
}

func (s *served) has(gvr schema.GroupVersionResource) bool { return s.gvr[gvr] }

// custom is the version a custom resource is read in: the preferred one, else the first
// served that has it, as live.Cluster chooses.
func (s *served) custom(r live.Resource) (string, bool) {
	for _, v := range append([]string{s.preferred[r.Group]}, s.versions[r.Group]...) {
		if s.gvr[schema.GroupVersionResource{Group: r.Group, Version: v, Resource: r.Resource}] {
			return v, true
		}
	}
	return "", false
}
