package load

import (
	"hash/maphash"
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeharden/kubeharden/inventory"
)

// sharer makes equal label maps of loaded objects one map. A workload's labels, its
// selector, its pod template's labels and the selector of the Service in front of it are
// usually equal, and a map of even one entry takes about 300 bytes: these copies were a
// third of a large inventory's maps. Objects loaded from files are read-only (fixes edit
// the files, and whoever changes an object changes a deep copy), so sharing is safe.
type sharer struct {
	seed  maphash.Seed
	h     maphash.Hash
	known map[uint64][]map[string]string
}

func newSharer() *sharer {
	s := &sharer{seed: maphash.MakeSeed(), known: map[uint64][]map[string]string{}}
	s.h.SetSeed(s.seed)
	return s
}

// share returns the first map seen equal to m, or m.
func (s *sharer) share(m map[string]string) map[string]string {
	if len(m) == 0 {
		return m
	}
	var sum uint64
	for k, v := range m {
		s.h.Reset()
		s.h.WriteString(k)
		s.h.WriteByte(0)
		s.h.WriteString(v)
		sum += s.h.Sum64() // a sum: the same whatever order the map gives
	}
	for _, c := range s.known[sum] {
		if maps.Equal(c, m) {
			return c
		}
	}
	s.known[sum] = append(s.known[sum], m)
	return m
}

func (s *sharer) selector(l *metav1.LabelSelector) {
	if l != nil {
		l.MatchLabels = s.share(l.MatchLabels)
	}
}

func (s *sharer) peers(ps []networkingv1.NetworkPolicyPeer) {
	for i := range ps {
		s.selector(ps[i].PodSelector)
		s.selector(ps[i].NamespaceSelector)
	}
}

// object shares the label maps of one object: its own labels and annotations, its pod
// templates', and the selectors of the kinds that have them.
func (s *sharer) object(o *inventory.Object) {
	if _, ok := o.Unstructured(); ok {
		return
	}
	if l := o.Meta.GetLabels(); len(l) > 0 {
		o.Meta.SetLabels(s.share(l))
	}
	if a := o.Meta.GetAnnotations(); len(a) > 0 {
		o.Meta.SetAnnotations(s.share(a))
	}
	for _, t := range o.PodTemplates() {
		t.Meta.Labels, t.Meta.Annotations = s.share(t.Meta.Labels), s.share(t.Meta.Annotations)
		t.Spec.NodeSelector = s.share(t.Spec.NodeSelector)
	}
	switch x := o.Obj.(type) {
	case *appsv1.Deployment:
		s.selector(x.Spec.Selector)
	case *appsv1.StatefulSet:
		s.selector(x.Spec.Selector)
	case *appsv1.DaemonSet:
		s.selector(x.Spec.Selector)
	case *appsv1.ReplicaSet:
		s.selector(x.Spec.Selector)
	case *batchv1.Job:
		s.selector(x.Spec.Selector)
	case *corev1.Service:
		x.Spec.Selector = s.share(x.Spec.Selector)
	case *corev1.ReplicationController:
		x.Spec.Selector = s.share(x.Spec.Selector)
	case *policyv1.PodDisruptionBudget:
		s.selector(x.Spec.Selector)
	case *networkingv1.NetworkPolicy:
		s.selector(&x.Spec.PodSelector)
		for _, r := range x.Spec.Ingress {
			s.peers(r.From)
		}
		for _, r := range x.Spec.Egress {
			s.peers(r.To)
		}
	}
}
