package dockerfile

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

const sample = `# syntax=docker/dockerfile:1
ARG GO=1.23
ARG BASE
FROM --platform=$BUILDPLATFORM golang:${GO} AS Build
ENV DB_PASSWORD=hunter2-secret PATH=/usr/local/go/bin
RUN --mount=type=cache,target=/root/.cache/go-build go build -o /app .
RUN <<EOF
apt-get update
apt-get install -y gcc
EOF
FROM ${BASE} AS unknown
FROM build AS final
USER 10001
COPY --from=build /app /app
ADD --checksum=sha256:24454f830cdb571e2c4ad15481119c43b3cafd48dd869a9b2945d1036d1dc68d https://example.com/x.tgz /x
CMD ["/app"]
`

func TestParse(t *testing.T) {
	f, errs := Parse("Dockerfile", []byte(sample))
	if len(errs) != 0 {
		t.Fatal(errs)
	}
	if len(f.Args) != 2 || len(f.Stages) != 3 {
		t.Fatalf("args %d, stages %d", len(f.Args), len(f.Stages))
	}
	b := f.Stages[0]
	if b.Name != "build" || b.From != "golang:${GO}" || b.Base != "golang:1.23" || b.Platform != "$BUILDPLATFORM" || b.Line != 4 {
		t.Errorf("build stage = %+v", b)
	}
	if f.Stages[1].Base != "" {
		t.Errorf("a FROM naming an ARG without default has base %q, want unknown", f.Stages[1].Base)
	}
	run := b.Instructions[1]
	if run.Command != "RUN" || !run.Shell || run.Args[0] != "go build -o /app ." || !reflect.DeepEqual(run.Mounts, []Mount{{"cache", "/root/.cache/go-build"}}) {
		t.Errorf("RUN = %+v", run)
	}
	here := b.Instructions[2]
	if here.Line != 7 || here.EndLine != 10 || !strings.Contains(here.Script(), "apt-get install -y gcc") {
		t.Errorf("heredoc RUN = %+v", here)
	}
	if got := f.FinalChain(); !reflect.DeepEqual(got, []int{0, 2}) {
		t.Errorf("final chain %v, want [0 2]", got)
	}
	if base, i := f.ExternalBase(2); base != "golang:1.23" || i != 0 {
		t.Errorf("external base of the final stage = %q (stage %d)", base, i)
	}
	add := f.Stages[2].Instructions[2]
	if add.Command != "ADD" || add.Checksum == "" || add.Args[0] != "https://example.com/x.tgz" {
		t.Errorf("ADD = %+v", add)
	}
	if cp := f.Stages[2].Instructions[1]; cp.From != "build" {
		t.Errorf("COPY = %+v", cp)
	}
}

// TestSecretsNeverKept: a secret-looking ENV value is dropped while reading, so that the
// object (which reports and snapshots may serialise) never holds it.
func TestSecretsNeverKept(t *testing.T) {
	objs, errs := Load("Dockerfile", []byte(sample))
	if len(errs) != 0 || len(objs) != 1 {
		t.Fatal(errs)
	}
	o := objs[0]
	b, err := json.Marshal(o.Obj)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "hunter2") {
		t.Fatal("the secret value is in the object")
	}
	f, ok := FromObject(o)
	if !ok {
		t.Fatal("FromObject failed")
	}
	v := f.Stages[0].Instructions[0].Vars
	if v[0].Name != "DB_PASSWORD" || !v[0].Redacted || v[0].Value != "" || v[1].Value != "/usr/local/go/bin" {
		t.Errorf("vars = %+v", v)
	}
	if o.Kind != Kind || o.Name != "Dockerfile" || o.EffectiveNamespace() != "" {
		t.Errorf("object %v in namespace %q", o.Ref, o.EffectiveNamespace())
	}
	if l := o.Line(InstructionPath(2, 1)); l != 14 {
		t.Errorf("line of COPY = %d, want 14", l)
	}
	if l := o.Line(StagePath(1)); l != 11 {
		t.Errorf("line of the second FROM = %d, want 11", l)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		msg       string
		object    bool
	}{
		{"empty", "", 0, "no instructions", false},
		{"comments only", "# nothing\n", 1, "no instructions", false},
		{"args only", "ARG X=1\n", 1, "no FROM", false},
		{"before FROM", "RUN echo\nFROM alpine\n", 1, "before the first FROM", true},
		{"bad FROM", "FROM alpine AS\nFROM alpine\n", 1, "FROM requires", true},
		{"bad escape", "# escape=xx\nFROM alpine\n", 0, "escape", false},
	}
	for _, tt := range tests {
		objs, errs := Load("Dockerfile", []byte(tt.src))
		if len(errs) != 1 || errs[0].Line != tt.line || !strings.Contains(errs[0].Message, tt.msg) || errs[0].File != "Dockerfile" {
			t.Errorf("%s: errors %+v, want one at line %d containing %q", tt.name, errs, tt.line, tt.msg)
		}
		if (len(objs) == 1) != tt.object {
			t.Errorf("%s: %d objects", tt.name, len(objs))
		}
	}
}

func TestIsDockerfile(t *testing.T) {
	for name, want := range map[string]bool{
		"Dockerfile": true, "dir/Containerfile": true, "api.Dockerfile": true, "dockerfile": true,
		"web.containerfile": true, "Dockerfile.yaml": false, "Dockerfiles": false, "deploy.yaml": false,
	} {
		if got := IsDockerfile(name); got != want {
			t.Errorf("IsDockerfile(%q) = %v", name, got)
		}
	}
}

func TestSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"DB_PASSWORD": true, "GITHUB_TOKEN": true, "npm-token": true, "AWS_SECRET_ACCESS_KEY": true, "API_KEY": true,
		"PRIVATE_KEY": true, "SECRET_KEY_BASE": true, "BASIC_AUTH": true, "REGISTRY_CREDENTIALS": true,
		"DB_PASSWORD_FILE": false, "AWS_ACCESS_KEY_ID": false, "TOKEN_URL": false, "PUBLIC_KEY": false,
		"PWD": false, "PATH": false, "KEY": false, "MONKEY": false, "BYPASS": false, "AUTH_TYPE": false,
	} {
		if got := SecretName(name); got != want {
			t.Errorf("SecretName(%q) = %v, want %v", name, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte("FROM a\nRUN <<EOF\nx\n"))
	f.Add([]byte("# escape=`\nFROM a\nRUN x `\n y"))
	f.Fuzz(func(t *testing.T, b []byte) {
		objs, _ := Load("Dockerfile", b)
		for _, o := range objs {
			df, ok := FromObject(o)
			if !ok || len(df.Stages) == 0 {
				t.Fatal("object does not read back")
			}
			df.FinalChain()
			df.ExternalBase(len(df.Stages) - 1)
		}
	})
}

func BenchmarkLoad(b *testing.B) {
	data := []byte(sample)
	b.ReportAllocs()
	for b.Loop() {
		if objs, errs := Load("Dockerfile", data); len(objs) != 1 || len(errs) != 0 {
			b.Fatal(errs)
		}
	}
}
