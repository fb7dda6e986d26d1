package podsecurity

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeharden/kubeharden/internal/gen"
)

// TestHardeningLeavesSpecAlone: the hardened copy shares what the fixes do not touch with
// the template's own spec, which must come out of hardening unchanged; and the copy must be
// what hardening a deep copy gives.
func TestHardeningLeavesSpecAlone(t *testing.T) {
	var specs []*corev1.PodSpec
	for _, p := range []string{"default", "multitenant"} {
		for _, pt := range (gen.Options{Profile: p}).Inventory(300, 1).PodTemplates() {
			specs = append(specs, pt.Spec)
		}
	}
	// Drop lists with room to grow, which an append would write into.
	drop := make([]corev1.Capability, 1, 8)
	drop[0] = "NET_RAW"
	specs = append(specs, &corev1.PodSpec{
		InitContainers: []corev1.Container{{Name: "i", SecurityContext: &corev1.SecurityContext{RunAsUser: ptr(int64(5)), Capabilities: &corev1.Capabilities{Drop: drop}}}},
		Containers:     []corev1.Container{{Name: "c", SecurityContext: &corev1.SecurityContext{RunAsUser: ptr(int64(7)), Capabilities: &corev1.Capabilities{Drop: drop[:1:1]}}}},
	})
	edited := 0
	for _, spec := range specs {
		before := spec.DeepCopy()
		edits, out := hardening(spec, nil)
		if !reflect.DeepEqual(spec, before) {
			t.Fatalf("hardening changed the spec it was given:\n%+v\nwas\n%+v", spec, before)
		}
		if drop[:2][1] != "" {
			t.Fatalf("hardening appended into a Drop list's spare room: %v", drop[:2])
		}
		wantEdits, want := hardening(before.DeepCopy(), nil)
		if !reflect.DeepEqual(out, want) || !reflect.DeepEqual(edits, wantEdits) {
			t.Fatalf("hardened copy differs from hardening a deep copy")
		}
		if len(edits) > 0 {
			edited++
		}
	}
	if edited < 100 {
		t.Fatalf("only %d of %d specs had fixes: the test judges little", edited, len(specs))
	}
}

func ptr[T any](v T) *T { return &v }
