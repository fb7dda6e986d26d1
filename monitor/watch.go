package monitor

import (
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
}

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
	w := &watchers{types: str}

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
			if _, err := w.tls.AddEventHandler(handler(onEvent)); err != nil {
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
		if _, err := s.informer.AddEventHandler(handler(onEvent)); err != nil {
			return nil, err
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

func handler(onEvent func()) cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { onEvent() },
		UpdateFunc: func(any, any) { onEvent() },
		DeleteFunc: func(any) { onEvent() },
	}
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

// objects returns every object the informers hold, resource by resource in the loader's
// order, each sorted by namespace and name as the API server lists them.
func (w *watchers) objects() []runtime.Object {
	tls := map[types.UID]runtime.Object{}
	if w.tls != nil {
		for _, o := range w.tls.GetStore().List() {
			s := o.(*corev1.Secret)
			tls[s.UID] = s
		}
	}
	var out []runtime.Object
	for _, s := range w.sources {
		items := s.informer.GetStore().List()
		objs := make([]runtime.Object, 0, len(items))
		for _, it := range items {
			o, ok := it.(runtime.Object)
			if !ok {
				continue
			}
			if sec, ok := o.(*corev1.Secret); ok {
				if full, ok := tls[sec.UID]; ok {
					o = full
				}
			}
			objs = append(objs, o)
		}
		sort.Slice(objs, func(i, j int) bool {
			a, b := objs[i].(metav1.Object), objs[j].(metav1.Object)
			if a.GetNamespace() != b.GetNamespace() {
				return a.GetNamespace() < b.GetNamespace()
			}
			return a.GetName() < b.GetName()
		})
		out = append(out, objs...)
	}
	return out
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
