package psa

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Normalize returns the pod as the API server's PodSecurity admission sees it when the pod
// is created from this spec: after the defaulting that happens on decode and the pod
// strategy's preparation, which run before validating admission. Only what a Pod Security
// check reads is applied:
//
//   - a volume without a source becomes an emptyDir (SetDefaults_Volume);
//   - on a host-network pod, a container port without a hostPort gets its containerPort
//     as hostPort (SetDefaults_Pod);
//   - a container's deprecated AppArmor annotation is copied to its appArmorProfile field
//     when the field is unset and differs from the pod's profile (the pod strategy's
//     AppArmor version-skew handling; not on Windows pods).
//
// The inputs are not modified; when nothing changes, they are returned as they are.
func Normalize(meta *metav1.ObjectMeta, spec *corev1.PodSpec) (*metav1.ObjectMeta, *corev1.PodSpec) {
	if meta == nil {
		meta = &metav1.ObjectMeta{}
	}
	if spec == nil {
		return meta, &corev1.PodSpec{}
	}
	if !needsNormalizing(meta, spec) {
		return meta, spec
	}
	spec = spec.DeepCopy()
	for i := range spec.Volumes {
		if noSource(&spec.Volumes[i].VolumeSource) {
			spec.Volumes[i].EmptyDir = &corev1.EmptyDirVolumeSource{}
		}
	}
	if spec.HostNetwork {
		defaultHostPorts(spec.Containers)
		defaultHostPorts(spec.InitContainers)
	}
	if spec.OS == nil || spec.OS.Name != corev1.Windows {
		var podProfile *corev1.AppArmorProfile
		if spec.SecurityContext != nil {
			podProfile = spec.SecurityContext.AppArmorProfile
		}
		visit(spec, func(c *corev1.Container) {
			p, ok := annotationProfile(meta, c)
			if !ok || sameProfile(p, podProfile) {
				return
			}
			if c.SecurityContext == nil {
				c.SecurityContext = &corev1.SecurityContext{}
			}
			c.SecurityContext.AppArmorProfile = p
		})
	}
	return meta, spec
}

func needsNormalizing(meta *metav1.ObjectMeta, spec *corev1.PodSpec) bool {
	for i := range spec.Volumes {
		if noSource(&spec.Volumes[i].VolumeSource) {
			return true
		}
	}
	if spec.HostNetwork {
		for _, cs := range [][]corev1.Container{spec.Containers, spec.InitContainers} {
			for i := range cs {
				for _, p := range cs[i].Ports {
					if p.HostPort == 0 {
						return true
					}
				}
			}
		}
	}
	for k := range meta.Annotations {
		if strings.HasPrefix(k, corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix) {
			return true
		}
	}
	return false
}

func defaultHostPorts(cs []corev1.Container) {
	for i := range cs {
		for j := range cs[i].Ports {
			if cs[i].Ports[j].HostPort == 0 {
				cs[i].Ports[j].HostPort = cs[i].Ports[j].ContainerPort
			}
		}
	}
}

// noSource reports whether a volume names no source at all.
func noSource(v *corev1.VolumeSource) bool {
	return *v == corev1.VolumeSource{}
}

// annotationProfile is the AppArmor field the API server derives from container c's
// deprecated annotation, when it has one that converts to a valid field.
func annotationProfile(meta *metav1.ObjectMeta, c *corev1.Container) (*corev1.AppArmorProfile, bool) {
	if c.SecurityContext != nil && c.SecurityContext.AppArmorProfile != nil {
		return nil, false
	}
	v, ok := meta.Annotations[corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix+c.Name]
	if !ok {
		return nil, false
	}
	switch {
	case v == corev1.DeprecatedAppArmorBetaProfileRuntimeDefault:
		return &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeRuntimeDefault}, true
	case v == corev1.DeprecatedAppArmorBetaProfileNameUnconfined:
		return &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}, true
	case strings.HasPrefix(v, corev1.DeprecatedAppArmorBetaProfileNamePrefix):
		name := strings.TrimPrefix(v, corev1.DeprecatedAppArmorBetaProfileNamePrefix)
		// The API server skips values its field validation would refuse: an empty,
		// whitespace-padded or over-long (4095 bytes) localhost profile name.
		if name == "" || strings.TrimSpace(name) != name || len(name) > 4095 {
			return nil, false
		}
		return &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeLocalhost, LocalhostProfile: &name}, true
	}
	return nil, false
}

func sameProfile(a, b *corev1.AppArmorProfile) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Type != b.Type {
		return false
	}
	if a.LocalhostProfile == nil || b.LocalhostProfile == nil {
		return a.LocalhostProfile == b.LocalhostProfile
	}
	return *a.LocalhostProfile == *b.LocalhostProfile
}

// visit calls f on every container in the order the upstream checks visit them: init,
// regular, then ephemeral containers.
func visit(spec *corev1.PodSpec, f func(*corev1.Container)) {
	for i := range spec.InitContainers {
		f(&spec.InitContainers[i])
	}
	for i := range spec.Containers {
		f(&spec.Containers[i])
	}
	for i := range spec.EphemeralContainers {
		f((*corev1.Container)(&spec.EphemeralContainers[i].EphemeralContainerCommon))
	}
}
