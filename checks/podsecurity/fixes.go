package podsecurity

import (
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// The fixes of the pod checks set only what cannot break a workload: allowPrivilegeEscalation
// false (unless the container is privileged or adds SYS_ADMIN, which the API server refuses
// with it), a RuntimeDefault seccomp profile where none is chosen, runAsNonRoot where every
// container is known to run as a non-zero UID (runAsUser, or the inspected image's user), and
// drop ALL capabilities for containers that run as non-root, whose processes hold no
// capabilities anyway. What a workload clearly asks for (privileged, host namespaces,
// hostPath, added capabilities, an explicit Unconfined profile, root) is left for a person.

// fixable are the upstream pod checks the fixes address.
var fixable = map[string]bool{
	"allowPrivilegeEscalation":  true,
	"capabilities_restricted":   true,
	"seccompProfile_restricted": true,
	"runAsNonRoot":              true,
}

// podEdit is one field the fixes set in a pod spec: which (kind) and, for a container's
// field, the container's position among the init and regular containers (containers). It
// is this small because the pod checks keep every template's edits while they run.
type podEdit struct {
	kind      editKind
	container int32
}

type editKind uint8

const (
	setSeccomp     editKind = iota // the pod's securityContext.seccompProfile.type: RuntimeDefault
	setNonRoot                     // the pod's securityContext.runAsNonRoot: true
	denyEscalation                 // a container's securityContext.allowPrivilegeEscalation: false
	dropAll                        // ALL appended to a container's securityContext.capabilities.drop
)

// check is the upstream check the edit serves.
func (e podEdit) check() string {
	return [...]string{"seccompProfile_restricted", "runAsNonRoot", "allowPrivilegeEscalation", "capabilities_restricted"}[e.kind]
}

// path is the edited field relative to spec, the spec the edit was worked out for (or one
// with the same containers).
func (e podEdit) path(spec *corev1.PodSpec) string {
	switch e.kind {
	case setSeccomp:
		return "securityContext.seccompProfile.type"
	case setNonRoot:
		return "securityContext.runAsNonRoot"
	}
	c := "containers[" + strconv.Itoa(int(e.container)-len(spec.InitContainers)) + "]"
	if int(e.container) < len(spec.InitContainers) {
		c = "initContainers[" + strconv.Itoa(int(e.container)) + "]"
	}
	if e.kind == denyEscalation {
		return c + ".securityContext.allowPrivilegeEscalation"
	}
	return c + ".securityContext.capabilities.drop"
}

// value is what the edit sets (or appends).
func (e podEdit) value() any {
	return [...]any{"RuntimeDefault", true, false, "ALL"}[e.kind]
}

// hardening works out the fixes of a pod spec and applies them to a copy, which Pod Security
// plans judge so that the level fix labels a namespace with holds for its fixed pods. The
// copy shares with spec everything the fixes do not touch (writableCopy): neither may be
// changed afterwards.
func hardening(spec *corev1.PodSpec, images *inventory.ImageData) ([]podEdit, *corev1.PodSpec) {
	out := writableCopy(spec)
	var edits []podEdit
	if out.SecurityContext == nil {
		out.SecurityContext = &corev1.PodSecurityContext{}
	}
	psc := out.SecurityContext
	cs := containers(out)

	// seccomp: the pod-level profile covers every container that does not choose its own.
	if psc.SeccompProfile == nil {
		unconfined := false
		for _, c := range cs {
			if sc := c.SecurityContext; sc != nil && sc.SeccompProfile != nil && sc.SeccompProfile.Type == corev1.SeccompProfileTypeUnconfined {
				unconfined = true
			}
		}
		if !unconfined {
			psc.SeccompProfile = &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}
			edits = append(edits, podEdit{kind: setSeccomp, container: -1})
		}
	}

	// runAsNonRoot: only where every container's user is known and not root.
	nonRoot := make([]bool, len(cs))
	all := true
	for i, c := range cs {
		nonRoot[i] = knownNonRoot(psc, c, images)
		if !nonRoot[i] {
			all = false
		}
		if sc := c.SecurityContext; sc != nil && sc.RunAsNonRoot != nil && !*sc.RunAsNonRoot {
			all = false
		}
	}
	if psc.RunAsNonRoot != nil && !*psc.RunAsNonRoot {
		all = false
	}
	if all && (psc.RunAsNonRoot == nil) && len(nonRoot) > 0 {
		t := true
		psc.RunAsNonRoot = &t
		edits = append(edits, podEdit{kind: setNonRoot, container: -1})
	}

	for i, c := range cs {
		sc := c.SecurityContext
		if sc == nil {
			sc = &corev1.SecurityContext{}
			c.SecurityContext = sc
		}
		privileged := sc.Privileged != nil && *sc.Privileged
		sysAdmin := false
		if sc.Capabilities != nil {
			for _, a := range sc.Capabilities.Add {
				if strings.EqualFold(strings.TrimPrefix(string(a), "CAP_"), "SYS_ADMIN") {
					sysAdmin = true
				}
			}
		}
		if !privileged && !sysAdmin && (sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation) {
			f := false
			sc.AllowPrivilegeEscalation = &f
			edits = append(edits, podEdit{kind: denyEscalation, container: int32(i)})
		}
		if !privileged && nonRoot[i] && !dropsAll(sc) {
			if sc.Capabilities == nil {
				sc.Capabilities = &corev1.Capabilities{}
			}
			sc.Capabilities.Drop = append(sc.Capabilities.Drop, "ALL")
			edits = append(edits, podEdit{kind: dropAll, container: int32(i)})
		}
	}
	return edits, out
}

// writableCopy copies what hardening changes in spec (the pod's security context, the init
// and regular containers, their security contexts and capabilities) and shares the rest: a
// deep copy of every pod spec cost more than the checks themselves.
func writableCopy(spec *corev1.PodSpec) *corev1.PodSpec {
	out := *spec
	if spec.SecurityContext != nil {
		psc := *spec.SecurityContext
		out.SecurityContext = &psc
	}
	out.InitContainers = writableContainers(spec.InitContainers)
	out.Containers = writableContainers(spec.Containers)
	return &out
}

func writableContainers(cs []corev1.Container) []corev1.Container {
	if cs == nil {
		return nil
	}
	out := make([]corev1.Container, len(cs))
	copy(out, cs)
	for i := range out {
		sc := out[i].SecurityContext
		if sc == nil {
			continue
		}
		c := *sc
		if c.Capabilities != nil {
			caps := *c.Capabilities
			// Drop is appended to: it must not share a backing array with the original.
			caps.Drop = slices.Clip(caps.Drop)
			c.Capabilities = &caps
		}
		out[i].SecurityContext = &c
	}
	return out
}

func dropsAll(sc *corev1.SecurityContext) bool {
	if sc.Capabilities == nil {
		return false
	}
	for _, d := range sc.Capabilities.Drop {
		if d == "ALL" {
			return true
		}
	}
	return false
}

// containers are the init and regular containers of spec, init first.
func containers(spec *corev1.PodSpec) []*corev1.Container {
	out := make([]*corev1.Container, 0, len(spec.InitContainers)+len(spec.Containers))
	for i := range spec.InitContainers {
		out = append(out, &spec.InitContainers[i])
	}
	for i := range spec.Containers {
		out = append(out, &spec.Containers[i])
	}
	return out
}

// knownNonRoot says whether container c is known to run as a non-zero UID: a runAsUser of
// the container or the pod, or an inspected image whose numeric user is not 0.
func knownNonRoot(psc *corev1.PodSecurityContext, c *corev1.Container, images *inventory.ImageData) bool {
	if sc := c.SecurityContext; sc != nil && sc.RunAsUser != nil {
		return *sc.RunAsUser != 0
	}
	if psc != nil && psc.RunAsUser != nil {
		return *psc.RunAsUser != 0
	}
	if images == nil {
		return false
	}
	f := images.Facts[c.Image]
	if f == nil || f.Error != "" {
		return false
	}
	user, _, _ := strings.Cut(f.User, ":")
	uid, err := strconv.Atoi(user)
	// A named user may map to any UID: the kubelet refuses runAsNonRoot for it.
	return err == nil && uid != 0
}

// fixesOf turns the edits of check id among a template's hardening edits into its fix.
func fixesOf(t inventory.PodTemplate, id string, edits []podEdit) []check.SuggestedFix {
	var out []check.Edit
	for _, e := range edits {
		if e.check() != id {
			continue
		}
		ed := check.Edit{Op: check.SetField, Object: t.Owner.Ref, Path: t.Path + "." + e.path(t.Spec), Value: e.value()}
		if e.kind == dropAll {
			ed.Op = check.AppendItem
		}
		out = append(out, ed)
	}
	if len(out) == 0 {
		return nil
	}
	return []check.SuggestedFix{{Message: fixMessages[id], Edits: out}}
}

var fixMessages = map[string]string{
	"allowPrivilegeEscalation":  "set allowPrivilegeEscalation: false on each container",
	"capabilities_restricted":   "drop ALL capabilities on each container that runs as non-root",
	"seccompProfile_restricted": "set the pod's seccomp profile to RuntimeDefault",
	"runAsNonRoot":              "set runAsNonRoot: true on the pod, whose containers all run as non-zero UIDs",
}
