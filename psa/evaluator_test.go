package psa

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
	"k8s.io/utils/ptr"

	"github.com/kubeharden/kubeharden/psa/internal/podgen"
)

// versions are every policy version from v1.0 to one past the newest, and latest.
func versions(e *Evaluator) []api.Version {
	var out []api.Version
	latest := e.Latest()
	for m := 0; m <= latest.Minor()+1; m++ {
		out = append(out, api.MajorMinorVersion(1, m))
	}
	return append(out, api.LatestVersion())
}

// TestEvaluateMatchesUpstream proves that attributing verdicts to checks loses nothing: for
// every level and version, the failures Evaluate finds, in order, render exactly the
// upstream evaluator's aggregate verdict on the same pod.
func TestEvaluateMatchesUpstream(t *testing.T) {
	for _, server := range []string{"", "v1.30.2", "v1.24.0", "v1.99.0"} {
		pods := podgen.Pods(1, 600)
		if server != "" {
			pods = pods[:200]
		}
		e, err := New(Options{ServerVersion: server})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, v := range versions(e) {
			for _, lvl := range []api.Level{api.LevelPrivileged, api.LevelBaseline, api.LevelRestricted} {
				lv := api.LevelVersion{Level: lvl, Version: v}
				for _, p := range pods {
					want := e.Verdict(lv, &p.ObjectMeta, &p.Spec)
					fs := e.Evaluate(lv, &p.ObjectMeta, &p.Spec)
					var got policy.AggregateCheckResult
					got.Allowed = len(fs) == 0
					for _, f := range fs {
						got.ForbiddenReasons = append(got.ForbiddenReasons, f.Reason)
						got.ForbiddenDetails = append(got.ForbiddenDetails, f.Detail)
						if f.Path == "" || !(strings.HasPrefix(f.Path, "spec") || strings.HasPrefix(f.Path, "metadata")) {
							t.Errorf("%s %s: %s has path %q", p.Name, lv, f.Check, f.Path)
						}
						if _, bad := e.EvaluateCheck(f.Check, lv, &p.ObjectMeta, &p.Spec); !bad {
							t.Errorf("%s %s: EvaluateCheck(%s) passes where Evaluate fails", p.Name, lv, f.Check)
						}
					}
					if got.Allowed != want.Allowed || got.ForbiddenDetail() != want.ForbiddenDetail() {
						t.Fatalf("server %q, %s, pod %s (%s):\n got %q\nwant %q", server, lv, p.Name,
							p.Annotations[podgen.AnnotationVariants], got.ForbiddenDetail(), want.ForbiddenDetail())
					}
					if !want.Allowed {
						n++
					}
				}
			}
		}
		if n == 0 {
			t.Fatalf("server %q: no pod failed anything", server)
		}
	}
}

// TestEveryCheckExercised makes sure the generator fails and passes every upstream check at
// the newest version, so the differential tests cover them all.
func TestEveryCheckExercised(t *testing.T) {
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	failed, passed := map[string]int{}, map[string]int{}
	// procMount can only fail before v1.35: an unmasked /proc needs a user namespace, which
	// baseline allows from v1.35 on.
	var lvs []api.LevelVersion
	for _, v := range []api.Version{api.LatestVersion(), api.MajorMinorVersion(1, 34)} {
		lvs = append(lvs, api.LevelVersion{Level: api.LevelBaseline, Version: v}, api.LevelVersion{Level: api.LevelRestricted, Version: v})
	}
	for _, p := range podgen.Pods(1, 600) {
		for _, c := range Checks() {
			fails, applies := false, false
			for _, lv := range lvs {
				if e.Applies(c.ID, lv) {
					applies = true
					_, bad := e.EvaluateCheck(c.ID, lv, &p.ObjectMeta, &p.Spec)
					fails = fails || bad
				}
			}
			if !applies {
				continue
			}
			if fails {
				failed[c.ID]++
			} else {
				passed[c.ID]++
			}
		}
	}
	for _, c := range Checks() {
		if failed[c.ID] == 0 || passed[c.ID] == 0 {
			t.Errorf("check %s: %d pods fail it, %d pass it; want both", c.ID, failed[c.ID], passed[c.ID])
		}
	}
}

func TestActiveChecksOverride(t *testing.T) {
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	restricted := map[string]bool{}
	for _, id := range e.ActiveChecks(api.LevelVersion{Level: api.LevelRestricted, Version: api.LatestVersion()}) {
		restricted[id] = true
	}
	for _, overridden := range []string{"capabilities_baseline", "seccompProfile_baseline", "hostPathVolumes", "procMount"} {
		if restricted[overridden] {
			t.Errorf("restricted:latest runs %s, which a restricted check overrides", overridden)
		}
	}
	for _, id := range []string{"privileged", "runAsNonRoot", "procMount_restricted", "capabilities_restricted"} {
		if !restricted[id] {
			t.Errorf("restricted:latest does not run %s", id)
		}
	}
	if got := e.ActiveChecks(api.LevelVersion{Level: api.LevelBaseline, Version: api.MajorMinorVersion(1, 33)}); strings.Contains(strings.Join(got, ","), "hostProbesAndHostLifecycle") {
		t.Errorf("baseline:v1.33 runs hostProbesAndHostLifecycle (added in v1.34): %v", got)
	}
	old, err := New(Options{ServerVersion: "v1.33.1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := old.ActiveChecks(api.LevelVersion{Level: api.LevelBaseline, Version: api.LatestVersion()}); strings.Contains(strings.Join(got, ","), "hostProbesAndHostLifecycle") {
		t.Errorf("on a v1.33 server, baseline:latest runs hostProbesAndHostLifecycle: %v", got)
	}
	if old.Latest() != api.MajorMinorVersion(1, 33) {
		t.Errorf("latest on a v1.33 server = %s", old.Latest())
	}
}

func TestNormalize(t *testing.T) {
	meta := &metav1.ObjectMeta{Annotations: map[string]string{
		corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix + "a": "unconfined",
		corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix + "b": "localhost/ padded",
		corev1.DeprecatedAppArmorBetaContainerAnnotationKeyPrefix + "c": "runtime/default",
	}}
	spec := &corev1.PodSpec{
		HostNetwork: true,
		Volumes:     []corev1.Volume{{Name: "none"}, {Name: "cm", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{}}}},
		Containers: []corev1.Container{
			{Name: "a", Ports: []corev1.ContainerPort{{ContainerPort: 80}, {ContainerPort: 81, HostPort: 81}}},
			{Name: "b"},
			{Name: "c"},
		},
		SecurityContext: &corev1.PodSecurityContext{AppArmorProfile: &corev1.AppArmorProfile{Type: corev1.AppArmorProfileTypeRuntimeDefault}},
	}
	_, got := Normalize(meta, spec)
	if got == spec {
		t.Fatal("Normalize returned the input although it had to change it")
	}
	if spec.Volumes[0].EmptyDir != nil || spec.Containers[0].Ports[0].HostPort != 0 {
		t.Fatal("Normalize modified its input")
	}
	if got.Volumes[0].EmptyDir == nil {
		t.Error("a volume without source did not become an emptyDir")
	}
	if got.Containers[0].Ports[0].HostPort != 80 {
		t.Errorf("host-network port: hostPort %d, want 80", got.Containers[0].Ports[0].HostPort)
	}
	if p := got.Containers[0].SecurityContext; p == nil || p.AppArmorProfile == nil || p.AppArmorProfile.Type != corev1.AppArmorProfileTypeUnconfined {
		t.Errorf("unconfined annotation not copied to the field: %+v", p)
	}
	if got.Containers[1].SecurityContext != nil {
		t.Error("an invalid localhost annotation was copied to the field")
	}
	if got.Containers[2].SecurityContext != nil {
		t.Error("an annotation equal to the pod's profile was copied to the field")
	}
	// Windows pods keep their annotations as they are.
	spec.OS = &corev1.PodOS{Name: corev1.Windows}
	spec.HostNetwork = false
	spec.Volumes = nil
	if _, got := Normalize(meta, spec); got.Containers[0].SecurityContext != nil {
		t.Error("AppArmor annotation copied on a Windows pod")
	}
	clean := &corev1.PodSpec{Containers: []corev1.Container{{Name: "x"}}}
	if _, got := Normalize(&metav1.ObjectMeta{}, clean); got != clean {
		t.Error("Normalize copied a pod that needs nothing")
	}
}

func TestLocate(t *testing.T) {
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	spec := &corev1.PodSpec{
		SecurityContext: &corev1.PodSecurityContext{
			Sysctls: []corev1.Sysctl{{Name: "kernel.shm_rmid_forced"}, {Name: "kernel.msgmax"}},
		},
		InitContainers: []corev1.Container{{Name: "i"}},
		Containers: []corev1.Container{
			{Name: "a", SecurityContext: &corev1.SecurityContext{RunAsNonRoot: ptr.To(true)}},
			{Name: "b", SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true), RunAsUser: ptr.To[int64](0)}},
		},
		Volumes: []corev1.Volume{{Name: "ok", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{}}},
			{Name: "nfs", VolumeSource: corev1.VolumeSource{NFS: &corev1.NFSVolumeSource{}}}},
		EphemeralContainers: []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{Name: "e",
			SecurityContext: &corev1.SecurityContext{Capabilities: &corev1.Capabilities{Add: []corev1.Capability{"SYS_PTRACE"}}}}}},
	}
	want := map[string]string{
		"privileged":                "spec.containers[1].securityContext.privileged",
		"sysctls":                   "spec.securityContext.sysctls[1].name",
		"capabilities_restricted":   "spec.initContainers[0].securityContext.capabilities.drop",
		"runAsNonRoot":              "spec.securityContext.runAsNonRoot",
		"runAsUser":                 "spec.containers[1].securityContext.runAsUser",
		"restrictedVolumes":         "spec.volumes[1]",
		"seccompProfile_restricted": "spec.securityContext.seccompProfile",
		"allowPrivilegeEscalation":  "spec.initContainers[0].securityContext.allowPrivilegeEscalation",
	}
	got := map[string]string{}
	for _, f := range e.Evaluate(api.LevelVersion{Level: api.LevelRestricted, Version: api.LatestVersion()}, &metav1.ObjectMeta{}, spec) {
		got[f.Check] = f.Path
	}
	for id, p := range want {
		if got[id] != p {
			t.Errorf("%s: path %q, want %q", id, got[id], p)
		}
	}
	f, bad := e.EvaluateCheck("capabilities_baseline", api.LevelVersion{Level: api.LevelBaseline, Version: api.LatestVersion()}, &metav1.ObjectMeta{}, spec)
	if !bad || f.Path != "spec.ephemeralContainers[0].securityContext.capabilities.add" {
		t.Errorf("capabilities_baseline on an ephemeral container: %v %q", bad, f.Path)
	}
}
