package resources

import (
	"math/rand/v2"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// rl builds a ResourceList from name, quantity pairs; no pairs is nil.
func rl(kv ...string) corev1.ResourceList {
	if len(kv) == 0 {
		return nil
	}
	out := corev1.ResourceList{}
	for i := 0; i+1 < len(kv); i += 2 {
		out[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
	}
	return out
}

func req(requests, limits corev1.ResourceList) corev1.ResourceRequirements {
	return corev1.ResourceRequirements{Requests: requests, Limits: limits}
}

func container(r corev1.ResourceRequirements) corev1.Container {
	return corev1.Container{Name: "c", Image: "app", Resources: r}
}

func limitRange(items ...corev1.LimitRangeItem) *corev1.LimitRange {
	return &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: "lr", Namespace: "ns"}, Spec: corev1.LimitRangeSpec{Limits: items}}
}

func TestEffective(t *testing.T) {
	ctr := corev1.LimitTypeContainer
	tests := []struct {
		name   string
		spec   corev1.PodSpec
		ranges []*corev1.LimitRange
		want   []corev1.ResourceRequirements
	}{{
		name: "nothing set, no ranges",
		spec: corev1.PodSpec{Containers: []corev1.Container{container(req(nil, nil))}},
		want: []corev1.ResourceRequirements{{}},
	}, {
		name: "limit without request implies the request",
		spec: corev1.PodSpec{Containers: []corev1.Container{container(req(rl("memory", "64Mi"), rl("cpu", "1", "memory", "128Mi")))}},
		want: []corev1.ResourceRequirements{req(rl("cpu", "1", "memory", "64Mi"), rl("cpu", "1", "memory", "128Mi"))},
	}, {
		name:   "default only: limit and request both defaulted",
		spec:   corev1.PodSpec{Containers: []corev1.Container{container(req(nil, nil))}},
		ranges: []*corev1.LimitRange{limitRange(corev1.LimitRangeItem{Type: ctr, Default: rl("memory", "256Mi")})},
		want:   []corev1.ResourceRequirements{req(rl("memory", "256Mi"), rl("memory", "256Mi"))},
	}, {
		name:   "defaultRequest only: request, no limit",
		spec:   corev1.PodSpec{Containers: []corev1.Container{container(req(nil, nil))}},
		ranges: []*corev1.LimitRange{limitRange(corev1.LimitRangeItem{Type: ctr, DefaultRequest: rl("cpu", "100m")})},
		want:   []corev1.ResourceRequirements{req(rl("cpu", "100m"), nil)},
	}, {
		name:   "max only: max becomes default limit and request",
		spec:   corev1.PodSpec{Containers: []corev1.Container{container(req(nil, nil))}},
		ranges: []*corev1.LimitRange{limitRange(corev1.LimitRangeItem{Type: ctr, Max: rl("cpu", "2", "memory", "1Gi")})},
		want:   []corev1.ResourceRequirements{req(rl("cpu", "2", "memory", "1Gi"), rl("cpu", "2", "memory", "1Gi"))},
	}, {
		name:   "min only: min becomes default request, no limit",
		spec:   corev1.PodSpec{Containers: []corev1.Container{container(req(nil, nil))}},
		ranges: []*corev1.LimitRange{limitRange(corev1.LimitRangeItem{Type: ctr, Min: rl("memory", "32Mi")})},
		want:   []corev1.ResourceRequirements{req(rl("memory", "32Mi"), nil)},
	}, {
		name:   "default beats max for the limit, and beats min for the request",
		spec:   corev1.PodSpec{Containers: []corev1.Container{container(req(nil, nil))}},
		ranges: []*corev1.LimitRange{limitRange(corev1.LimitRangeItem{Type: ctr, Default: rl("cpu", "500m"), Max: rl("cpu", "2"), Min: rl("cpu", "10m")})},
		want:   []corev1.ResourceRequirements{req(rl("cpu", "500m"), rl("cpu", "500m"))},
	}, {
		name:   "explicit defaultRequest beats default",
		spec:   corev1.PodSpec{Containers: []corev1.Container{container(req(nil, nil))}},
		ranges: []*corev1.LimitRange{limitRange(corev1.LimitRangeItem{Type: ctr, Default: rl("cpu", "500m"), DefaultRequest: rl("cpu", "50m")})},
		want:   []corev1.ResourceRequirements{req(rl("cpu", "50m"), rl("cpu", "500m"))},
	}, {
		name:   "container limit implies its request before defaultRequest applies",
		spec:   corev1.PodSpec{Containers: []corev1.Container{container(req(nil, rl("cpu", "300m")))}},
		ranges: []*corev1.LimitRange{limitRange(corev1.LimitRangeItem{Type: ctr, Default: rl("cpu", "1"), DefaultRequest: rl("cpu", "100m")})},
		want:   []corev1.ResourceRequirements{req(rl("cpu", "300m"), rl("cpu", "300m"))},
	}, {
		name:   "container request kept, limit defaulted without touching the request",
		spec:   corev1.PodSpec{Containers: []corev1.Container{container(req(rl("memory", "100Mi"), nil))}},
		ranges: []*corev1.LimitRange{limitRange(corev1.LimitRangeItem{Type: ctr, Default: rl("memory", "200Mi"), DefaultRequest: rl("memory", "50Mi")})},
		want:   []corev1.ResourceRequirements{req(rl("memory", "100Mi"), rl("memory", "200Mi"))},
	}, {
		name: "pod and PVC items default nothing",
		spec: corev1.PodSpec{Containers: []corev1.Container{container(req(nil, nil))}},
		ranges: []*corev1.LimitRange{limitRange(
			corev1.LimitRangeItem{Type: corev1.LimitTypePod, Max: rl("cpu", "4")},
			corev1.LimitRangeItem{Type: corev1.LimitTypePersistentVolumeClaim, Max: rl("storage", "10Gi")},
		)},
		want: []corev1.ResourceRequirements{{}},
	}, {
		name: "later item of one range overrides an earlier one",
		spec: corev1.PodSpec{Containers: []corev1.Container{container(req(nil, nil))}},
		ranges: []*corev1.LimitRange{limitRange(
			corev1.LimitRangeItem{Type: ctr, Default: rl("cpu", "1")},
			corev1.LimitRangeItem{Type: ctr, Default: rl("cpu", "2")},
		)},
		want: []corev1.ResourceRequirements{req(rl("cpu", "2"), rl("cpu", "2"))},
	}, {
		name: "first range wins over a later one, each fills what is still missing",
		spec: corev1.PodSpec{Containers: []corev1.Container{container(req(nil, nil))}},
		ranges: []*corev1.LimitRange{
			limitRange(corev1.LimitRangeItem{Type: ctr, DefaultRequest: rl("cpu", "100m")}),
			limitRange(corev1.LimitRangeItem{Type: ctr, Default: rl("cpu", "1", "memory", "1Gi")}),
		},
		want: []corev1.ResourceRequirements{req(rl("cpu", "100m", "memory", "1Gi"), rl("cpu", "1", "memory", "1Gi"))},
	}, {
		name: "init containers first, each defaulted on its own",
		spec: corev1.PodSpec{
			InitContainers: []corev1.Container{container(req(nil, rl("memory", "10Mi")))},
			Containers:     []corev1.Container{container(req(nil, nil)), container(req(rl("cpu", "1"), nil))},
		},
		ranges: []*corev1.LimitRange{limitRange(corev1.LimitRangeItem{Type: ctr, DefaultRequest: rl("cpu", "100m")})},
		want: []corev1.ResourceRequirements{
			req(rl("cpu", "100m", "memory", "10Mi"), rl("memory", "10Mi")),
			req(rl("cpu", "100m"), nil),
			req(rl("cpu", "1"), nil),
		},
	}, {
		name: "extended resource limit implies its request",
		spec: corev1.PodSpec{Containers: []corev1.Container{container(req(nil, rl("example.com/gpu", "1")))}},
		want: []corev1.ResourceRequirements{req(rl("example.com/gpu", "1"), rl("example.com/gpu", "1"))},
	}, {
		name: "ephemeral containers are left out",
		spec: corev1.PodSpec{
			Containers:          []corev1.Container{container(req(nil, nil))},
			EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "debug"}}},
		},
		want: []corev1.ResourceRequirements{{}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := tt.spec.DeepCopy()
			var rangesBefore []*corev1.LimitRange
			for _, r := range tt.ranges {
				rangesBefore = append(rangesBefore, r.DeepCopy())
			}
			got := Effective(&tt.spec, tt.ranges)
			if !equality.Semantic.DeepEqual(got, tt.want) {
				t.Errorf("Effective:\n got  %v\n want %v", got, tt.want)
			}
			if !equality.Semantic.DeepEqual(&tt.spec, before) || !equality.Semantic.DeepEqual(tt.ranges, rangesBefore) {
				t.Error("Effective modified its input")
			}
		})
	}
}

func TestEffectiveNil(t *testing.T) {
	if got := Effective(nil, []*corev1.LimitRange{nil}); got != nil {
		t.Errorf("Effective(nil) = %v, want nil", got)
	}
}

func TestEffectiveClaimsCopied(t *testing.T) {
	spec := corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{Claims: []corev1.ResourceClaim{{Name: "gpu"}}}}}}
	got := Effective(&spec, nil)
	got[0].Claims[0].Name = "changed"
	if spec.Containers[0].Resources.Claims[0].Name != "gpu" {
		t.Error("Effective shares the claims slice with its input")
	}
}

func TestEffectiveEmptyIsNil(t *testing.T) {
	spec := corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Resources: corev1.ResourceRequirements{Limits: corev1.ResourceList{}, Requests: corev1.ResourceList{}}}}}
	got := Effective(&spec, []*corev1.LimitRange{limitRange()})
	if got[0].Limits != nil || got[0].Requests != nil {
		t.Errorf("Effective = %#v, want nil lists as the API server returns them", got[0])
	}
}

// TestHasEffectiveMatchesEffective holds the checks' shortcut to Effective: over random
// containers and LimitRanges, a value is set in Effective's result exactly when hasEffective
// says so.
func TestHasEffectiveMatchesEffective(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	names := []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory}
	list := func() corev1.ResourceList {
		var l corev1.ResourceList
		for _, n := range names {
			if rng.IntN(3) == 0 {
				if l == nil {
					l = corev1.ResourceList{}
				}
				l[n] = resource.MustParse("1")
			}
		}
		return l
	}
	types := []corev1.LimitType{corev1.LimitTypeContainer, corev1.LimitTypePod, corev1.LimitTypePersistentVolumeClaim}
	for i := 0; i < 5000; i++ {
		var spec corev1.PodSpec
		for j := rng.IntN(3); j >= 0; j-- {
			spec.Containers = append(spec.Containers, container(req(list(), list())))
		}
		var ranges []*corev1.LimitRange
		for j := rng.IntN(3); j > 0; j-- {
			var items []corev1.LimitRangeItem
			for k := rng.IntN(3); k > 0; k-- {
				items = append(items, corev1.LimitRangeItem{Type: types[rng.IntN(len(types))],
					Default: list(), DefaultRequest: list(), Max: list(), Min: list()})
			}
			ranges = append(ranges, limitRange(items...))
		}
		eff := Effective(&spec, ranges)
		d := Defaults(ranges)
		for ci := range spec.Containers {
			for _, n := range names {
				_, req := eff[ci].Requests[n]
				_, lim := eff[ci].Limits[n]
				if got := hasEffective(&spec.Containers[ci], &d, n, false); got != req {
					t.Fatalf("request %s: hasEffective %v, Effective %v\nspec %v\nranges %v", n, got, req, spec.Containers[ci].Resources, ranges)
				}
				if got := hasEffective(&spec.Containers[ci], &d, n, true); got != lim {
					t.Fatalf("limit %s: hasEffective %v, Effective %v\nspec %v\nranges %v", n, got, lim, spec.Containers[ci].Resources, ranges)
				}
			}
		}
	}
}
