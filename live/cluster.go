// Package live reads a running cluster into inventory objects: Cluster lists, through the
// API server, every kind the registered checks read (Resources), tidies and redacts what it
// read as a snapshot of the cluster would, and collects the cluster's facts (versions, the API
// server's flags, deprecated API use). The watcher of kubeharden monitor shares its pieces
// (Tidy, Objects, FillFacts, SecretTypeReader) so that an object read by a watch is the
// object scan --cluster would have read. Files, Helm charts and kustomizations are package
// load's.
package live

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kubeharden/kubeharden/internal/apiserverflags"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/internal/parallel"
	"github.com/kubeharden/kubeharden/inventory"
)

// Options tune Cluster.
type Options struct {
	// Namespace limits namespaced kinds to one namespace (and the Namespace kind to that one
	// object); empty reads every namespace. Cluster-scoped kinds are always read.
	Namespace string
	// Workers is how many lists run at once; zero means 8. The client's QPS and burst (from
	// the rest.Config) bound the request rate across all of them.
	Workers int
	// PageSize is the limit of each list request; zero means 500, as kubectl uses.
	PageSize int64
	// Progress, when set, is called after each list with the number done and the total.
	Progress func(done, total int)
	// ProbeTimeout bounds the first request, which tells whether the server can be reached
	// at all; zero means 10 s. The rest.Config's Timeout bounds each later request.
	ProbeTimeout time.Duration
}

// Result is what Cluster read.
type Result struct {
	// Objects in the order of Resources, then namespace and name as the server lists
	// them. See Cluster for the objects left out.
	Objects []*inventory.Object
	Facts   *inventory.Facts
	// Errors are lists that failed (forbidden, server errors), one per resource and scope.
	Errors []check.Error
	// Incomplete are the practices whose checks read a resource that could not be listed.
	Incomplete []string
	// Controlled counts the Pods, ReplicaSets and Jobs left out because a workload that was
	// read controls them.
	Controlled int
}

// UnreachableError means the API server could not be asked anything: the network, TLS or
// credentials failed. The CLI exits 3 on it.
type UnreachableError struct {
	Host string
	Err  error
	// Timeout is set when the server did not answer within it.
	Timeout time.Duration
}

func (e *UnreachableError) Error() string {
	if e.Timeout > 0 {
		return fmt.Sprintf("cannot reach the cluster at %s: no answer within %v", e.Host, e.Timeout)
	}
	if apierrors.IsUnauthorized(e.Err) {
		return fmt.Sprintf("cannot use the cluster at %s: it rejected the credentials (401 Unauthorized)", e.Host)
	}
	return fmt.Sprintf("cannot reach the cluster at %s: %s", e.Host, oneLine(e.Err.Error()))
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Cluster reads, from the API server cfg points at, every kind in Resources that the
// server serves, with paginated lists in parallel, and returns them as inventory objects
// identical to those read from files (typed for built-in kinds, file empty).
//
// What is changed on the way in:
//   - metadata.managedFields and the kubectl.kubernetes.io/last-applied-configuration
//     annotation are dropped: both only repeat the object (and on Secrets the annotation
//     would hold the secret's values).
//   - Secrets are read by metadata only (a Table list: name, labels, annotations, type),
//     except kubernetes.io/tls Secrets, which keep tls.crt and ca.crt; their tls.key is kept
//     as an empty value, so that checks know a key exists without ever holding it.
//   - Pods, ReplicaSets and Jobs whose controller (ownerReference with controller: true) is an
//     object read here that carries a pod template are left out: the controller's template
//     is what the user wrote, and judging its copies too would repeat every pod-template
//     finding two or three times (Deployment → ReplicaSet → Pod), as kube-score and Polaris
//     also avoid. Pods of a controller that could not be read stay in.
//
// A list that fails becomes an Error (403s name the missing permission) and marks its
// practices incomplete; the rest is still read. Only an API server that cannot be reached at
// all is returned as an error (*UnreachableError).
func Cluster(ctx context.Context, cfg *rest.Config, opts Options) (*Result, error) {
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 500
	}
	l, err := newLister(cfg, opts)
	if err != nil {
		return nil, err
	}
	if opts.ProbeTimeout <= 0 {
		opts.ProbeTimeout = 10 * time.Second
	}
	facts := &inventory.Facts{}
	pctx, cancel := context.WithTimeout(ctx, opts.ProbeTimeout)
	v, err := l.disco.ServerVersionWithContext(pctx)
	var ne net.Error
	timedOut := errors.Is(pctx.Err(), context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
	cancel()
	if err != nil {
		ue := &UnreachableError{Host: cfg.Host, Err: err}
		if timedOut {
			ue.Timeout = opts.ProbeTimeout
		}
		return nil, ue
	}
	facts.ServerVersion = v.GitVersion

	res := &Result{Facts: facts}
	failed := map[string]bool{}
	tasks, perrs := l.plan(ctx)
	for _, pe := range perrs {
		res.Errors = append(res.Errors, pe.err)
		for _, p := range pe.practices {
			failed[p] = true
		}
	}

	results := make([]taskResult, len(tasks))
	parallel.Each(len(tasks), opts.Workers, func(i int) { results[i] = l.run(ctx, tasks[i]) }, opts.Progress)

	var objs []runtime.Object
	for i, r := range results {
		if r.err != nil {
			res.Errors = append(res.Errors, listError(tasks[i], r.err))
			for _, p := range tasks[i].res.Practices {
				failed[p] = true
			}
			continue
		}
		objs = append(objs, r.objs...)
	}
	res.Incomplete = practicesOf(failed)
	res.Objects, res.Controlled = dropControlled(objs)
	collectFacts(ctx, l, res)
	return res, nil
}

// task is one list: a resource in one namespace (or all, or cluster scope).
type task struct {
	res        Resource
	namespaced bool
	ns         string
	// get names a single object to read instead of a list (the namespace given with -n).
	get string
	// unpaged lists in one request: the retry when a continue token expired midway.
	unpaged bool
}

// limit is the page size of t's list requests (0: no paging).
func (l *lister) limit(t task) int64 {
	if t.unpaged {
		return 0
	}
	return l.opts.PageSize
}

type taskResult struct {
	objs []runtime.Object
	err  error
}

type lister struct {
	opts  Options
	disco *discovery.DiscoveryClient
	dyn   *dynamic.DynamicClient
	mu    sync.Mutex
	typed map[schema.GroupVersion]*rest.RESTClient
	base  *rest.Config
	http  *http.Client
}

func newLister(cfg *rest.Config, opts Options) (*lister, error) {
	cfg = rest.CopyConfig(cfg)
	// One rate limiter for every client, so that QPS and burst bound the whole scan rather
	// than each group's client separately.
	if cfg.RateLimiter == nil && cfg.QPS > 0 {
		burst := cfg.Burst
		if burst <= 0 {
			burst = int(cfg.QPS)
		}
		cfg.RateLimiter = flowcontrol.NewTokenBucketRateLimiter(cfg.QPS, burst)
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "kubeharden"
	}
	// Deprecation warnings for the kinds we list say nothing to someone auditing the cluster,
	// and would go to stderr through klog.
	cfg.WarningHandler = rest.NoWarnings{}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	disco, err := discovery.NewDiscoveryClientForConfigAndClient(cfg, hc)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfigAndClient(cfg, hc)
	if err != nil {
		return nil, err
	}
	return &lister{opts: opts, disco: disco, dyn: dyn, typed: map[schema.GroupVersion]*rest.RESTClient{}, base: cfg, http: hc}, nil
}

// typedClient is a REST client for gv that speaks protobuf, which the API server encodes and
// we decode several times faster than JSON.
func (l *lister) typedClient(gv schema.GroupVersion) (*rest.RESTClient, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c := l.typed[gv]; c != nil {
		return c, nil
	}
	cfg := rest.CopyConfig(l.base)
	cfg.GroupVersion = &gv
	cfg.APIPath = "/apis"
	if gv.Group == "" {
		cfg.APIPath = "/api"
	}
	cfg.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	cfg.ContentType = runtime.ContentTypeProtobuf
	cfg.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	c, err := rest.RESTClientForConfigAndClient(cfg, l.http)
	if err != nil {
		return nil, err
	}
	l.typed[gv] = c
	return c, nil
}

// planError is a resource or group that discovery says cannot be read.
type planError struct {
	err       check.Error
	practices []string
}

// plan turns discovery into the lists to run. Custom resources whose CRDs are absent are
// skipped silently: there is nothing to read. A built-in kind served only in a version we do
// not decode, and an API group the checks read whose discovery failed, are errors: their
// objects would otherwise be missing without a word. Groups no check reads (an unavailable
// metrics server, say) are ignored.
func (l *lister) plan(ctx context.Context) ([]task, []planError) {
	groups, lists, err := l.disco.ServerGroupsAndResourcesWithContext(ctx)
	var perrs []planError
	if err != nil && !discovery.IsGroupDiscoveryFailedError(err) && len(lists) == 0 {
		// Discovery failed outright: assume the built-in kinds and read what answers.
		var tasks []task
		var practices []string
		for _, r := range clusterResources() {
			if r.Custom {
				practices = appendUnique(practices, r.Practices...)
				continue
			}
			tasks = append(tasks, l.tasksFor(r, r.Namespaced)...)
		}
		perrs = append(perrs, planError{check.Error{Message: "API discovery failed (custom resources are not read): " + oneLine(err.Error())}, practices})
		return tasks, perrs
	}
	failedGV, _ := discovery.GroupDiscoveryFailedErrorGroups(err)
	for gv, gerr := range failedGV {
		var names, practices []string
		for _, r := range clusterResources() {
			if r.Group == gv.Group && (r.Custom || r.Version == gv.Version) {
				names = append(names, r.Name())
				practices = appendUnique(practices, r.Practices...)
			}
		}
		if len(names) == 0 {
			continue
		}
		perrs = append(perrs, planError{check.Error{Resource: names[0],
			Message: fmt.Sprintf("API discovery of %s failed, so %s cannot be read: %s", gv, strings.Join(names, ", "), oneLine(gerr.Error()))}, practices})
	}
	sort.Slice(perrs, func(i, j int) bool { return perrs[i].err.Message < perrs[j].err.Message })

	type served struct{ namespaced bool }
	// byGVR holds every served resource; byGR the versions serving each group/resource.
	byGVR := map[schema.GroupVersionResource]served{}
	byGR := map[schema.GroupResource][]string{}
	for _, rl := range lists {
		gv, perr := schema.ParseGroupVersion(rl.GroupVersion)
		if perr != nil {
			continue
		}
		for _, r := range rl.APIResources {
			if strings.Contains(r.Name, "/") {
				continue
			}
			byGVR[gv.WithResource(r.Name)] = served{r.Namespaced}
			gr := schema.GroupResource{Group: gv.Group, Resource: r.Name}
			byGR[gr] = append(byGR[gr], gv.Version)
		}
	}
	preferred := map[string]string{}
	versions := map[string][]string{}
	for _, g := range groups {
		preferred[g.Name] = g.PreferredVersion.Version
		for _, v := range g.Versions {
			versions[g.Name] = append(versions[g.Name], v.Version)
		}
	}
	var tasks []task
	for _, r := range clusterResources() {
		if r.Custom {
			// The preferred version, else the first served one that has the resource.
			cands := append([]string{preferred[r.Group]}, versions[r.Group]...)
			for _, v := range cands {
				if s, ok := byGVR[schema.GroupVersionResource{Group: r.Group, Version: v, Resource: r.Resource}]; ok {
					r.Version = v
					tasks = append(tasks, l.tasksFor(r, s.namespaced)...)
					break
				}
			}
			continue
		}
		if s, ok := byGVR[r.GroupVersionResource()]; ok {
			tasks = append(tasks, l.tasksFor(r, s.namespaced)...)
			continue
		}
		if other := byGR[schema.GroupResource{Group: r.Group, Resource: r.Resource}]; len(other) > 0 {
			perrs = append(perrs, planError{check.Error{Resource: r.Name(),
				Message: fmt.Sprintf("the server serves %s only as %s, not %s: the cluster is older than kubeharden supports, and these objects are not read",
					r.Name(), strings.Join(other, ", "), schema.GroupVersion{Group: r.Group, Version: r.Version})}, r.Practices})
		}
	}
	return tasks, perrs
}

func (l *lister) tasksFor(r Resource, namespaced bool) []task {
	ns := l.opts.Namespace
	switch {
	case r.Group == "" && r.Resource == "namespaces" && ns != "":
		return []task{{res: r, get: ns}}
	case namespaced:
		return []task{{res: r, namespaced: true, ns: ns}}
	}
	return []task{{res: r}}
}

// run performs one task.
func (l *lister) run(ctx context.Context, t task) taskResult {
	var objs []runtime.Object
	var err error
	switch {
	case t.get != "":
		objs, err = l.getTyped(ctx, t)
	case t.res.Custom:
		objs, err = l.listCustom(ctx, t)
	case t.res.Group == "" && t.res.Resource == "secrets":
		objs, err = l.listSecrets(ctx, t)
	default:
		objs, err = l.listTyped(ctx, t, "", func(o runtime.Object) runtime.Object { return o })
	}
	if apierrors.IsNotFound(err) && t.get == "" {
		// The resource went away between discovery and the list (a CRD deleted).
		return taskResult{}
	}
	if apierrors.IsResourceExpired(err) && !t.unpaged && t.get == "" {
		// The continue token outlived etcd's compaction (a very slow read of a huge
		// list): start over with one consistent, unpaged list, as client-go's pager does.
		t.unpaged = true
		return l.run(ctx, t)
	}
	return taskResult{objs: objs, err: err}
}

// listTyped pages through a built-in resource, decoding to k8s.io/api types. keep may
// rewrite or drop (nil) each object.
func (l *lister) listTyped(ctx context.Context, t task, fieldSelector string, keep func(runtime.Object) runtime.Object) ([]runtime.Object, error) {
	gv := schema.GroupVersion{Group: t.res.Group, Version: t.res.Version}
	c, err := l.typedClient(gv)
	if err != nil {
		return nil, err
	}
	gvk := gv.WithKind(t.res.Kind)
	var out []runtime.Object
	cont := ""
	for {
		list, err := scheme.Scheme.New(gv.WithKind(t.res.Kind + "List"))
		if err != nil {
			return nil, err
		}
		req := c.Get().Resource(t.res.Resource).
			VersionedParams(&metav1.ListOptions{Limit: l.limit(t), Continue: cont, FieldSelector: fieldSelector}, scheme.ParameterCodec)
		if t.namespaced && t.ns != "" {
			req = req.Namespace(t.ns)
		}
		if err := req.Do(ctx).Into(list); err != nil {
			return nil, err
		}
		items, err := meta.ExtractList(list)
		if err != nil {
			return nil, err
		}
		for _, o := range items {
			o.GetObjectKind().SetGroupVersionKind(gvk)
			dropRepeated(o)
			if o = keep(o); o != nil {
				out = append(out, o)
			}
		}
		lm, err := meta.ListAccessor(list)
		if err != nil {
			return nil, err
		}
		if cont = lm.GetContinue(); cont == "" {
			return out, nil
		}
	}
}

// getTyped reads one cluster-scoped object (the namespace named with -n).
func (l *lister) getTyped(ctx context.Context, t task) ([]runtime.Object, error) {
	gv := schema.GroupVersion{Group: t.res.Group, Version: t.res.Version}
	c, err := l.typedClient(gv)
	if err != nil {
		return nil, err
	}
	gvk := gv.WithKind(t.res.Kind)
	o, err := scheme.Scheme.New(gvk)
	if err != nil {
		return nil, err
	}
	if err := c.Get().Resource(t.res.Resource).Name(t.get).Do(ctx).Into(o); err != nil {
		return nil, err
	}
	o.GetObjectKind().SetGroupVersionKind(gvk)
	dropRepeated(o)
	return []runtime.Object{o}, nil
}

// listCustom pages through a custom resource with the dynamic client.
func (l *lister) listCustom(ctx context.Context, t task) ([]runtime.Object, error) {
	var ri dynamic.ResourceInterface = l.dyn.Resource(t.res.GroupVersionResource())
	if t.namespaced && t.ns != "" {
		ri = l.dyn.Resource(t.res.GroupVersionResource()).Namespace(t.ns)
	}
	gvk := schema.GroupVersionKind{Group: t.res.Group, Version: t.res.Version, Kind: t.res.Kind}
	var out []runtime.Object
	cont := ""
	for {
		list, err := ri.List(ctx, metav1.ListOptions{Limit: l.limit(t), Continue: cont})
		if err != nil {
			return nil, err
		}
		for i := range list.Items {
			u := &list.Items[i]
			if u.GetKind() == "" {
				u.SetGroupVersionKind(gvk)
			}
			dropRepeated(u)
			out = append(out, u)
		}
		if cont = list.GetContinue(); cont == "" {
			return out, nil
		}
	}
}

// lastApplied is kubectl's copy of the applied object: it only repeats the object, and on a
// Secret it holds the secret's values.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// tidy drops what only repeats the object.
func dropRepeated(o runtime.Object) {
	m, err := meta.Accessor(o)
	if err != nil {
		return
	}
	m.SetManagedFields(nil)
	if a := m.GetAnnotations(); a != nil {
		if _, ok := a[lastApplied]; ok {
			delete(a, lastApplied)
			if len(a) == 0 {
				a = nil
			}
			m.SetAnnotations(a)
		}
	}
}

// listError describes a failed list as kubectl users read it.
func listError(t task, err error) check.Error {
	name := t.res.Name()
	verb, scope := "list", "at cluster scope"
	switch {
	case t.get != "":
		verb, scope = "get", fmt.Sprintf("named %q", t.get)
	case t.namespaced && t.ns != "":
		scope = fmt.Sprintf("in namespace %q", t.ns)
	case t.namespaced:
		scope = "in all namespaces"
	}
	if apierrors.IsForbidden(err) {
		need := fmt.Sprintf("needs %q on %q", verb, name)
		if t.namespaced && t.ns != "" {
			need += fmt.Sprintf(" in namespace %q", t.ns)
		}
		return check.Error{Resource: name, Message: fmt.Sprintf("forbidden: cannot %s %s %s (%s)", verb, name, scope, need)}
	}
	return check.Error{Resource: name, Message: fmt.Sprintf("cannot %s %s %s: %s", verb, name, scope, oneLine(err.Error()))}
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// appendUnique appends to dst the strings of src it does not hold yet.
func appendUnique(dst []string, src ...string) []string {
	for _, s := range src {
		if !slices.Contains(dst, s) {
			dst = append(dst, s)
		}
	}
	return dst
}

// dropControlled converts objs to inventory objects, leaving out Pods, ReplicaSets and Jobs
// whose controller is one of objs and carries a pod template.
func dropControlled(objs []runtime.Object) ([]*inventory.Object, int) {
	inv := make([]*inventory.Object, 0, len(objs))
	templated := map[types.UID]bool{}
	for _, o := range objs {
		io := inventory.New(o, inventory.Source{}, nil)
		inv = append(inv, io)
		if hasPodTemplate(io) {
			templated[io.Meta.GetUID()] = true
		}
	}
	out := inv[:0]
	dropped := 0
	for _, o := range inv {
		switch o.Kind {
		case "Pod", "ReplicaSet", "Job":
			if c := metav1.GetControllerOfNoCopy(o.Meta); c != nil && templated[c.UID] {
				dropped++
				continue
			}
		}
		out = append(out, o)
	}
	return out, dropped
}

// hasPodTemplate reports whether o is a workload whose template stands for its pods.
func hasPodTemplate(o *inventory.Object) bool {
	switch x := o.Obj.(type) {
	case *appsv1.Deployment, *appsv1.StatefulSet, *appsv1.DaemonSet, *appsv1.ReplicaSet,
		*batchv1.Job, *batchv1.CronJob, *corev1.ReplicationController:
		return true
	case *unstructured.Unstructured:
		_, ok, _ := unstructured.NestedSlice(x.Object, "spec", "template", "spec", "containers")
		return ok
	}
	return false
}

// collectFacts fills the kubelet versions from the nodes read, and the API server flags from
// its static pod in kube-system when it can be seen.
func collectFacts(ctx context.Context, l *lister, res *Result) {
	var apiserver []*corev1.Pod
	for _, o := range res.Objects {
		switch x := o.Obj.(type) {
		case *corev1.Node:
			if v := x.Status.NodeInfo.KubeletVersion; v != "" {
				if res.Facts.KubeletVersions == nil {
					res.Facts.KubeletVersions = map[string]string{}
				}
				res.Facts.KubeletVersions[x.Name] = v
			}
		case *corev1.Pod:
			if x.Namespace == metav1.NamespaceSystem && x.Labels["component"] == "kube-apiserver" {
				apiserver = append(apiserver, x)
			}
		}
	}
	podsRead := l.opts.Namespace == ""
	for _, e := range res.Errors {
		if e.Resource == "pods" {
			podsRead = false
		}
	}
	if !podsRead {
		// Not among the objects read: ask for it alone. Not seeing it is normal (managed
		// control planes hide it), so a failure here is no error.
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if pods, err := l.listPods(ctx, metav1.NamespaceSystem, "component=kube-apiserver"); err == nil {
			apiserver = append(apiserver, pods...)
		}
	}
	if len(apiserver) > 0 {
		sort.Slice(apiserver, func(i, j int) bool { return apiserver[i].Name < apiserver[j].Name })
		res.Facts.APIServerFlags = apiServerFlags(apiserver[0])
	}

	// Which deprecated APIs clients still call: only the API server's metrics know. Reading
	// them needs get on /metrics, which deploy/rbac.yaml grants but many users lack; without
	// it the versions practice is incomplete (not an error: the objects were all read).
	reqs, err := DeprecatedAPIRequests(ctx, l.base)
	if err != nil {
		failed := map[string]bool{"versions": true}
		for _, p := range res.Incomplete {
			failed[p] = true
		}
		res.Incomplete = practicesOf(failed)
		return
	}
	res.Facts.DeprecatedAPIRequests = reqs
}

// listPods lists the pods of namespace ns that match a label selector (one page).
func (l *lister) listPods(ctx context.Context, ns, selector string) ([]*corev1.Pod, error) {
	c, err := l.typedClient(corev1.SchemeGroupVersion)
	if err != nil {
		return nil, err
	}
	var list corev1.PodList
	err = c.Get().Namespace(ns).Resource("pods").
		VersionedParams(&metav1.ListOptions{LabelSelector: selector, Limit: l.opts.PageSize}, scheme.ParameterCodec).
		Do(ctx).Into(&list)
	if err != nil {
		return nil, err
	}
	out := make([]*corev1.Pod, len(list.Items))
	for i := range list.Items {
		out[i] = &list.Items[i]
	}
	return out, nil
}

// apiServerFlags reads the flags of the kube-apiserver container of its static pod: the one
// running the binary, else the one named kube-apiserver, else the first.
func apiServerFlags(p *corev1.Pod) map[string]string {
	i := apiserverflags.Container(&p.Spec)
	for j := range p.Spec.Containers {
		if i < 0 && p.Spec.Containers[j].Name == "kube-apiserver" {
			i = j
		}
	}
	if i < 0 && len(p.Spec.Containers) > 0 {
		i = 0
	}
	if i < 0 {
		return nil
	}
	return apiserverflags.Of(&p.Spec.Containers[i])
}
