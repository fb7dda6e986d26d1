package resources

import (
	corev1 "k8s.io/api/core/v1"
)

// Effective returns the resources every container of spec ends up with when a pod with this
// spec is created in a namespace that holds ranges, in the order PodTemplate.Containers lists
// them: init containers first, then regular containers. Ephemeral containers carry no
// resources and are left out.
//
// It mirrors the API server step by step:
//
//  1. Pod defaulting (SetDefaults_Pod): a container that sets a limit but no request for a
//     resource gets a request equal to the limit. This happens when the pod object is
//     decoded, before admission, so a container's own limit wins over a LimitRange's
//     defaultRequest.
//  2. LimitRange defaulting (SetDefaults_LimitRangeItem), which the API server applied when
//     each LimitRange was stored: for a "Container" item, max fills a missing default,
//     default fills a missing defaultRequest, and min fills a still-missing defaultRequest.
//     Ranges read from manifests have not been through it; ranges read from a cluster
//     already have, and applying it again changes nothing.
//  3. The LimitRanger admission plugin: for each LimitRange, its "Container" items are merged
//     (a later item overrides an earlier one for the same resource), then default fills each
//     limit a container lacks and defaultRequest each request it lacks. A limit filled here
//     does not imply a request: step 1 has already run.
//
// With several LimitRanges the API server takes them in its informer's order, which is not
// defined; Effective takes them in the order given. Which resources end up set does not
// depend on the order, only which value does when two ranges default the same resource.
//
// The result holds copies; spec and ranges are not modified. Empty lists are nil, as they
// read back from the API server. Pod-level resources (spec.resources) are not folded in: the
// API server keeps them separate, and the checks consider them on their own.
func Effective(spec *corev1.PodSpec, ranges []*corev1.LimitRange) []corev1.ResourceRequirements {
	return effective(spec, Defaults(ranges))
}

// Defaults returns the container defaults that ranges impose, after LimitRange defaulting and
// merged as the LimitRanger plugin merges them: Limits from default, Requests from
// defaultRequest, the first range that sets a resource winning over later ones.
func Defaults(ranges []*corev1.LimitRange) corev1.ResourceRequirements {
	var out corev1.ResourceRequirements
	for _, lr := range ranges {
		if lr == nil {
			continue
		}
		// One range's items are merged with later items overriding earlier ones; across
		// ranges, the first to set a resource wins because the plugin only fills what the
		// container still lacks.
		var limits, requests corev1.ResourceList
		for i := range lr.Spec.Limits {
			item := &lr.Spec.Limits[i]
			if item.Type != corev1.LimitTypeContainer {
				continue
			}
			def, defReq := defaultItem(item)
			limits = overlay(limits, def)
			requests = overlay(requests, defReq)
		}
		out.Limits = fill(out.Limits, limits)
		out.Requests = fill(out.Requests, requests)
	}
	return out
}

// defaultItem returns a Container item's default and defaultRequest after the API server's
// defaulting of LimitRangeItem.
func defaultItem(item *corev1.LimitRangeItem) (def, defReq corev1.ResourceList) {
	def = fill(nil, item.Default)
	def = fill(def, item.Max)
	defReq = fill(nil, item.DefaultRequest)
	defReq = fill(defReq, def)
	defReq = fill(defReq, item.Min)
	return def, defReq
}

func effective(spec *corev1.PodSpec, defaults corev1.ResourceRequirements) []corev1.ResourceRequirements {
	if spec == nil {
		return nil
	}
	out := make([]corev1.ResourceRequirements, 0, len(spec.InitContainers)+len(spec.Containers))
	add := func(c *corev1.Container) {
		r := corev1.ResourceRequirements{
			Limits:   fill(nil, c.Resources.Limits),
			Requests: fill(nil, c.Resources.Requests),
		}
		if len(c.Resources.Claims) > 0 {
			r.Claims = append([]corev1.ResourceClaim(nil), c.Resources.Claims...)
		}
		r.Requests = fill(r.Requests, r.Limits) // step 1
		r.Limits = fill(r.Limits, defaults.Limits)
		r.Requests = fill(r.Requests, defaults.Requests)
		out = append(out, r)
	}
	for i := range spec.InitContainers {
		add(&spec.InitContainers[i])
	}
	for i := range spec.Containers {
		add(&spec.Containers[i])
	}
	return out
}

// fill copies into dst every entry of src whose key dst lacks, allocating dst when needed.
func fill(dst, src corev1.ResourceList) corev1.ResourceList {
	for k, v := range src {
		if _, ok := dst[k]; ok {
			continue
		}
		if dst == nil {
			dst = make(corev1.ResourceList, len(src))
		}
		dst[k] = v.DeepCopy()
	}
	return dst
}

// overlay copies every entry of src into dst, replacing what dst had.
func overlay(dst, src corev1.ResourceList) corev1.ResourceList {
	for k, v := range src {
		if dst == nil {
			dst = make(corev1.ResourceList, len(src))
		}
		dst[k] = v.DeepCopy()
	}
	return dst
}
