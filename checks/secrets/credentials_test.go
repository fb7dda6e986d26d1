package secrets

import (
	"reflect"
	"testing"
)

func TestNameTokens(t *testing.T) {
	for in, want := range map[string][]string{
		"DB_PASSWORD":       {"db", "password"},
		"dbPassword":        {"db", "password"},
		"APIKey":            {"api", "key"},
		"app.secret-key":    {"app", "secret", "key"},
		"PGPASSWORD":        {"pgpassword"},
		"oauth2ClientID":    {"oauth2", "client", "id"},
		"x-api-key":         {"x", "api", "key"},
		"example.com/token": {"example", "com", "token"},
	} {
		if got := nameTokens(in); !reflect.DeepEqual(got, want) {
			t.Errorf("nameTokens(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCredential(t *testing.T) {
	for _, c := range []struct {
		name, value string
		named       bool
		want        string
	}{
		{"DB_PASSWORD", "hunter2", true, kindNamed},
		{"DB_PASSWORD", "hunter2", false, ""}, // annotations: no name rule
		{"PGPASSWORD", "changeme-example", true, kindNamed},
		{"apiKey", "live-9f8e7d6c5b4a", true, kindNamed},
		{"ACCESS_KEY_ID", "something-long", true, ""},
		{"SECRET_NAME", "db-credentials", true, ""},
		{"TOKEN_FILE", "token.txt", true, ""},
		{"PASSWORD", "$(DB_PASSWORD)", true, ""},
		{"PASSWORD", "{{ .Values.password }}", true, ""},
		{"PASSWORD", "******", true, ""},
		{"PASSWORD", "true", true, ""},
		{"PASSWORD_HASHERS", "django.contrib.auth.hashers.PBKDF2PasswordHasher", true, ""},
		{"PASSWORD", "arn:aws:secretsmanager:eu-west-1:123:secret:db", true, ""},
		{"PWD", "/app", true, ""},
		{"X", "AKIAZ7Q3LMNOPQRSTUVW", false, kindAWSKeyID},
		{"X", "AKIAIOSFODNN7EXAMPLE", false, ""},
		{"X", "-----BEGIN OPENSSH PRIVATE KEY-----\nxyz", false, kindPrivateKey},
		{"X", "-----BEGIN CERTIFICATE-----\nxyz", false, ""},
		{"X", "redis://:s3cr3tpass@redis:6379/0", false, kindConnString},
		{"X", "redis://redis:6379/0", false, ""},
		{"X", "https://user:${PASS}@example.com", false, ""},
		{"CHECKSUM", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", false, ""},
		{"BLOB", "q8Zr3kP1vN7xW2mY5tB9cL4hJ6gF0dSa", false, kindHighEntropy},
		{"CA_BUNDLE", "q8Zr3kP1vN7xW2mY5tB9cL4hJ6gF0dSa", false, ""},
		{"NAME", "my-application-frontend-service-v2", false, ""},
	} {
		if got := credential(c.name, c.value, c.named); got != c.want {
			t.Errorf("credential(%q, %.12q…, %v) = %q, want %q", c.name, c.value, c.named, got, c.want)
		}
	}
}

func TestFileCredential(t *testing.T) {
	kind, line := fileCredential("a: 1\nb:\n  user: app\n  password: \"s3cret-value\" # prod\n")
	if kind != kindNamed || line != 4 {
		t.Errorf("got %q at line %d", kind, line)
	}
	if kind, _ := fileCredential("password: ${DB_PASSWORD}\npasswordFile: /run/secrets/db\n"); kind != "" {
		t.Errorf("references and paths: %q", kind)
	}
	if kind, line := fileCredential("export API_TOKEN=abc123def456\n"); kind != kindNamed || line != 1 {
		t.Errorf("shell export: %q %d", kind, line)
	}
}
