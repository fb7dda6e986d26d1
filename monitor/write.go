package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
)

// writer keeps the reports in the cluster equal to the wanted ones. It remembers what it
// wrote, so that an update is a JSON patch of the results that changed, guarded by the
// resourceVersion it patched last: a report changed by someone else is read again first.
type writer struct {
	dyn dynamic.Interface
	// rest creates and patches reports with JSON encoded from their Go types and reads back
	// only the resourceVersion: the dynamic client's unstructured copies of a report, sent
	// and answered, cost more than the evaluation of the change that moved it.
	rest    rest.Interface
	api     ReportAPI
	metrics *metrics
	// written are the reports as the server holds them, after our last write.
	written map[reportKey]*Report
	// synced says that written was read from the server (after becoming leader).
	synced bool
	now    func() time.Time
}

// newReportClient is a REST client for the group and version of api's reports.
func newReportClient(cfg *rest.Config, api ReportAPI) (rest.Interface, error) {
	c := rest.CopyConfig(cfg)
	c.GroupVersion = &schema.GroupVersion{Group: api.Group, Version: api.Version}
	c.APIPath = "/apis"
	c.ContentType = runtime.ContentTypeJSON
	c.NegotiatedSerializer = scheme.Codecs.WithoutConversion()
	if c.UserAgent == "" {
		c.UserAgent = rest.DefaultKubernetesUserAgent()
	}
	return rest.RESTClientFor(c)
}

// send sends body to the report k (a create when req is a POST) and returns the
// resourceVersion of the report the server answers with.
func (w *writer) send(ctx context.Context, req *rest.Request, k reportKey, body []byte) (string, error) {
	req = req.NamespaceIfScoped(k.ns, k.ns != "").Resource(w.api.GVR(k.ns == "").Resource).
		Param("fieldManager", ManagedBy).Body(body)
	raw, err := req.Do(ctx).Raw()
	if err != nil {
		return "", err
	}
	var answer struct {
		Metadata struct {
			ResourceVersion string `json:"resourceVersion"`
		} `json:"metadata"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil {
		return "", fmt.Errorf("decode the answer: %w", err)
	}
	return answer.Metadata.ResourceVersion, nil
}

func (w *writer) resource(k reportKey) dynamic.ResourceInterface {
	if k.ns == "" {
		return w.dyn.Resource(w.api.GVR(true))
	}
	return w.dyn.Resource(w.api.GVR(false)).Namespace(k.ns)
}

// readAll reads every report kubeharden owns into written.
func (w *writer) readAll(ctx context.Context) error {
	w.written = map[reportKey]*Report{}
	sel := metav1.ListOptions{LabelSelector: ManagedByLabel + "=" + ManagedBy}
	for _, cluster := range []bool{false, true} {
		list, err := w.dyn.Resource(w.api.GVR(cluster)).List(ctx, sel)
		if err != nil {
			return fmt.Errorf("list %s: %w", w.api.GVR(cluster).Resource, err)
		}
		for i := range list.Items {
			r, err := fromUnstructured(&list.Items[i])
			if err != nil {
				return err
			}
			w.written[reportKey{r.Namespace, r.Name}] = r
		}
	}
	w.synced = true
	return nil
}

// sync writes the difference between want and what was written. With only set, the reports of other namespaces are taken as written already and left
// alone (want need not hold them), unless the reports in the cluster must be read again.
func (w *writer) sync(ctx context.Context, want map[reportKey]*Report, only map[string]bool) error {
	if !w.synced {
		if err := w.readAll(ctx); err != nil {
			w.metrics.writeErrors.Inc()
			return err
		}
		only = nil
	}
	in := func(k reportKey) bool { return only == nil || only[k.ns] }
	w.stamp(want, in)
	var firstErr error
	fail := func(err error) {
		w.metrics.writeErrors.Inc()
		if firstErr == nil {
			firstErr = err
		}
	}
	for k, r := range want {
		if !in(k) {
			continue
		}
		old := w.written[k]
		if old != nil && reflect.DeepEqual(old.Results, r.Results) && old.Summary == r.Summary {
			if old != r {
				w.written[k] = holds(r, old.ResourceVersion)
			}
			continue
		}
		got, err := w.write(ctx, k, old, r)
		if err != nil {
			fail(fmt.Errorf("write report %s: %w", k, err))
			// Read it again next time.
			delete(w.written, k)
			w.synced = w.synced && old == nil
			continue
		}
		w.written[k] = got
	}
	for k := range w.written {
		if _, ok := want[k]; ok || !in(k) {
			continue
		}
		err := w.resource(k).Delete(ctx, k.name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			fail(fmt.Errorf("delete report %s: %w", k, err))
			continue
		}
		w.metrics.writes.WithLabelValues("delete").Inc()
		delete(w.written, k)
	}
	return firstErr
}

// stamp gives each result without a timestamp the one it had when written, else now: a
// result's timestamp is when it was first reported, and an unchanged result is not rewritten.
func (w *writer) stamp(want map[reportKey]*Report, in func(reportKey) bool) {
	type at struct {
		ns string
		rkey
	}
	seen := map[at]metav1.Timestamp{}
	for k, r := range w.written {
		if !in(k) {
			continue
		}
		for i := range r.Results {
			seen[at{k.ns, resultKey(&r.Results[i])}] = r.Results[i].Timestamp
		}
	}
	now := w.now()
	ts := metav1.Timestamp{Seconds: now.Unix()}
	for k, r := range want {
		if !in(k) {
			continue
		}
		for i := range r.Results {
			if t, ok := seen[at{k.ns, resultKey(&r.Results[i])}]; ok {
				r.Results[i].Timestamp = t
			} else if r.Results[i].Timestamp == (metav1.Timestamp{}) {
				r.Results[i].Timestamp = ts
			}
		}
	}
}

// write creates r, or patches old into r.
func (w *writer) write(ctx context.Context, k reportKey, old, r *Report) (*Report, error) {
	if old == nil {
		r.ResourceVersion = ""
		body, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		rv, err := w.send(ctx, w.rest.Post(), k, body)
		if apierrors.IsAlreadyExists(err) {
			// Written by an earlier leader: read it, then patch.
			cur, gerr := w.resource(k).Get(ctx, k.name, metav1.GetOptions{})
			if gerr != nil {
				return nil, gerr
			}
			if old, err = fromUnstructured(cur); err != nil {
				return nil, err
			}
			return w.write(ctx, k, old, r)
		}
		if err != nil {
			return nil, err
		}
		w.metrics.writes.WithLabelValues("create").Inc()
		return holds(r, rv), nil
	}
	patch, err := json.Marshal(diff(old, r))
	if err != nil {
		return nil, err
	}
	rv, err := w.send(ctx, w.rest.Patch(types.JSONPatchType).Name(k.name), k, patch)
	if err != nil {
		// A failed test (someone else changed the report) or a report gone: read it afresh.
		cur, gerr := w.resource(k).Get(ctx, k.name, metav1.GetOptions{})
		if apierrors.IsNotFound(gerr) {
			return w.write(ctx, k, nil, r)
		}
		if gerr != nil {
			return nil, err
		}
		fresh, cerr := fromUnstructured(cur)
		if cerr != nil || fresh.ResourceVersion == old.ResourceVersion {
			return nil, err
		}
		return w.write(ctx, k, fresh, r)
	}
	w.metrics.writes.WithLabelValues("patch").Inc()
	return holds(r, rv), nil
}

// holds returns r as the server holds it at resourceVersion rv. The server stores a report's
// results as written (the CRDs default nothing), so written keeps the report that was sent
// rather than the server's answer decoded: one copy of every result in memory, not two, and
// no decoding of a whole report per write.
func holds(r *Report, rv string) *Report {
	r.ResourceVersion = rv
	return r
}

// op is one RFC 6902 operation.
type op struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// diff is the JSON patch from old to r: a test of old's resourceVersion, then the results
// removed, added and replaced (both lists are sorted by resultKey), and the summary. When
// nearly everything changed, the results are replaced whole.
func diff(old, r *Report) []op {
	ops := []op{{Op: "test", Path: "/metadata/resourceVersion", Value: old.ResourceVersion}}
	if len(old.Results) == 0 || len(r.Results) == 0 {
		ops = append(ops, op{Op: "add", Path: "/results", Value: nonNil(r.Results)})
	} else {
		var rs []op
		i, j, pos := 0, 0, 0
		for i < len(old.Results) || j < len(r.Results) {
			var c int
			switch {
			case j == len(r.Results):
				c = -1
			case i == len(old.Results):
				c = 1
			default:
				c = resultKey(&old.Results[i]).compare(resultKey(&r.Results[j]))
			}
			switch c {
			case -1:
				rs = append(rs, op{Op: "remove", Path: "/results/" + strconv.Itoa(pos)})
				i++
			case 1:
				rs = append(rs, op{Op: "add", Path: "/results/" + strconv.Itoa(pos), Value: r.Results[j]})
				pos++
				j++
			default:
				if !reflect.DeepEqual(old.Results[i], r.Results[j]) {
					rs = append(rs, op{Op: "replace", Path: "/results/" + strconv.Itoa(pos), Value: r.Results[j]})
				}
				pos++
				i++
				j++
			}
		}
		if len(rs) > len(r.Results) {
			rs = []op{{Op: "add", Path: "/results", Value: r.Results}}
		}
		ops = append(ops, rs...)
	}
	return append(ops, op{Op: "add", Path: "/summary", Value: r.Summary})
}

func nonNil(rs []Result) []Result {
	if rs == nil {
		return []Result{}
	}
	return rs
}

func fromUnstructured(u *unstructured.Unstructured) (*Report, error) {
	var r Report
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &r); err != nil {
		return nil, fmt.Errorf("decode report %s/%s: %w", u.GetNamespace(), u.GetName(), err)
	}
	if len(r.Results) == 0 {
		r.Results = nil
	}
	return &r, nil
}
