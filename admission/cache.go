package admission

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/cache"

	"github.com/kubeharden/kubeharden/inventory"
)

// Cache keeps what the webhook needs of the cluster in informer caches: Namespaces (for Pod
// Security labels), LimitRanges and ResourceQuotas (resource defaults), and the RBAC objects
// and ServiceAccounts (so that a binding that opens an escalation path is judged against the
// roles and subjects that exist): CachedKinds.
type Cache struct {
	factory   informers.SharedInformerFactory
	informers []cache.SharedIndexInformer
	synced    atomic.Bool

	// version counts changes; objs is the snapshot of version built.
	version atomic.Int64
	mu      sync.Mutex
	built   int64
	objs    []*inventory.Object
}

// NewCache returns a cache over client; Start fills it.
func NewCache(client kubernetes.Interface, resync time.Duration) *Cache {
	f := informers.NewSharedInformerFactory(client, resync)
	c := &Cache{factory: f, built: -1}
	c.informers = []cache.SharedIndexInformer{
		f.Core().V1().Namespaces().Informer(),
		f.Core().V1().LimitRanges().Informer(),
		f.Core().V1().ResourceQuotas().Informer(),
		f.Rbac().V1().Roles().Informer(),
		f.Rbac().V1().ClusterRoles().Informer(),
		f.Rbac().V1().RoleBindings().Informer(),
		f.Rbac().V1().ClusterRoleBindings().Informer(),
		f.Core().V1().ServiceAccounts().Informer(),
	}
	bump := func(any) { c.version.Add(1) }
	for _, inf := range c.informers {
		_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc: bump, DeleteFunc: bump, UpdateFunc: func(_, o any) { bump(o) },
		})
	}
	return c
}

// Start runs the informers until ctx ends and waits for their first list.
func (c *Cache) Start(ctx context.Context) bool {
	c.factory.Start(ctx.Done())
	for _, ok := range c.factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return false
		}
	}
	c.synced.Store(true)
	return true
}

// Version implements Cluster.
func (c *Cache) Version() int64 { return c.version.Load() }

// Synced implements Cluster.
func (c *Cache) Synced() bool { return c.synced.Load() }

// Objects implements Cluster: the cached objects, rebuilt after a change.
func (c *Cache) Objects() []*inventory.Object {
	v := c.version.Load()
	c.mu.Lock()
	defer c.mu.Unlock()
	if v == c.built {
		return c.objs
	}
	var objs []*inventory.Object
	for _, inf := range c.informers {
		for _, item := range inf.GetStore().List() {
			if o := wrap(item); o != nil {
				objs = append(objs, o)
			}
		}
	}
	c.objs, c.built = objs, v
	return objs
}

// wrap turns a cached typed object into an inventory object; informers drop the type meta.
func wrap(item any) *inventory.Object {
	obj, ok := item.(runtime.Object)
	if !ok {
		return nil
	}
	gvks, _, err := scheme.Scheme.ObjectKinds(obj)
	if err != nil || len(gvks) == 0 {
		return nil
	}
	obj = obj.DeepCopyObject()
	obj.GetObjectKind().SetGroupVersionKind(gvks[0])
	return inventory.New(obj, inventory.Source{}, nil)
}
