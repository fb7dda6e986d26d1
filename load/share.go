package load

import (
	"hash/maphash"
	"maps"
	"reflect"
	"slices"
	"sync"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubeharden/kubeharden/inventory"
)

// sharer makes equal parts of loaded objects one value. Workloads copy much from each other:
// a workload's labels, its selector, its pod template's labels and the selector of the
// Service in front of it are usually equal; the containers of a chart or a team carry the
// same few resource lists, security contexts and probes; Services expose the same ports;
// objects written alike have equal line tables (inventory.LineShare). A map of even one
// entry takes about 300 bytes and a resource list about 600: sharing takes the objects of a
// generated cluster of 10,000 workloads from 99 to 76 MB of live heap. Objects loaded from
// files are read-only (fixes edit the files, and whoever changes an object changes a deep
// copy), so sharing is safe.
//
// Values are shared only when exactly equal: equal maps, or reflect.DeepEqual for the
// structs behind pointers. The hashes that find candidates read the fields that tell values
// apart in practice; values that differ elsewhere only make longer lists to compare.
type sharer struct {
	// mu serialises objects: decoders on every core share into one sharer.
	mu   sync.Mutex
	seed maphash.Seed
	h    maphash.Hash

	labels    pool[map[string]string]
	resources pool[corev1.ResourceList]
	contexts  pool[*corev1.SecurityContext]
	pods      pool[*corev1.PodSecurityContext]
	probes    pool[*corev1.Probe]
	service   pool[[]corev1.ServicePort]
	lines     *inventory.LineShare
}

// prime mixes one hash into another (FNV-1's 64-bit prime).
const prime = 1099511628211

// pool holds the values seen, by hash.
type pool[T any] map[uint64][]T

// get returns the first value seen with the hash sum that eq says equals v, or keeps v.
func (p pool[T]) get(sum uint64, v T, eq func(a, b T) bool) T {
	for _, c := range p[sum] {
		if eq(c, v) {
			return c
		}
	}
	p[sum] = append(p[sum], v)
	return v
}

func newSharer() *sharer {
	s := &sharer{
		seed:      maphash.MakeSeed(),
		labels:    pool[map[string]string]{},
		resources: pool[corev1.ResourceList]{},
		contexts:  pool[*corev1.SecurityContext]{},
		pods:      pool[*corev1.PodSecurityContext]{},
		probes:    pool[*corev1.Probe]{},
		service:   pool[[]corev1.ServicePort]{},
		lines:     inventory.NewLineShare(),
	}
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
		// A sum over entries: the same whatever order the map gives.
		sum += maphash.String(s.seed, k)*prime ^ maphash.String(s.seed, v)
	}
	return s.labels.get(sum, m, maps.Equal)
}

// resourceList returns the first list seen equal to l, or l. Quantities compare with ==,
// which is exact: their only pointer (a big decimal) is nil unless the number is huge, and
// then equal lists are merely not shared.
func (s *sharer) resourceList(l corev1.ResourceList) corev1.ResourceList {
	if len(l) == 0 {
		return l
	}
	var sum uint64
	for k, q := range l {
		// Thousandths: no allocation for quantities of int64 size (String allocates for
		// those not written canonically). Equal quantities have equal values and formats.
		sum += (maphash.String(s.seed, string(k))^uint64(q.MilliValue()))*prime + uint64(len(q.Format))
	}
	return s.resources.get(sum, l, maps.Equal)
}

// Hashing helpers: each writes one field to s.h, with a mark for nil pointers.

func (s *sharer) str(v string) {
	s.h.WriteString(v)
	s.h.WriteByte(0)
}

func (s *sharer) num(v int64) {
	var b [8]byte
	for i := range b {
		b[i] = byte(v >> (8 * i))
	}
	s.h.Write(b[:])
}

func (s *sharer) boolPtr(v *bool) {
	switch {
	case v == nil:
		s.h.WriteByte(2)
	case *v:
		s.h.WriteByte(1)
	default:
		s.h.WriteByte(0)
	}
}

func (s *sharer) numPtr(v *int64) {
	if v == nil {
		s.h.WriteByte(0)
		return
	}
	s.h.WriteByte(1)
	s.num(*v)
}

func (s *sharer) port(p intstr.IntOrString) {
	s.num(int64(p.Type))
	s.num(int64(p.IntVal))
	s.str(p.StrVal)
}

func (s *sharer) seccomp(p *corev1.SeccompProfile) {
	if p == nil {
		s.h.WriteByte(0)
		return
	}
	s.str(string(p.Type))
	if p.LocalhostProfile != nil {
		s.str(*p.LocalhostProfile)
	}
}

func deepEqual[T any](a, b *T) bool { return reflect.DeepEqual(a, b) }

// securityContext returns the first container security context seen equal to c, or c.
func (s *sharer) securityContext(c *corev1.SecurityContext) *corev1.SecurityContext {
	if c == nil {
		return nil
	}
	s.h.Reset()
	s.boolPtr(c.Privileged)
	s.boolPtr(c.RunAsNonRoot)
	s.boolPtr(c.ReadOnlyRootFilesystem)
	s.boolPtr(c.AllowPrivilegeEscalation)
	s.numPtr(c.RunAsUser)
	s.numPtr(c.RunAsGroup)
	if c.Capabilities != nil {
		for _, a := range c.Capabilities.Add {
			s.str(string(a))
		}
		s.h.WriteByte(1)
		for _, d := range c.Capabilities.Drop {
			s.str(string(d))
		}
	}
	s.seccomp(c.SeccompProfile)
	return s.contexts.get(s.h.Sum64(), c, deepEqual)
}

// podSecurityContext returns the first pod security context seen equal to c, or c.
func (s *sharer) podSecurityContext(c *corev1.PodSecurityContext) *corev1.PodSecurityContext {
	if c == nil {
		return nil
	}
	s.h.Reset()
	s.boolPtr(c.RunAsNonRoot)
	s.numPtr(c.RunAsUser)
	s.numPtr(c.RunAsGroup)
	s.numPtr(c.FSGroup)
	for _, g := range c.SupplementalGroups {
		s.num(g)
	}
	for _, sc := range c.Sysctls {
		s.str(sc.Name)
		s.str(sc.Value)
	}
	s.seccomp(c.SeccompProfile)
	return s.pods.get(s.h.Sum64(), c, deepEqual)
}

// probe returns the first probe seen equal to p, or p.
func (s *sharer) probe(p *corev1.Probe) *corev1.Probe {
	if p == nil {
		return nil
	}
	s.h.Reset()
	s.num(int64(p.InitialDelaySeconds))
	s.num(int64(p.TimeoutSeconds))
	s.num(int64(p.PeriodSeconds))
	s.num(int64(p.SuccessThreshold))
	s.num(int64(p.FailureThreshold))
	switch {
	case p.HTTPGet != nil:
		s.h.WriteByte(1)
		s.str(p.HTTPGet.Path)
		s.port(p.HTTPGet.Port)
		s.str(p.HTTPGet.Host)
		s.str(string(p.HTTPGet.Scheme))
	case p.TCPSocket != nil:
		s.h.WriteByte(2)
		s.port(p.TCPSocket.Port)
		s.str(p.TCPSocket.Host)
	case p.Exec != nil:
		s.h.WriteByte(3)
		for _, a := range p.Exec.Command {
			s.str(a)
		}
	case p.GRPC != nil:
		s.h.WriteByte(4)
		s.num(int64(p.GRPC.Port))
	}
	return s.probes.get(s.h.Sum64(), p, deepEqual)
}

// servicePorts returns the first list of Service ports seen equal to ps, or ps. Ports
// compare with ==: an application protocol (a pointer) makes them equal only to themselves.
func (s *sharer) servicePorts(ps []corev1.ServicePort) []corev1.ServicePort {
	if len(ps) == 0 {
		return ps
	}
	s.h.Reset()
	for _, p := range ps {
		s.str(p.Name)
		s.str(string(p.Protocol))
		s.num(int64(p.Port))
		s.port(p.TargetPort)
		s.num(int64(p.NodePort))
	}
	// Full lists: whoever appends to one gets a copy.
	return s.service.get(s.h.Sum64(), slices.Clip(ps), slices.Equal)
}

func (s *sharer) containers(cs []corev1.Container) {
	for i := range cs {
		c := &cs[i]
		c.Resources.Requests = s.resourceList(c.Resources.Requests)
		c.Resources.Limits = s.resourceList(c.Resources.Limits)
		c.SecurityContext = s.securityContext(c.SecurityContext)
		c.LivenessProbe = s.probe(c.LivenessProbe)
		c.ReadinessProbe = s.probe(c.ReadinessProbe)
		c.StartupProbe = s.probe(c.StartupProbe)
	}
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

// objects shares the parts of objs. Decoders on every core call it, a run of objects at a
// time: a lock for each object cost a fifth of sharing.
func (s *sharer) objects(objs []*inventory.Object) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, o := range objs {
		s.object(o)
	}
}

// object shares the parts of one object: its line table, its own labels and annotations,
// its pod templates' labels and the parts of their pod specs above, and the selectors and
// ports of the kinds that have them.
func (s *sharer) object(o *inventory.Object) {
	s.lines.Share(o.Lines)
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
		t.Spec.SecurityContext = s.podSecurityContext(t.Spec.SecurityContext)
		s.containers(t.Spec.InitContainers)
		s.containers(t.Spec.Containers)
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
		x.Spec.Ports = s.servicePorts(x.Spec.Ports)
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
