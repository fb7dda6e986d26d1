package images

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParseReference(t *testing.T) {
	tests := []struct {
		in                        string
		domain, path, tag, digest string
		err                       string // substring of the error; empty: must parse
	}{
		{in: "nginx", domain: "docker.io", path: "library/nginx"},
		{in: "nginx:1.25", domain: "docker.io", path: "library/nginx", tag: "1.25"},
		{in: "nginx:latest", domain: "docker.io", path: "library/nginx", tag: "latest"},
		{in: "nginx@sha256:" + hex64, domain: "docker.io", path: "library/nginx", digest: "sha256:" + hex64},
		{in: "nginx:1.25@sha256:" + hex64, domain: "docker.io", path: "library/nginx", tag: "1.25", digest: "sha256:" + hex64},
		{in: "bitnami/redis:7.2", domain: "docker.io", path: "bitnami/redis", tag: "7.2"},
		{in: "docker.io/nginx", domain: "docker.io", path: "library/nginx"},
		{in: "index.docker.io/nginx", domain: "docker.io", path: "library/nginx"},
		{in: "index.docker.io/acme/app", domain: "docker.io", path: "acme/app"},
		{in: "ghcr.io/acme/app:v1.2.3", domain: "ghcr.io", path: "acme/app", tag: "v1.2.3"},
		{in: "registry.example.com:5000/team/app", domain: "registry.example.com:5000", path: "team/app"},
		{in: "registry.example.com:5000/team/app:5000", domain: "registry.example.com:5000", path: "team/app", tag: "5000"},
		{in: "localhost/app", domain: "localhost", path: "app"},
		{in: "localhost:5000/app:dev", domain: "localhost:5000", path: "app", tag: "dev"},
		// A single component is always a Docker Hub name: the ":5000" is a tag.
		{in: "localhost:5000", domain: "docker.io", path: "library/localhost", tag: "5000"},
		{in: "[::1]:5000/app", domain: "[::1]:5000", path: "app"},
		{in: "10.0.0.1:5000/app", domain: "10.0.0.1:5000", path: "app"},
		// An upper-case first component can only be a host.
		{in: "Registry/app", domain: "Registry", path: "app"},
		{in: "acme/team/app", domain: "docker.io", path: "acme/team/app"},
		{in: "quay.io/a--b/c__d/e.f_g:T_1.x-y", domain: "quay.io", path: "a--b/c__d/e.f_g", tag: "T_1.x-y"},
		{in: "gcr.io/distroless/static@sha512:" + hex64 + hex64, domain: "gcr.io", path: "distroless/static", digest: "sha512:" + hex64 + hex64},
		// Not a valid host but a valid repository component: read as a path with no registry.
		{in: "my_registry.io/app", domain: "", path: "my_registry.io/app"},

		{in: "", err: "empty"},
		{in: hex64, err: "image ID"},
		{in: "Nginx", err: "lower-case"},
		{in: "acme/App", err: "lower-case"},
		{in: "nginx:", err: "tag"},
		{in: "nginx:-1", err: "tag"},
		{in: "nginx:" + strings.Repeat("a", 129), err: "tag"},
		{in: "nginx@sha256:abc", err: "hex"},
		{in: "nginx@sha256:" + strings.ToUpper(hex64), err: "hex"},
		{in: "nginx@md5:" + hex64, err: "not supported"},
		{in: "nginx@" + hex64, err: "algorithm:hex"},
		{in: "ghcr.io/acme/app:v1:v2", err: "component \"app:v1\""},
		{in: "ghcr.io/-acme/app", err: "component"},
		{in: "ghcr.io/acme_/app", err: "component"},
		{in: "ghcr.io/acme/", err: "component"},
		{in: "ghcr.io//app", err: "component"},
		{in: "-bad.io/app", err: "registry"},
		{in: "bad.io:/app", err: "registry"},
		{in: "bad.io:port/app", err: "registry"},
		{in: "[zz]/app", err: "component"}, // no "." or ":": a Docker Hub path
		{in: "[zz]:1/app", err: "registry"},
		{in: "ghcr.io/" + strings.Repeat("a", 256), err: "longer than"},
	}
	for _, tt := range tests {
		got, err := ParseReference(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseReference(%q) = %+v, %v; want an error containing %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseReference(%q): %v", tt.in, err)
			continue
		}
		want := Reference{tt.domain, tt.path, tt.tag, tt.digest}
		if got != want {
			t.Errorf("ParseReference(%q) = %+v, want %+v", tt.in, got, want)
		}
	}
}

func TestReferenceString(t *testing.T) {
	for in, want := range map[string]string{
		"nginx":                       "docker.io/library/nginx",
		"nginx:1@sha256:" + hex64:     "docker.io/library/nginx:1@sha256:" + hex64,
		"localhost:5000/app:dev":      "localhost:5000/app:dev",
		"index.docker.io/library/x:1": "docker.io/library/x:1",
	} {
		r, err := ParseReference(in)
		if err != nil {
			t.Fatal(err)
		}
		if r.String() != want {
			t.Errorf("%q.String() = %q, want %q", in, r.String(), want)
		}
	}
}

func TestDefaultPullPolicy(t *testing.T) {
	for in, want := range map[string]corev1.PullPolicy{
		"nginx":                        corev1.PullAlways,
		"nginx:latest":                 corev1.PullAlways,
		"nginx:latest@sha256:" + hex64: corev1.PullAlways, // the tag decides, as in the API server
		"nginx:1.25":                   corev1.PullIfNotPresent,
		"nginx@sha256:" + hex64:        corev1.PullIfNotPresent,
		"localhost:5000":               corev1.PullIfNotPresent, // tag "5000"
		"Invalid":                      corev1.PullIfNotPresent,
		"ghcr.io/acme/app:LATEST":      corev1.PullIfNotPresent, // tags are case-sensitive
	} {
		if got := DefaultPullPolicy(in); got != want {
			t.Errorf("DefaultPullPolicy(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestAllowed(t *testing.T) {
	tests := []struct {
		image   string
		entries []string
		want    bool
	}{
		{"nginx", []string{"docker.io"}, true},
		{"nginx", []string{"index.docker.io"}, true},
		{"nginx", []string{"docker.io/library"}, true},
		{"nginx", []string{"docker.io/library/"}, true},
		{"bitnami/redis", []string{"docker.io/library"}, false},
		{"ghcr.io/acme/app", []string{"ghcr.io/acme"}, true},
		{"ghcr.io/acme/app", []string{"ghcr.io/acme/"}, true},
		{"ghcr.io/acme/app", []string{"GHCR.io"}, true},
		{"ghcr.io/acme-evil/app", []string{"ghcr.io/acme"}, false},
		{"ghcr.io/acme", []string{"ghcr.io/acme"}, true},
		{"ghcr.io/acme/app", []string{"ghcr.io/acme/app/sub"}, false},
		{"ghcr.io.evil.com/acme/app", []string{"ghcr.io"}, false},
		{"registry.example.com:5000/app", []string{"registry.example.com"}, false},
		{"registry.example.com:5000/app", []string{"registry.example.com:5000"}, true},
		{"quay.io/app/x", []string{"", " ", "gcr.io", "quay.io"}, true},
		{"quay.io/app/x", nil, false},
	}
	for _, tt := range tests {
		ref, err := ParseReference(tt.image)
		if err != nil {
			t.Fatal(err)
		}
		if got := Allowed(ref, tt.entries); got != tt.want {
			t.Errorf("Allowed(%q, %q) = %v, want %v", tt.image, tt.entries, got, tt.want)
		}
	}
}

func FuzzParseReference(f *testing.F) {
	for _, s := range []string{"nginx", "ghcr.io/a/b:c@sha256:" + hex64, "[::1]:5/a", "localhost:5000", "a/B", "x@y:z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReference(s)
		if err != nil {
			return
		}
		// A parsed reference re-parses to itself once normalised.
		again, err := ParseReference(r.String())
		if r.Domain != "" && (err != nil || again != r) {
			t.Fatalf("%q → %q → %+v, %v", s, r.String(), again, err)
		}
	})
}

func BenchmarkParseReference(b *testing.B) {
	refs := []string{"nginx", "ghcr.io/acme/app:v1.2.3", "registry.example.com:5000/team/app@sha256:" + hex64, "bitnami/redis:7.2"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := ParseReference(refs[i%len(refs)]); err != nil {
			b.Fatal(err)
		}
	}
}
