package psa

import (
	"sort"
	"strconv"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/policy"
)

// Annotation prefixes the older seccomp checks read.
const (
	seccompPodAnnotation       = "seccomp.security.alpha.kubernetes.io/pod"
	seccompContainerAnnotation = "container.seccomp.security.alpha.kubernetes.io/"
)

// locate finds the field that makes check id fail on a (normalized) pod, as a path relative
// to the pod. It asks the upstream check itself which part fails: first the pod without
// containers (pod-level fields, volumes, annotations), then each container alone. The
// check-specific part is only which field of that pod or container to point at.
func locate(id string, fn policy.CheckPodFn, meta *metav1.ObjectMeta, spec *corev1.PodSpec) string {
	fails := func(s *corev1.PodSpec) bool { return !fn(meta, s).Allowed }
	// One pod spec and one one-element list per container kind serve every trial, and are
	// reused by the next locate: the upstream checks only read the pod they judge.
	t := trials.Get().(*trialPod)
	defer func() {
		*t = trialPod{}
		trials.Put(t)
	}()
	trial := &t.spec
	*trial = *spec
	trial.InitContainers, trial.Containers, trial.EphemeralContainers = nil, nil, nil
	if fails(trial) {
		return podField(id, fn, meta, spec)
	}
	for _, c := range containerRefs(spec) {
		trial.InitContainers, trial.Containers, trial.EphemeralContainers = nil, nil, nil
		switch c.list {
		case "initContainers", "containers":
			t.one[0] = *c.c
			if c.list == "initContainers" {
				trial.InitContainers = t.one[:]
			} else {
				trial.Containers = t.one[:]
			}
		default:
			t.ephemeral[0] = spec.EphemeralContainers[c.index]
			trial.EphemeralContainers = t.ephemeral[:]
		}
		if fails(trial) {
			return containerField(id, meta, spec, c)
		}
	}
	// Only the combination fails (no upstream check does this today): point at the spec.
	return "spec"
}

// trialPod is the pod that locate's trials judge.
type trialPod struct {
	spec      corev1.PodSpec
	one       [1]corev1.Container
	ephemeral [1]corev1.EphemeralContainer
}

var trials = sync.Pool{New: func() any { return new(trialPod) }}

// podField is the pod-level field that makes id fail.
func podField(id string, fn policy.CheckPodFn, meta *metav1.ObjectMeta, spec *corev1.PodSpec) string {
	sc := spec.SecurityContext
	const psc = "spec.securityContext"
	switch id {
	case "hostNamespaces":
		switch {
		case spec.HostNetwork:
			return "spec.hostNetwork"
		case spec.HostPID:
			return "spec.hostPID"
		}
		return "spec.hostIPC"
	case "hostPathVolumes", "restrictedVolumes":
		for i, v := range spec.Volumes {
			one := *spec
			one.InitContainers, one.Containers, one.EphemeralContainers = nil, nil, nil
			one.Volumes = []corev1.Volume{v}
			if !fn(meta, &one).Allowed {
				if v.HostPath != nil {
					return "spec.volumes[" + strconv.Itoa(i) + "].hostPath"
				}
				return "spec.volumes[" + strconv.Itoa(i) + "]"
			}
		}
		return "spec.volumes"
	case "sysctls":
		if sc != nil {
			for i, s := range sc.Sysctls {
				one := *spec
				osc := *sc
				osc.Sysctls = []corev1.Sysctl{s}
				one.SecurityContext = &osc
				one.InitContainers, one.Containers, one.EphemeralContainers = nil, nil, nil
				if !fn(meta, &one).Allowed {
					return psc + ".sysctls[" + strconv.Itoa(i) + "].name"
				}
			}
		}
		return psc + ".sysctls"
	case "runAsNonRoot":
		return psc + ".runAsNonRoot"
	case "runAsUser":
		return psc + ".runAsUser"
	case "seLinuxOptions":
		if sc != nil && sc.SELinuxOptions != nil {
			return seLinuxField(psc, sc.SELinuxOptions)
		}
	case "windowsHostProcess":
		return psc + ".windowsOptions.hostProcess"
	case "appArmorProfile":
		if sc != nil && sc.AppArmorProfile != nil && !okAppArmorType(sc.AppArmorProfile.Type) {
			return psc + ".appArmorProfile.type"
		}
		if k := firstAnnotation(meta, corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix, okAppArmorAnnotation); k != "" {
			return "metadata.annotations." + k
		}
	case "seccompProfile_baseline", "seccompProfile_restricted":
		if sc != nil && sc.SeccompProfile != nil && !okSeccompType(sc.SeccompProfile.Type) {
			return psc + ".seccompProfile.type"
		}
		if v, ok := meta.Annotations[seccompPodAnnotation]; ok && !okSeccompAnnotation(v) {
			return "metadata.annotations." + seccompPodAnnotation
		}
		if sc == nil || sc.SeccompProfile == nil {
			return psc + ".seccompProfile"
		}
	}
	return psc
}

// containerField is the field of container c that makes id fail.
func containerField(id string, meta *metav1.ObjectMeta, spec *corev1.PodSpec, c containerRef) string {
	sc := c.c.SecurityContext
	p := c.path()
	s := p + ".securityContext"
	psc := spec.SecurityContext
	switch id {
	case "privileged":
		return s + ".privileged"
	case "allowPrivilegeEscalation":
		return s + ".allowPrivilegeEscalation"
	case "capabilities_baseline":
		return s + ".capabilities.add"
	case "capabilities_restricted":
		if sc == nil || sc.Capabilities == nil {
			return s + ".capabilities.drop"
		}
		for _, d := range sc.Capabilities.Drop {
			if d == "ALL" {
				return s + ".capabilities.add"
			}
		}
		return s + ".capabilities.drop"
	case "procMount", "procMount_restricted":
		return s + ".procMount"
	case "runAsUser":
		return s + ".runAsUser"
	case "windowsHostProcess":
		return s + ".windowsOptions.hostProcess"
	case "runAsNonRoot":
		// Neither the pod nor the container says: the pod level is the usual place to.
		if (sc == nil || sc.RunAsNonRoot == nil) && (psc == nil || psc.RunAsNonRoot == nil) {
			return "spec.securityContext.runAsNonRoot"
		}
		return s + ".runAsNonRoot"
	case "seccompProfile_baseline", "seccompProfile_restricted":
		if sc != nil && sc.SeccompProfile != nil {
			return s + ".seccompProfile.type"
		}
		if k := seccompContainerAnnotation + c.c.Name; meta.Annotations[k] != "" {
			return "metadata.annotations." + k
		}
		if psc == nil || psc.SeccompProfile == nil {
			return "spec.securityContext.seccompProfile"
		}
		return s + ".seccompProfile"
	case "seLinuxOptions":
		if sc != nil && sc.SELinuxOptions != nil {
			return seLinuxField(s, sc.SELinuxOptions)
		}
		return s + ".seLinuxOptions"
	case "appArmorProfile":
		// A field the API server copied from the deprecated annotation is not in the
		// manifest: point at the annotation.
		if k := corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix + c.c.Name; meta.Annotations[k] != "" && !okAppArmorAnnotation(meta.Annotations[k]) {
			return "metadata.annotations." + k
		}
		return s + ".appArmorProfile.type"
	case "hostPorts":
		for j, port := range c.c.Ports {
			if port.HostPort != 0 {
				return p + ".ports[" + strconv.Itoa(j) + "].hostPort"
			}
		}
		return p + ".ports"
	case "hostProbesAndHostLifecycle":
		return hostProbeField(p, c.c)
	}
	return s
}

func seLinuxField(prefix string, o *corev1.SELinuxOptions) string {
	switch {
	case o.User != "":
		return prefix + ".seLinuxOptions.user"
	case o.Role != "":
		return prefix + ".seLinuxOptions.role"
	}
	return prefix + ".seLinuxOptions.type"
}

func hostProbeField(p string, c *corev1.Container) string {
	probes := []struct {
		name string
		pr   *corev1.Probe
	}{{"livenessProbe", c.LivenessProbe}, {"readinessProbe", c.ReadinessProbe}, {"startupProbe", c.StartupProbe}}
	for _, x := range probes {
		if x.pr == nil {
			continue
		}
		if x.pr.HTTPGet != nil && x.pr.HTTPGet.Host != "" {
			return p + "." + x.name + ".httpGet.host"
		}
		if x.pr.TCPSocket != nil && x.pr.TCPSocket.Host != "" {
			return p + "." + x.name + ".tcpSocket.host"
		}
	}
	if c.Lifecycle != nil {
		for _, x := range []struct {
			name string
			h    *corev1.LifecycleHandler
		}{{"postStart", c.Lifecycle.PostStart}, {"preStop", c.Lifecycle.PreStop}} {
			if x.h == nil {
				continue
			}
			if x.h.HTTPGet != nil && x.h.HTTPGet.Host != "" {
				return p + ".lifecycle." + x.name + ".httpGet.host"
			}
			if x.h.TCPSocket != nil && x.h.TCPSocket.Host != "" {
				return p + ".lifecycle." + x.name + ".tcpSocket.host"
			}
		}
	}
	return p
}

// firstAnnotation returns the first key (sorted) with prefix whose value ok refuses.
func firstAnnotation(meta *metav1.ObjectMeta, prefix string, ok func(string) bool) string {
	var keys []string
	for k, v := range meta.Annotations {
		if strings.HasPrefix(k, prefix) && !ok(v) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	sort.Strings(keys)
	return keys[0]
}

// The values below only choose which field to point at; verdicts are upstream's.

func okAppArmorType(t corev1.AppArmorProfileType) bool {
	return t == corev1.AppArmorProfileTypeRuntimeDefault || t == corev1.AppArmorProfileTypeLocalhost
}

func okAppArmorAnnotation(v string) bool {
	return v == "" || v == corev1.DeprecatedAppArmorBetaProfileRuntimeDefault ||
		strings.HasPrefix(v, corev1.DeprecatedAppArmorBetaProfileNamePrefix)
}

func okSeccompType(t corev1.SeccompProfileType) bool {
	return t == corev1.SeccompProfileTypeRuntimeDefault || t == corev1.SeccompProfileTypeLocalhost
}

func okSeccompAnnotation(v string) bool {
	return v == corev1.SeccompProfileRuntimeDefault || v == corev1.DeprecatedSeccompProfileDockerDefault ||
		strings.HasPrefix(v, corev1.SeccompLocalhostProfileNamePrefix)
}

// containerRef is a container with the list it is in.
type containerRef struct {
	c     *corev1.Container
	list  string // initContainers, containers, ephemeralContainers
	index int
}

func (c containerRef) path() string {
	return "spec." + c.list + "[" + strconv.Itoa(c.index) + "]"
}

// containerRefs lists the containers in upstream visiting order.
func containerRefs(spec *corev1.PodSpec) []containerRef {
	out := make([]containerRef, 0, len(spec.InitContainers)+len(spec.Containers)+len(spec.EphemeralContainers))
	for i := range spec.InitContainers {
		out = append(out, containerRef{&spec.InitContainers[i], "initContainers", i})
	}
	for i := range spec.Containers {
		out = append(out, containerRef{&spec.Containers[i], "containers", i})
	}
	for i := range spec.EphemeralContainers {
		out = append(out, containerRef{(*corev1.Container)(&spec.EphemeralContainers[i].EphemeralContainerCommon), "ephemeralContainers", i})
	}
	return out
}
