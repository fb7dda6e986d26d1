package secrets_test

import (
	"bytes"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeharden/kubeharden/checks/secrets"
	"github.com/kubeharden/kubeharden/encryption"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/report"
	"github.com/kubeharden/kubeharden/scan"
)

// TestNoValueInAnyReport runs every check of the package over every fixture (keys of
// encryption configurations, credentials in env values, ConfigMaps, annotations and Secrets)
// and writes the result in every report format: no value, key, or leading part of a value
// that a check reported on may appear in any of them.
func TestNoValueInAnyReport(t *testing.T) {
	objs, errs := load.Files([]string{"testdata/encryption", "testdata/exposure"}, load.Options{})
	if len(errs) > 0 {
		t.Fatalf("fixtures do not load: %v", errs)
	}
	inv := inventory.Build(objs)
	values := sensitive(t, inv)
	if len(values) < 40 {
		t.Fatalf("only %d sensitive values found in the fixtures; the test would prove little", len(values))
	}
	res := scan.Run(inv, scan.Options{Checks: secrets.Checks()})
	if len(res.Findings) < 50 {
		t.Fatalf("only %d findings", len(res.Findings))
	}
	for _, format := range report.Formats {
		var buf bytes.Buffer
		if err := report.Write(&buf, res, report.Options{Format: format, ShowSuppressed: true, ToolVersion: "test"}); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		out := buf.String()
		// JSON and SARIF escape characters such as '&' and '<'; compare unescaped too.
		unescaped := strings.NewReplacer(`\u0026`, "&", `\u003c`, "<", `\u003e`, ">", `\"`, `"`, `\\`, `\`).Replace(out)
		for _, v := range values {
			if strings.Contains(out, v) || strings.Contains(unescaped, v) {
				t.Errorf("%s output contains the sensitive value %.4s… (%d characters)", format, v, len(v))
			}
		}
	}
}

// sensitive returns every value the fixtures hold that a report must never show: the key
// material of encryption configurations (encoded and decoded), Secret data, ConfigMap data
// (whole values and the values of their config-file lines), env literals and annotation
// values; for each, the value itself and, for tokens, their first ten characters.
func sensitive(t *testing.T, inv *inventory.Inventory) []string {
	seen := map[string]bool{}
	var out []string
	add := func(v string) {
		v = strings.TrimSpace(v)
		forms := []string{v}
		// The leading part of a token (no blanks, a digit in it) must not show either; the
		// leading words of a passphrase may well be words of a message.
		if !strings.ContainsAny(v, " \t\n") && strings.ContainsAny(v, "0123456789") {
			forms = append(forms, v[:min(len(v), 10)])
		}
		for _, s := range forms {
			if len(s) >= 8 && !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	line := regexp.MustCompile(`[:=]\s*"?([^"\s,]{8,})`)
	for _, o := range inv.All() {
		for _, v := range o.Annotations() {
			add(v)
		}
		switch x := o.Obj.(type) {
		case *corev1.ConfigMap:
			for _, v := range x.Data {
				add(v)
				for _, m := range line.FindAllStringSubmatch(v, -1) {
					add(m[1])
				}
			}
		case *corev1.Secret:
			for _, v := range x.Data {
				add(string(v))
			}
			for _, v := range x.StringData {
				add(v)
			}
		}
		if encryption.IsConfig(o.APIVersion, o.Kind) {
			u, _ := o.Unstructured()
			keySecrets(u.Object, add)
		}
	}
	// The values on command lines: after "=", after Bearer, after a flag, and the password
	// of user:password. Paths and the words of the command itself are not secret.
	words := func(ws []string) {
		for i, w := range ws {
			w = strings.Trim(w, `"'`)
			var v string
			switch {
			case strings.Contains(w, "="):
				v = w[strings.LastIndex(w, "=")+1:]
			case i > 0 && (strings.EqualFold(ws[i-1], "bearer") || strings.HasPrefix(ws[i-1], "-")):
				v = w
			}
			if _, pw, ok := strings.Cut(v, ":"); ok && !strings.Contains(v, "/") {
				add(pw)
			}
			if v != "" && !strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "-") && !strings.HasSuffix(v, ":") {
				add(v)
			}
		}
	}
	for _, pt := range inv.PodTemplates() {
		for _, c := range pt.Containers() {
			for _, e := range c.Container.Env {
				add(e.Value)
			}
			line := append(append([]string(nil), c.Container.Command...), c.Container.Args...)
			words(line)
			for _, a := range line {
				words(strings.Fields(a))
			}
		}
		for _, c := range pt.Spec.EphemeralContainers {
			for _, e := range c.Env {
				add(e.Value)
			}
		}
	}
	// Paths and host names among them are not secret, but no check prints a value of any
	// kind, so they stay in the list.
	return out
}

// keySecrets calls add with every key of an encryption configuration, base64 and decoded.
func keySecrets(v any, add func(string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, v := range x {
			if s, ok := v.(string); ok && k == "secret" {
				add(s)
				if raw, err := base64.StdEncoding.DecodeString(s); err == nil {
					add(string(raw))
				}
			}
			keySecrets(v, add)
		}
	case []any:
		for _, v := range x {
			keySecrets(v, add)
		}
	}
}
