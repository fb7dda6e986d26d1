package testcluster

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// FieldManager is the server-side apply field manager of objects Apply writes.
const FieldManager = "kubeharden-test"

// ApplyResult says what Apply did with each object.
type ApplyResult struct {
	Applied int
	// Unserved are objects whose kind the server does not serve (e.g. a custom resource
	// without its CRD), left out.
	Unserved []*unstructured.Unstructured
	// Failed are objects the server rejected, with its error.
	Failed map[*unstructured.Unstructured]error
}

// Apply server-side applies objs with up to workers concurrent requests: CRDs and Namespaces
// first (so that what lives in them can be created), then the rest. Namespaced objects without
// a namespace go to "default", as with kubectl apply.
func Apply(ctx context.Context, cfg *rest.Config, objs []*unstructured.Unstructured, workers int) (*ApplyResult, error) {
	if workers < 1 {
		workers = 1
	}
	// Pod Security "would violate" warnings flood the test log; rejections still fail.
	cfg = rest.CopyConfig(cfg)
	cfg.WarningHandler = rest.NoWarnings{}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	res := &ApplyResult{Failed: map[*unstructured.Unstructured]error{}}
	var first, rest []*unstructured.Unstructured
	for _, o := range objs {
		switch o.GroupVersionKind().GroupKind().String() {
		case "Namespace", "CustomResourceDefinition.apiextensions.k8s.io":
			first = append(first, o)
		default:
			rest = append(rest, o)
		}
	}
	for i, batch := range [][]*unstructured.Unstructured{first, rest} {
		if len(batch) == 0 {
			continue
		}
		// Re-read discovery per batch: CRDs from the first batch add kinds for the second.
		groups, err := restmapper.GetAPIGroupResources(dc)
		if err != nil && len(groups) == 0 {
			return nil, err
		}
		mapper := restmapper.NewDiscoveryRESTMapper(groups)
		var mu sync.Mutex
		work := make(chan *unstructured.Unstructured)
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for o := range work {
					err := applyOne(ctx, dyn, mapper, o)
					mu.Lock()
					switch {
					case err == nil:
						res.Applied++
					case meta.IsNoMatchError(err):
						res.Unserved = append(res.Unserved, o)
					default:
						res.Failed[o] = err
					}
					mu.Unlock()
				}
			}()
		}
		for _, o := range batch {
			work <- o
		}
		close(work)
		wg.Wait()
		if i == 0 {
			if err := waitEstablished(ctx, dc, first); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

func applyOne(ctx context.Context, dyn dynamic.Interface, mapper meta.RESTMapper, o *unstructured.Unstructured) error {
	gvk := o.GroupVersionKind()
	m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return err
	}
	o = o.DeepCopy()
	var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if o.GetNamespace() == "" {
			o.SetNamespace(corev1.NamespaceDefault)
		}
		ri = dyn.Resource(m.Resource).Namespace(o.GetNamespace())
	} else {
		o.SetNamespace("")
	}
	o.SetResourceVersion("")
	o.SetManagedFields(nil)
	_, err = ri.Apply(ctx, o.GetName(), o, metav1.ApplyOptions{FieldManager: FieldManager, Force: true})
	return err
}

// waitEstablished waits until the kinds of the applied CRDs appear in discovery.
func waitEstablished(ctx context.Context, dc discovery.DiscoveryInterface, objs []*unstructured.Unstructured) error {
	var want []string
	for _, o := range objs {
		if o.GetKind() != "CustomResourceDefinition" {
			continue
		}
		group, _, _ := unstructured.NestedString(o.Object, "spec", "group")
		plural, _, _ := unstructured.NestedString(o.Object, "spec", "names", "plural")
		want = append(want, plural+"."+group)
	}
	if len(want) == 0 {
		return nil
	}
	for {
		groups, _ := restmapper.GetAPIGroupResources(dc)
		have := map[string]bool{}
		for _, g := range groups {
			for _, rs := range g.VersionedResources {
				for _, r := range rs {
					have[r.Name+"."+g.Group.Name] = true
				}
			}
		}
		missing := 0
		for _, w := range want {
			if !have[w] {
				missing++
			}
		}
		if missing == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("CRDs not served: %w", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// ToUnstructured converts typed objects (with apiVersion and kind set) for Apply.
func ToUnstructured(objs ...runtime.Object) ([]*unstructured.Unstructured, error) {
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for _, o := range objs {
		if u, ok := o.(*unstructured.Unstructured); ok {
			out = append(out, u)
			continue
		}
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			return nil, err
		}
		u := &unstructured.Unstructured{Object: m}
		if u.GetKind() == "" {
			return nil, fmt.Errorf("object %T has no kind set", o)
		}
		out = append(out, u)
	}
	return out, nil
}

// Namespace creates a namespace with a random suffix for one test and deletes it when the test
// ends (no controller runs, so the namespace's objects stay in etcd until the cluster stops).
func (c *Cluster) Namespace(t testing.TB, prefix string, labels map[string]string) string {
	t.Helper()
	cs := kubernetes.NewForConfigOrDie(c.Admin)
	name := prefix + "-" + rand.String(5)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	if _, err := cs.CoreV1().Namespaces().Create(context.Background(), ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	t.Cleanup(func() {
		err := cs.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Logf("delete namespace %s: %v", name, err)
		}
	})
	return name
}

// SortedErrors lists Apply's failures as "Kind ns/name: error" lines, sorted.
func (r *ApplyResult) SortedErrors() []string {
	var out []string
	for o, err := range r.Failed {
		out = append(out, fmt.Sprintf("%s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err))
	}
	sort.Strings(out)
	return out
}
