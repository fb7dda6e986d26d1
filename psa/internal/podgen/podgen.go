// Package podgen generates pods that exercise every Pod Security check, passing and failing,
// alone and in combination, for differential tests against the API server. Every pod is meant
// to be valid (the API server's validation accepts it), so that admission alone decides.
//
// Generation is deterministic for a seed: the first pods apply each variant once to a pod
// that passes restricted, so each check's pass and fail cases are seen in isolation; the
// rest combine random variants on random bases.
package podgen

import (
	"fmt"
	"math/rand/v2"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// Variant changes a pod in one way that one Pod Security check cares about.
type Variant struct {
	// Name says what it does: "privileged/fail/container".
	Name string
	// Check is the upstream check it exercises; Fail says whether it should fail that check
	// (at the newest policy version; older versions may judge differently).
	Check string
	Fail  bool
	// Windows variants apply only to Windows pods, the others only to Linux pods.
	Windows bool
	Apply   func(p *corev1.Pod, r *rand.Rand)
}

const image = "registry.k8s.io/pause:3.10"

// Pods returns n pods for seed. Names are unique ("pod-0000", ...); each pod carries the
// variants applied to it in the annotation AnnotationVariants.
func Pods(seed uint64, n int) []*corev1.Pod {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	vs := Variants()
	var linux, windows []Variant
	for _, v := range vs {
		if v.Windows {
			windows = append(windows, v)
		} else {
			linux = append(linux, v)
		}
	}
	out := make([]*corev1.Pod, 0, n)
	add := func(p *corev1.Pod, applied []Variant) {
		p.Name = fmt.Sprintf("pod-%04d", len(out))
		names := ""
		for i, v := range applied {
			if i > 0 {
				names += ","
			}
			names += v.Name
		}
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		p.Annotations[AnnotationVariants] = names
		repair(p)
		out = append(out, p)
	}
	// Every variant alone, on the base that passes restricted.
	for _, v := range vs {
		if len(out) == n {
			return out
		}
		p := Restricted(v.Windows)
		v.Apply(p, r)
		add(p, []Variant{v})
	}
	// Then random combinations on random bases.
	for len(out) < n {
		win := r.IntN(8) == 0
		pool := linux
		var p *corev1.Pod
		if win {
			pool = windows
			p = Restricted(true)
		} else {
			switch r.IntN(3) {
			case 0:
				p = Restricted(false)
			case 1:
				p = Baseline()
			default:
				p = Restricted(false)
				addContainers(p, r)
			}
		}
		k := 1 + r.IntN(4)
		var applied []Variant
		for i := 0; i < k; i++ {
			v := pool[r.IntN(len(pool))]
			v.Apply(p, r)
			applied = append(applied, v)
		}
		add(p, applied)
	}
	return out
}

// AnnotationVariants lists the variants applied to a generated pod.
const AnnotationVariants = "podgen.kubeharden.io/variants"

// Baseline is a pod that passes baseline but fails restricted: no security context at all.
func Baseline() *corev1.Pod {
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		Spec: corev1.PodSpec{
			InitContainers: []corev1.Container{{Name: "init", Image: image}},
			Containers:     []corev1.Container{{Name: "app", Image: image}},
		},
	}
}

// Restricted is a pod that passes restricted at every version.
func Restricted(windows bool) *corev1.Pod {
	p := Baseline()
	p.Spec.SecurityContext = &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true)}
	if windows {
		p.Spec.OS = &corev1.PodOS{Name: corev1.Windows}
		return p
	}
	p.Spec.SecurityContext.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
	for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for i := range cs {
			cs[i].SecurityContext = restrictedContext()
		}
	}
	return p
}

func restrictedContext() *corev1.SecurityContext {
	return &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false),
		Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
	}
}

// addContainers adds one or two more containers, some restricted, some bare.
func addContainers(p *corev1.Pod, r *rand.Rand) {
	for i := 0; i < 1+r.IntN(2); i++ {
		c := corev1.Container{Name: fmt.Sprintf("extra%d", i), Image: image}
		if r.IntN(2) == 0 {
			c.SecurityContext = restrictedContext()
		}
		if r.IntN(3) == 0 {
			p.Spec.InitContainers = append(p.Spec.InitContainers, corev1.Container{Name: fmt.Sprintf("init%d", i), Image: image, SecurityContext: c.SecurityContext})
		} else {
			p.Spec.Containers = append(p.Spec.Containers, c)
		}
	}
}

// container picks a container (init or regular) to change.
func container(p *corev1.Pod, r *rand.Rand) *corev1.Container {
	n := len(p.Spec.InitContainers) + len(p.Spec.Containers)
	i := r.IntN(n)
	if i < len(p.Spec.InitContainers) {
		return &p.Spec.InitContainers[i]
	}
	return &p.Spec.Containers[i-len(p.Spec.InitContainers)]
}

func sc(c *corev1.Container) *corev1.SecurityContext {
	if c.SecurityContext == nil {
		c.SecurityContext = &corev1.SecurityContext{}
	}
	return c.SecurityContext
}

func psc(p *corev1.Pod) *corev1.PodSecurityContext {
	if p.Spec.SecurityContext == nil {
		p.Spec.SecurityContext = &corev1.PodSecurityContext{}
	}
	return p.Spec.SecurityContext
}

func caps(c *corev1.Container) *corev1.Capabilities {
	s := sc(c)
	if s.Capabilities == nil {
		s.Capabilities = &corev1.Capabilities{}
	}
	return s.Capabilities
}

func addVolume(p *corev1.Pod, v corev1.Volume) {
	v.Name = fmt.Sprintf("vol%d", len(p.Spec.Volumes))
	p.Spec.Volumes = append(p.Spec.Volumes, v)
}

// addPort adds a port to c whose number no other container of p uses (host ports must be
// unique in a pod).
func addPort(p *corev1.Pod, c *corev1.Container, cp corev1.ContainerPort) {
	n := 0
	for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
		for i := range cs {
			n += len(cs[i].Ports)
		}
	}
	cp.ContainerPort = int32(8000 + n)
	if cp.HostPort != 0 {
		cp.HostPort = cp.ContainerPort
	}
	c.Ports = append(c.Ports, cp)
}

// Variants lists every variant, grouped by check.
func Variants() []Variant {
	v := func(name, check string, fail bool, apply func(*corev1.Pod, *rand.Rand)) Variant {
		return Variant{Name: name, Check: check, Fail: fail, Apply: apply}
	}
	win := func(name, check string, fail bool, apply func(*corev1.Pod, *rand.Rand)) Variant {
		return Variant{Name: name, Check: check, Fail: fail, Windows: true, Apply: apply}
	}
	return []Variant{
		v("privileged/fail", "privileged", true, func(p *corev1.Pod, r *rand.Rand) {
			sc(container(p, r)).Privileged = ptr.To(true)
		}),
		v("privileged/pass-false", "privileged", false, func(p *corev1.Pod, r *rand.Rand) {
			sc(container(p, r)).Privileged = ptr.To(false)
		}),

		v("hostNamespaces/fail-network", "hostNamespaces", true, func(p *corev1.Pod, r *rand.Rand) { p.Spec.HostNetwork = true }),
		v("hostNamespaces/fail-pid", "hostNamespaces", true, func(p *corev1.Pod, r *rand.Rand) { p.Spec.HostPID = true }),
		v("hostNamespaces/fail-ipc", "hostNamespaces", true, func(p *corev1.Pod, r *rand.Rand) { p.Spec.HostIPC = true }),
		v("hostNamespaces/fail-network-ports", "hostNamespaces", true, func(p *corev1.Pod, r *rand.Rand) {
			p.Spec.HostNetwork = true
			addPort(p, container(p, r), corev1.ContainerPort{})
		}),

		v("hostPathVolumes/fail", "hostPathVolumes", true, func(p *corev1.Pod, r *rand.Rand) {
			addVolume(p, corev1.Volume{VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var/log"}}})
		}),
		v("hostPathVolumes/pass-emptydir", "hostPathVolumes", false, func(p *corev1.Pod, r *rand.Rand) {
			addVolume(p, corev1.Volume{VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
		}),

		v("hostPorts/fail", "hostPorts", true, func(p *corev1.Pod, r *rand.Rand) {
			addPort(p, container(p, r), corev1.ContainerPort{HostPort: 1})
		}),
		v("hostPorts/pass-containerport", "hostPorts", false, func(p *corev1.Pod, r *rand.Rand) {
			addPort(p, container(p, r), corev1.ContainerPort{})
		}),

		v("hostProbesAndHostLifecycle/fail-httpget", "hostProbesAndHostLifecycle", true, func(p *corev1.Pod, r *rand.Rand) {
			c := &p.Spec.Containers[r.IntN(len(p.Spec.Containers))]
			c.LivenessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Host: "10.0.0.1", Port: port(8080), Path: "/"}}}
		}),
		v("hostProbesAndHostLifecycle/fail-tcp", "hostProbesAndHostLifecycle", true, func(p *corev1.Pod, r *rand.Rand) {
			c := &p.Spec.Containers[r.IntN(len(p.Spec.Containers))]
			c.ReadinessProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Host: "metadata.internal", Port: port(80)}}}
		}),
		v("hostProbesAndHostLifecycle/fail-lifecycle", "hostProbesAndHostLifecycle", true, func(p *corev1.Pod, r *rand.Rand) {
			c := &p.Spec.Containers[r.IntN(len(p.Spec.Containers))]
			c.Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{HTTPGet: &corev1.HTTPGetAction{Host: "169.254.169.254", Port: port(80), Path: "/"}}}
		}),
		v("hostProbesAndHostLifecycle/pass", "hostProbesAndHostLifecycle", false, func(p *corev1.Pod, r *rand.Rand) {
			c := &p.Spec.Containers[r.IntN(len(p.Spec.Containers))]
			c.StartupProbe = &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: port(8080), Path: "/healthz"}}}
		}),

		v("capabilities_baseline/fail-netadmin", "capabilities_baseline", true, func(p *corev1.Pod, r *rand.Rand) {
			c := caps(container(p, r))
			c.Add = append(c.Add, "NET_ADMIN")
		}),
		v("capabilities_baseline/fail-sysadmin", "capabilities_baseline", true, func(p *corev1.Pod, r *rand.Rand) {
			c := caps(container(p, r))
			c.Add = append(c.Add, "SYS_ADMIN")
		}),
		v("capabilities_baseline/fail-netraw-prefixed", "capabilities_baseline", true, func(p *corev1.Pod, r *rand.Rand) {
			c := caps(container(p, r))
			c.Add = append(c.Add, "CAP_NET_RAW")
		}),
		v("capabilities_baseline/pass-chown", "capabilities_baseline", false, func(p *corev1.Pod, r *rand.Rand) {
			c := caps(container(p, r))
			c.Add = append(c.Add, "CHOWN")
		}),
		v("capabilities_restricted/fail-no-drop", "capabilities_restricted", true, func(p *corev1.Pod, r *rand.Rand) {
			caps(container(p, r)).Drop = nil
		}),
		v("capabilities_restricted/fail-drop-some", "capabilities_restricted", true, func(p *corev1.Pod, r *rand.Rand) {
			caps(container(p, r)).Drop = []corev1.Capability{"NET_RAW"}
		}),
		v("capabilities_restricted/pass-netbind", "capabilities_restricted", false, func(p *corev1.Pod, r *rand.Rand) {
			c := caps(container(p, r))
			c.Drop = []corev1.Capability{"ALL"}
			c.Add = []corev1.Capability{"NET_BIND_SERVICE"}
		}),

		v("appArmorProfile/fail-pod", "appArmorProfile", true, func(p *corev1.Pod, r *rand.Rand) {
			psc(p).AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}
		}),
		v("appArmorProfile/fail-container", "appArmorProfile", true, func(p *corev1.Pod, r *rand.Rand) {
			sc(container(p, r)).AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeUnconfined}
		}),
		v("appArmorProfile/fail-annotation", "appArmorProfile", true, func(p *corev1.Pod, r *rand.Rand) {
			c := container(p, r)
			if c.SecurityContext != nil && c.SecurityContext.AppArmorProfile != nil {
				return
			}
			annotate(p, corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix+c.Name, "unconfined")
		}),
		v("appArmorProfile/pass-runtimedefault", "appArmorProfile", false, func(p *corev1.Pod, r *rand.Rand) {
			sc(container(p, r)).AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeRuntimeDefault}
		}),
		v("appArmorProfile/pass-localhost", "appArmorProfile", false, func(p *corev1.Pod, r *rand.Rand) {
			psc(p).AppArmorProfile = &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeLocalhost, LocalhostProfile: ptr.To("k8s-nginx")}
		}),
		v("appArmorProfile/pass-annotation", "appArmorProfile", false, func(p *corev1.Pod, r *rand.Rand) {
			c := container(p, r)
			if c.SecurityContext != nil && c.SecurityContext.AppArmorProfile != nil {
				return
			}
			annotate(p, corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix+c.Name, "runtime/default")
		}),

		v("seLinuxOptions/fail-type", "seLinuxOptions", true, func(p *corev1.Pod, r *rand.Rand) {
			sc(container(p, r)).SELinuxOptions = &corev1.SELinuxOptions{Type: "spc_t"}
		}),
		v("seLinuxOptions/fail-user", "seLinuxOptions", true, func(p *corev1.Pod, r *rand.Rand) {
			psc(p).SELinuxOptions = &corev1.SELinuxOptions{User: "system_u"}
		}),
		v("seLinuxOptions/fail-role", "seLinuxOptions", true, func(p *corev1.Pod, r *rand.Rand) {
			sc(container(p, r)).SELinuxOptions = &corev1.SELinuxOptions{Role: "sysadm_r"}
		}),
		v("seLinuxOptions/pass-level", "seLinuxOptions", false, func(p *corev1.Pod, r *rand.Rand) {
			psc(p).SELinuxOptions = &corev1.SELinuxOptions{Type: "container_t", Level: "s0:c123,c456"}
		}),
		v("seLinuxOptions/pass-engine", "seLinuxOptions", false, func(p *corev1.Pod, r *rand.Rand) {
			sc(container(p, r)).SELinuxOptions = &corev1.SELinuxOptions{Type: "container_engine_t"}
		}),

		v("procMount/fail-unmasked", "procMount", true, func(p *corev1.Pod, r *rand.Rand) {
			sc(container(p, r)).ProcMount = ptr.To(corev1.UnmaskedProcMount)
		}),
		v("procMount/pass-default", "procMount", false, func(p *corev1.Pod, r *rand.Rand) {
			sc(container(p, r)).ProcMount = ptr.To(corev1.DefaultProcMount)
		}),
		v("procMount_restricted/fail-userns", "procMount_restricted", true, func(p *corev1.Pod, r *rand.Rand) {
			p.Spec.HostUsers = ptr.To(false)
			sc(container(p, r)).ProcMount = ptr.To(corev1.UnmaskedProcMount)
		}),

		v("seccompProfile_baseline/fail-pod", "seccompProfile_baseline", true, func(p *corev1.Pod, r *rand.Rand) {
			psc(p).SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
		}),
		v("seccompProfile_baseline/fail-container", "seccompProfile_baseline", true, func(p *corev1.Pod, r *rand.Rand) {
			sc(container(p, r)).SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}
		}),
		v("seccompProfile_baseline/pass-localhost", "seccompProfile_baseline", false, func(p *corev1.Pod, r *rand.Rand) {
			sc(container(p, r)).SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: ptr.To("profiles/audit.json")}
		}),
		v("seccompProfile_restricted/fail-unset", "seccompProfile_restricted", true, func(p *corev1.Pod, r *rand.Rand) {
			if p.Spec.SecurityContext != nil {
				p.Spec.SecurityContext.SeccompProfile = nil
			}
		}),
		v("seccompProfile_restricted/pass-containers", "seccompProfile_restricted", false, func(p *corev1.Pod, r *rand.Rand) {
			if p.Spec.SecurityContext != nil {
				p.Spec.SecurityContext.SeccompProfile = nil
			}
			for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
				for i := range cs {
					if s := sc(&cs[i]); s.SeccompProfile == nil {
						s.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
					}
				}
			}
		}),

		v("sysctls/fail", "sysctls", true, func(p *corev1.Pod, r *rand.Rand) {
			addSysctl(p, "kernel.msgmax", "65536")
		}),
		v("sysctls/pass-safe", "sysctls", false, func(p *corev1.Pod, r *rand.Rand) {
			addSysctl(p, "kernel.shm_rmid_forced", "1")
		}),
		v("sysctls/pass-new", "sysctls", false, func(p *corev1.Pod, r *rand.Rand) {
			addSysctl(p, "net.ipv4.tcp_keepalive_time", "600")
		}),
		v("sysctls/pass-newest", "sysctls", false, func(p *corev1.Pod, r *rand.Rand) {
			addSysctl(p, "net.ipv4.tcp_notsent_lowat", "16384")
		}),

		v("restrictedVolumes/fail-nfs", "restrictedVolumes", true, func(p *corev1.Pod, r *rand.Rand) {
			addVolume(p, corev1.Volume{VolumeSource: corev1.VolumeSource{NFS: &corev1.NFSVolumeSource{Server: "nfs.example.com", Path: "/exports"}}})
		}),
		v("restrictedVolumes/fail-iscsi", "restrictedVolumes", true, func(p *corev1.Pod, r *rand.Rand) {
			addVolume(p, corev1.Volume{VolumeSource: corev1.VolumeSource{ISCSI: &corev1.ISCSIVolumeSource{TargetPortal: "10.0.0.2:3260", IQN: "iqn.2001-04.com.example:storage", Lun: 0}}})
		}),
		v("restrictedVolumes/pass-configmap", "restrictedVolumes", false, func(p *corev1.Pod, r *rand.Rand) {
			addVolume(p, corev1.Volume{VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}}})
		}),
		v("restrictedVolumes/pass-projected", "restrictedVolumes", false, func(p *corev1.Pod, r *rand.Rand) {
			addVolume(p, corev1.Volume{VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
				{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}},
				{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "name", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"}}}}}}}}})
		}),
		v("restrictedVolumes/pass-pvc", "restrictedVolumes", false, func(p *corev1.Pod, r *rand.Rand) {
			addVolume(p, corev1.Volume{VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data"}}})
		}),
		v("restrictedVolumes/pass-ephemeral", "restrictedVolumes", false, func(p *corev1.Pod, r *rand.Rand) {
			addVolume(p, corev1.Volume{VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{
				VolumeClaimTemplate: &corev1.PersistentVolumeClaimTemplate{Spec: corev1.PersistentVolumeClaimSpec{
					AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
				}}}}})
		}),
		v("restrictedVolumes/pass-csi", "restrictedVolumes", false, func(p *corev1.Pod, r *rand.Rand) {
			addVolume(p, corev1.Volume{VolumeSource: corev1.VolumeSource{CSI: &corev1.CSIVolumeSource{Driver: "secrets-store.csi.k8s.io"}}})
		}),
		v("restrictedVolumes/pass-image", "restrictedVolumes", false, func(p *corev1.Pod, r *rand.Rand) {
			addVolume(p, corev1.Volume{VolumeSource: corev1.VolumeSource{Image: &corev1.ImageVolumeSource{Reference: "registry.k8s.io/e2e-test-images/busybox:1.36", PullPolicy: corev1.PullIfNotPresent}}})
		}),
		v("restrictedVolumes/pass-nosource", "restrictedVolumes", false, func(p *corev1.Pod, r *rand.Rand) {
			addVolume(p, corev1.Volume{})
		}),
		v("restrictedVolumes/pass-downward", "restrictedVolumes", false, func(p *corev1.Pod, r *rand.Rand) {
			addVolume(p, corev1.Volume{VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{
				{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.labels"}}}}}})
		}),

		v("runAsNonRoot/fail-unset", "runAsNonRoot", true, func(p *corev1.Pod, r *rand.Rand) {
			if p.Spec.SecurityContext != nil {
				p.Spec.SecurityContext.RunAsNonRoot = nil
			}
		}),
		v("runAsNonRoot/fail-pod-false", "runAsNonRoot", true, func(p *corev1.Pod, r *rand.Rand) {
			psc(p).RunAsNonRoot = ptr.To(false)
		}),
		v("runAsNonRoot/fail-container-false", "runAsNonRoot", true, func(p *corev1.Pod, r *rand.Rand) {
			sc(container(p, r)).RunAsNonRoot = ptr.To(false)
		}),
		v("runAsNonRoot/pass-containers", "runAsNonRoot", false, func(p *corev1.Pod, r *rand.Rand) {
			if p.Spec.SecurityContext != nil {
				p.Spec.SecurityContext.RunAsNonRoot = nil
			}
			for _, cs := range [][]corev1.Container{p.Spec.InitContainers, p.Spec.Containers} {
				for i := range cs {
					sc(&cs[i]).RunAsNonRoot = ptr.To(true)
				}
			}
		}),
		v("runAsNonRoot/pass-userns", "runAsNonRoot", false, func(p *corev1.Pod, r *rand.Rand) {
			p.Spec.HostUsers = ptr.To(false)
			if p.Spec.SecurityContext != nil {
				p.Spec.SecurityContext.RunAsNonRoot = nil
			}
		}),

		v("runAsUser/fail-pod", "runAsUser", true, func(p *corev1.Pod, r *rand.Rand) {
			psc(p).RunAsUser = ptr.To[int64](0)
		}),
		v("runAsUser/fail-container", "runAsUser", true, func(p *corev1.Pod, r *rand.Rand) {
			sc(container(p, r)).RunAsUser = ptr.To[int64](0)
		}),
		v("runAsUser/pass-nonzero", "runAsUser", false, func(p *corev1.Pod, r *rand.Rand) {
			psc(p).RunAsUser = ptr.To[int64](1000)
		}),
		v("runAsUser/pass-userns", "runAsUser", false, func(p *corev1.Pod, r *rand.Rand) {
			p.Spec.HostUsers = ptr.To(false)
			psc(p).RunAsUser = ptr.To[int64](0)
		}),

		v("allowPrivilegeEscalation/fail-unset", "allowPrivilegeEscalation", true, func(p *corev1.Pod, r *rand.Rand) {
			sc(container(p, r)).AllowPrivilegeEscalation = nil
		}),
		v("allowPrivilegeEscalation/fail-true", "allowPrivilegeEscalation", true, func(p *corev1.Pod, r *rand.Rand) {
			sc(container(p, r)).AllowPrivilegeEscalation = ptr.To(true)
		}),
		v("allowPrivilegeEscalation/pass", "allowPrivilegeEscalation", false, func(p *corev1.Pod, r *rand.Rand) {
			sc(container(p, r)).AllowPrivilegeEscalation = ptr.To(false)
		}),

		win("windowsHostProcess/fail", "windowsHostProcess", true, func(p *corev1.Pod, r *rand.Rand) {
			p.Spec.HostNetwork = true
			psc(p).WindowsOptions = &corev1.WindowsSecurityContextOptions{HostProcess: ptr.To(true), RunAsUserName: ptr.To(`NT AUTHORITY\SYSTEM`)}
			p.Spec.SecurityContext.RunAsNonRoot = nil
		}),
		win("windowsHostProcess/pass-false", "windowsHostProcess", false, func(p *corev1.Pod, r *rand.Rand) {
			psc(p).WindowsOptions = &corev1.WindowsSecurityContextOptions{HostProcess: ptr.To(false)}
		}),
		win("windows/runAsNonRoot-unset", "runAsNonRoot", true, func(p *corev1.Pod, r *rand.Rand) {
			if p.Spec.SecurityContext != nil {
				p.Spec.SecurityContext.RunAsNonRoot = nil
			}
		}),
		win("windows/hostPort", "hostPorts", true, func(p *corev1.Pod, r *rand.Rand) {
			addPort(p, container(p, r), corev1.ContainerPort{HostPort: 1})
		}),
		win("windows/hostPath", "hostPathVolumes", true, func(p *corev1.Pod, r *rand.Rand) {
			addVolume(p, corev1.Volume{VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: `C:\logs`}}})
		}),
	}
}

func annotate(p *corev1.Pod, k, v string) {
	if p.Annotations == nil {
		p.Annotations = map[string]string{}
	}
	p.Annotations[k] = v
}

func addSysctl(p *corev1.Pod, name, value string) {
	s := psc(p)
	for _, x := range s.Sysctls {
		if x.Name == name {
			return
		}
	}
	s.Sysctls = append(s.Sysctls, corev1.Sysctl{Name: name, Value: value})
}

func port(n int) intstr.IntOrString { return intstr.FromInt32(int32(n)) }

// repair removes combinations the API server's validation refuses, so that only admission
// decides about a generated pod.
func repair(p *corev1.Pod) {
	s := &p.Spec
	all := func(f func(c *corev1.Container)) {
		for i := range s.InitContainers {
			f(&s.InitContainers[i])
		}
		for i := range s.Containers {
			f(&s.Containers[i])
		}
	}
	// allowPrivilegeEscalation=false contradicts privileged and CAP_SYS_ADMIN.
	all(func(c *corev1.Container) {
		x := c.SecurityContext
		if x == nil || x.AllowPrivilegeEscalation == nil || *x.AllowPrivilegeEscalation {
			return
		}
		escalates := x.Privileged != nil && *x.Privileged
		if x.Capabilities != nil {
			for _, a := range x.Capabilities.Add {
				escalates = escalates || a == "SYS_ADMIN" || a == "CAP_SYS_ADMIN"
			}
		}
		if escalates {
			x.AllowPrivilegeEscalation = nil
		}
	})
	// A user namespace excludes the host's namespaces; an unmasked /proc needs one.
	if s.HostUsers != nil && !*s.HostUsers && (s.HostNetwork || s.HostPID || s.HostIPC) {
		s.HostUsers = nil
	}
	if s.HostUsers == nil || *s.HostUsers {
		all(func(c *corev1.Container) {
			if c.SecurityContext != nil && c.SecurityContext.ProcMount != nil && *c.SecurityContext.ProcMount == corev1.UnmaskedProcMount {
				c.SecurityContext.ProcMount = ptr.To(corev1.DefaultProcMount)
			}
		})
	}
	// Namespaced sysctls are refused when the pod shares that namespace with the host.
	if s.SecurityContext != nil && (s.HostNetwork || s.HostIPC) {
		var keep []corev1.Sysctl
		for _, x := range s.SecurityContext.Sysctls {
			net := len(x.Name) > 4 && x.Name[:4] == "net."
			ipc := len(x.Name) > 7 && (x.Name[:7] == "kernel." || x.Name[:7] == "fs.mque")
			if (net && s.HostNetwork) || (ipc && s.HostIPC) {
				continue
			}
			keep = append(keep, x)
		}
		s.SecurityContext.Sysctls = keep
	}
	// A container's AppArmor annotation must agree with its field.
	all(func(c *corev1.Container) {
		k := corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix + c.Name
		if _, ok := p.Annotations[k]; ok && c.SecurityContext != nil && c.SecurityContext.AppArmorProfile != nil {
			delete(p.Annotations, k)
		}
	})
}
