package psa

import (
	"testing"

	"k8s.io/pod-security-admission/api"

	"github.com/kubeharden/kubeharden/config"
)

func TestLabelCommand(t *testing.T) {
	ev, _ := New(Options{})
	withDefault, _ := New(Options{Admission: &config.PodSecurityAdmission{Defaults: config.PodSecurityDefaults{Enforce: "baseline"}}})
	v137 := api.MajorMinorVersion(1, 37)
	const pfx = "kubectl label namespace ns --overwrite "
	for _, c := range []struct {
		ev     *Evaluator
		labels map[string]string
		target api.Level
		want   string
	}{
		{ev, nil, api.LevelRestricted, pfx + "pod-security.kubernetes.io/enforce=restricted pod-security.kubernetes.io/enforce-version=v1.37 pod-security.kubernetes.io/audit=restricted pod-security.kubernetes.io/audit-version=latest pod-security.kubernetes.io/warn=restricted pod-security.kubernetes.io/warn-version=latest"},
		{ev, nil, api.LevelBaseline, pfx + "pod-security.kubernetes.io/enforce=baseline pod-security.kubernetes.io/enforce-version=v1.37 pod-security.kubernetes.io/audit=restricted pod-security.kubernetes.io/audit-version=latest pod-security.kubernetes.io/warn=restricted pod-security.kubernetes.io/warn-version=latest"},
		{ev, nil, api.LevelPrivileged, pfx + "pod-security.kubernetes.io/audit=baseline pod-security.kubernetes.io/audit-version=latest pod-security.kubernetes.io/warn=baseline pod-security.kubernetes.io/warn-version=latest"},
		// Already there: nothing to do.
		{ev, map[string]string{"pod-security.kubernetes.io/enforce": "baseline", "pod-security.kubernetes.io/enforce-version": "v1.37",
			"pod-security.kubernetes.io/audit": "restricted", "pod-security.kubernetes.io/audit-version": "latest",
			"pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/warn-version": "latest"}, api.LevelBaseline, ""},
		// Workloads violate the enforced level: never loosen it.
		{ev, map[string]string{"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "v1.37",
			"pod-security.kubernetes.io/audit": "restricted", "pod-security.kubernetes.io/warn": "restricted"}, api.LevelBaseline, ""},
		{ev, map[string]string{"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/audit": "baseline"}, api.LevelBaseline,
			pfx + "pod-security.kubernetes.io/audit=restricted pod-security.kubernetes.io/audit-version=latest pod-security.kubernetes.io/warn=restricted pod-security.kubernetes.io/warn-version=latest"},
		// An invalid enforce label is overwritten.
		{ev, map[string]string{"pod-security.kubernetes.io/enforce": "strict"}, api.LevelBaseline,
			pfx + "pod-security.kubernetes.io/enforce=baseline pod-security.kubernetes.io/enforce-version=v1.37 pod-security.kubernetes.io/audit=restricted pod-security.kubernetes.io/audit-version=latest pod-security.kubernetes.io/warn=restricted pod-security.kubernetes.io/warn-version=latest"},
		// The cluster default already enforces baseline: a privileged namespace stays as it is.
		{withDefault, nil, api.LevelPrivileged, pfx + "pod-security.kubernetes.io/audit=restricted pod-security.kubernetes.io/audit-version=latest pod-security.kubernetes.io/warn=restricted pod-security.kubernetes.io/warn-version=latest"},
	} {
		ns := c.ev.Namespace("ns", c.labels, true)
		if got, _ := labelCommand(ns, c.target, v137); got != c.want {
			t.Errorf("%v → %s:\n got %q\nwant %q", c.labels, c.target, got, c.want)
		}
	}
}
