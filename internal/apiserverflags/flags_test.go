package apiserverflags

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		argv []string
		want map[string]string
	}{
		{[]string{"kube-apiserver", "--a=1", "--profiling", "--b", "two", "-v=2", "--c"},
			map[string]string{"a": "1", "profiling": "true", "b": "two", "v": "2", "c": "true"}},
		// A scalar flag given twice keeps its last value; a list or map flag collects both.
		{[]string{"kube-apiserver", "--anonymous-auth=false", "--anonymous-auth=true",
			"--enable-admission-plugins=NodeRestriction", "--enable-admission-plugins", "PodSecurity",
			"--feature-gates=A=true", "--feature-gates=B=false"},
			map[string]string{"anonymous-auth": "true", "enable-admission-plugins": "NodeRestriction,PodSecurity", "feature-gates": "A=true,B=false"}},
		// "--" ends the flags; a lone "-" and positional words are not flags.
		{[]string{"kube-apiserver", "-", "word", "--x", "--", "--y=1"}, map[string]string{"x": "true"}},
		// A value may be empty; one that starts with "-" is the next flag, not a value.
		{[]string{"kube-apiserver", "--token-auth-file=", "--z", "-1"}, map[string]string{"token-auth-file": "", "z": "true", "1": "true"}},
	} {
		if got := Parse(tt.argv); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q) = %v, want %v", tt.argv, got, tt.want)
		}
	}
}

func TestContainer(t *testing.T) {
	spec := &corev1.PodSpec{Containers: []corev1.Container{
		{Name: "kube-apiserver", Command: []string{"sleep", "--forever"}},
		{Name: "server", Command: []string{"/usr/local/bin/kube-apiserver"}, Args: []string{"--profiling=false"}},
	}}
	i := Container(spec)
	if i != 1 {
		t.Fatalf("Container = %d, want 1 (the one running the binary, whatever its name)", i)
	}
	if f := Of(&spec.Containers[i]); f["profiling"] != "false" {
		t.Errorf("Of = %v", f)
	}
	if i := Container(&corev1.PodSpec{Containers: []corev1.Container{{Args: []string{"kube-apiserver-proxy"}}}}); i != -1 {
		t.Errorf("no kube-apiserver: Container = %d", i)
	}
}

func TestFeatureEnabled(t *testing.T) {
	for _, tt := range []struct {
		gates string
		want  bool
	}{
		{"KMSv1=true,Other=false", true},
		{"Other=true", false},
		{"KMSv1=true, KMSv1=false", false},
		{" KMSv1 = TRUE ", true},
		{"", false},
	} {
		if got := FeatureEnabled(tt.gates, "KMSv1"); got != tt.want {
			t.Errorf("FeatureEnabled(%q) = %v", tt.gates, got)
		}
	}
}
