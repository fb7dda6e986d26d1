package versions

import (
	"strings"
	"testing"
)

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]Version{
		"v1.33.4":             {1, 33, 4, false, ""},
		"1.33":                {1, 33, -1, false, ""},
		"v1.29.3-eks-adc7111": {1, 29, 3, false, "-eks-adc7111"},
		"v1.30.1+k3s1":        {1, 30, 1, false, "+k3s1"},
		"v1.37.0-rc.1":        {1, 37, 0, true, "-rc.1"},
	} {
		got, err := ParseVersion(in)
		if err != nil || got != want {
			t.Errorf("ParseVersion(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "v1", "1.x.3", "1.33.4.5", "v1.033", "-1.2"} {
		if _, err := ParseVersion(bad); err == nil {
			t.Errorf("ParseVersion(%q): no error", bad)
		}
	}
}

// TestBuiltinReleases holds the embedded table to what the checks rely on: every minor from
// 1.16 to 1.37, ordered release dates, support of at least a year (nine months before 1.19).
func TestBuiltinReleases(t *testing.T) {
	r := BuiltinReleases()
	if r.AsOf.String() != "2026-11-25" {
		t.Errorf("asOf = %s", r.AsOf)
	}
	for m := 16; m <= 37; m++ {
		rel := r.Lookup(Version{Major: 1, Minor: m, Patch: -1})
		if rel == nil {
			t.Fatalf("1.%d is missing", m)
		}
		months := 12
		if m < 19 {
			months = 9
		}
		if rel.EndOfLife.Before(rel.Released.AddDate(0, months, 0)) {
			t.Errorf("1.%d: end of life %s is less than %d months after release %s", m, rel.EndOfLife, months, rel.Released)
		}
		if next := r.Lookup(Version{Major: 1, Minor: m + 1, Patch: -1}); next != nil && !next.Released.After(rel.Released.Time) {
			t.Errorf("1.%d released %s, not after 1.%d (%s)", m+1, next.Released, m, rel.Released)
		}
	}
	if r.Newest().MinorString() != "1.37" {
		t.Errorf("newest = %s", r.Newest())
	}
}

func TestParseReleasesErrors(t *testing.T) {
	for name, doc := range map[string]string{
		"no asOf":       `releases: [{minor: "1.30", released: "2024-04-17", endOfLife: "2025-06-28", latestPatch: "1.30.1"}]`,
		"empty":         `asOf: "2026-01-01"`,
		"bad minor":     `{asOf: "2026-01-01", releases: [{minor: "1.30.1", released: "2024-04-17", endOfLife: "2025-06-28", latestPatch: "1.30.1"}]}`,
		"wrong patch":   `{asOf: "2026-01-01", releases: [{minor: "1.30", released: "2024-04-17", endOfLife: "2025-06-28", latestPatch: "1.31.1"}]}`,
		"eol first":     `{asOf: "2026-01-01", releases: [{minor: "1.30", released: "2024-04-17", endOfLife: "2023-06-28", latestPatch: "1.30.1"}]}`,
		"twice":         `{asOf: "2026-01-01", releases: [{minor: "1.30", released: "2024-04-17", endOfLife: "2025-06-28", latestPatch: "1.30.1"}, {minor: "1.30", released: "2024-04-17", endOfLife: "2025-06-28", latestPatch: "1.30.2"}]}`,
		"unknown field": `{asOf: "2026-01-01", release: []}`,
		"bad date":      `{asOf: "26-01-01", releases: []}`,
	} {
		if _, err := ParseReleases([]byte(doc)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestDeprecatedAPIs holds the API table to the Deprecated API Migration Guide: each removal
// it lists is in the table with its release and replacement.
func TestDeprecatedAPIs(t *testing.T) {
	tab := DeprecatedAPIs()
	guide := []struct{ apiVersion, kinds, removed, replacement string }{
		{"extensions/v1beta1", "NetworkPolicy", "1.16", "networking.k8s.io/v1"},
		{"extensions/v1beta1", "DaemonSet Deployment ReplicaSet", "1.16", "apps/v1"},
		{"extensions/v1beta1", "PodSecurityPolicy", "1.16", "policy/v1beta1"},
		{"apps/v1beta1", "Deployment StatefulSet", "1.16", "apps/v1"},
		{"apps/v1beta2", "DaemonSet Deployment StatefulSet ReplicaSet", "1.16", "apps/v1"},
		{"admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration ValidatingWebhookConfiguration", "1.22", "admissionregistration.k8s.io/v1"},
		{"apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", "1.22", "apiextensions.k8s.io/v1"},
		{"apiregistration.k8s.io/v1beta1", "APIService", "1.22", "apiregistration.k8s.io/v1"},
		{"authentication.k8s.io/v1beta1", "TokenReview", "1.22", "authentication.k8s.io/v1"},
		{"authorization.k8s.io/v1beta1", "LocalSubjectAccessReview SelfSubjectAccessReview SubjectAccessReview", "1.22", "authorization.k8s.io/v1"},
		{"certificates.k8s.io/v1beta1", "CertificateSigningRequest", "1.22", "certificates.k8s.io/v1"},
		{"coordination.k8s.io/v1beta1", "Lease", "1.22", "coordination.k8s.io/v1"},
		{"extensions/v1beta1", "Ingress", "1.22", "networking.k8s.io/v1"},
		{"networking.k8s.io/v1beta1", "Ingress IngressClass", "1.22", "networking.k8s.io/v1"},
		{"rbac.authorization.k8s.io/v1beta1", "ClusterRole ClusterRoleBinding Role RoleBinding", "1.22", "rbac.authorization.k8s.io/v1"},
		{"scheduling.k8s.io/v1beta1", "PriorityClass", "1.22", "scheduling.k8s.io/v1"},
		{"storage.k8s.io/v1beta1", "CSIDriver CSINode StorageClass VolumeAttachment", "1.22", "storage.k8s.io/v1"},
		{"batch/v1beta1", "CronJob", "1.25", "batch/v1"},
		{"discovery.k8s.io/v1beta1", "EndpointSlice", "1.25", "discovery.k8s.io/v1"},
		{"events.k8s.io/v1beta1", "Event", "1.25", "events.k8s.io/v1"},
		{"autoscaling/v2beta1", "HorizontalPodAutoscaler", "1.25", "autoscaling/v2"},
		{"policy/v1beta1", "PodDisruptionBudget", "1.25", "policy/v1"},
		{"policy/v1beta1", "PodSecurityPolicy", "1.25", ""},
		{"node.k8s.io/v1beta1", "RuntimeClass", "1.25", "node.k8s.io/v1"},
		{"flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema PriorityLevelConfiguration", "1.26", "flowcontrol.apiserver.k8s.io/v1beta3"},
		{"autoscaling/v2beta2", "HorizontalPodAutoscaler", "1.26", "autoscaling/v2"},
		{"storage.k8s.io/v1beta1", "CSIStorageCapacity", "1.27", "storage.k8s.io/v1"},
		{"flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema PriorityLevelConfiguration", "1.29", "flowcontrol.apiserver.k8s.io/v1beta3"},
		{"flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema PriorityLevelConfiguration", "1.32", "flowcontrol.apiserver.k8s.io/v1"},
	}
	for _, g := range guide {
		for _, kind := range strings.Fields(g.kinds) {
			a := tab.Lookup(g.apiVersion, kind)
			if a == nil {
				t.Errorf("%s %s is missing", g.apiVersion, kind)
				continue
			}
			if a.Removed != g.removed || a.Replacement != g.replacement {
				t.Errorf("%s %s: removed %q, replacement %q; the guide says %q, %q", g.apiVersion, kind, a.Removed, a.Replacement, g.removed, g.replacement)
			}
		}
	}
	for _, a := range tab.All() {
		if a.Removed != "" && a.removed.MinorsBehind(a.deprecated) > 0 {
			t.Errorf("%s %s is removed (%s) before it is deprecated (%s)", a.APIVersion, a.Kind, a.Removed, a.Deprecated)
		}
	}
	// Replacements are followed to what the target serves.
	fs := tab.Lookup("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema")
	for target, want := range map[string]string{"1.26": "flowcontrol.apiserver.k8s.io/v1beta3", "1.29": "flowcontrol.apiserver.k8s.io/v1", "1.37": "flowcontrol.apiserver.k8s.io/v1"} {
		v, _ := ParseVersion(target)
		if got, _ := tab.ReplacementAt(fs, v); got != want {
			t.Errorf("replacement of flowcontrol v1beta1 at %s = %s, want %s", target, got, want)
		}
	}
	if r := resourceOf("PodSecurityPolicy") + " " + resourceOf("Ingress") + " " + resourceOf("Endpoints") + " " + resourceOf("CronJob"); r != "podsecuritypolicies ingresses endpoints cronjobs" {
		t.Errorf("resources: %s", r)
	}
}
