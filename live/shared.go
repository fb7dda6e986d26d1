package live

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"

	"github.com/kubeharden/kubeharden/inventory"
)

// The pieces of Cluster that a watcher of the cluster (kubeharden monitor) shares with it, so
// that an object read by a watch is the object a scan --cluster would have read.

// Tidy drops from a live object what Cluster drops (managed fields, kubectl's
// last-applied-configuration) and redacts a Secret's values as Cluster does.
func Tidy(o runtime.Object) {
	dropRepeated(o)
	if s, ok := o.(*corev1.Secret); ok {
		RedactSecret(s)
	}
}

// Objects converts objects read from a cluster into inventory objects as Cluster does,
// leaving out the Pods, ReplicaSets and Jobs a workload among them controls; it returns how
// many were left out.
func Objects(objs []runtime.Object) ([]*inventory.Object, int) {
	return dropControlled(objs)
}

// FillFacts fills, from the objects, the facts Cluster takes from them: the kubelet versions
// of the nodes and the API server's flags from its static pod.
func FillFacts(objs []*inventory.Object, facts *inventory.Facts) {
	var apiserver []*corev1.Pod
	for _, o := range objs {
		switch x := o.Obj.(type) {
		case *corev1.Node:
			if v := x.Status.NodeInfo.KubeletVersion; v != "" {
				if facts.KubeletVersions == nil {
					facts.KubeletVersions = map[string]string{}
				}
				facts.KubeletVersions[x.Name] = v
			}
		case *corev1.Pod:
			if x.Namespace == metav1.NamespaceSystem && x.Labels["component"] == "kube-apiserver" {
				apiserver = append(apiserver, x)
			}
		}
	}
	if len(apiserver) > 0 {
		sort.Slice(apiserver, func(i, j int) bool { return apiserver[i].Name < apiserver[j].Name })
		facts.APIServerFlags = apiServerFlags(apiserver[0])
	}
}

// SecretTypeReader reads the types of Secrets from the API server's Table rendering, as
// Cluster does: the type without a single value. A watch of Secrets by metadata alone does
// not carry the type, which is immutable, so it is read once per Secret.
type SecretTypeReader struct{ l *lister }

// NewSecretTypeReader returns a reader for the cluster cfg points at.
func NewSecretTypeReader(cfg *rest.Config) (*SecretTypeReader, error) {
	l, err := newLister(cfg, Options{PageSize: 500})
	if err != nil {
		return nil, err
	}
	return &SecretTypeReader{l}, nil
}

// All reads the type of every Secret in namespace ns ("" for all), by UID.
func (r *SecretTypeReader) All(ctx context.Context, ns string) (map[types.UID]corev1.SecretType, error) {
	objs, err := r.l.listSecretMeta(ctx, task{namespaced: true, ns: ns})
	if err != nil {
		return nil, err
	}
	out := make(map[types.UID]corev1.SecretType, len(objs))
	for _, o := range objs {
		s := o.(*corev1.Secret)
		out[s.UID] = s.Type
	}
	return out, nil
}

// One reads the type of one Secret.
func (r *SecretTypeReader) One(ctx context.Context, ns, name string) (corev1.SecretType, error) {
	c, err := r.l.typedClient(corev1.SchemeGroupVersion)
	if err != nil {
		return "", err
	}
	raw, err := c.Get().Namespace(ns).Resource("secrets").Name(name).SetHeader("Accept", tableAccept).Do(ctx).Raw()
	if err != nil {
		return "", err
	}
	var table metav1.Table
	if err := json.Unmarshal(raw, &table); err != nil {
		return "", fmt.Errorf("decode secret table: %w", err)
	}
	for i, c := range table.ColumnDefinitions {
		if c.Name == "Type" && len(table.Rows) > 0 && i < len(table.Rows[0].Cells) {
			if v, ok := table.Rows[0].Cells[i].(string); ok {
				return corev1.SecretType(v), nil
			}
		}
	}
	return "", nil
}
