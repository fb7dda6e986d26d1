package secrets

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// lastApplied repeats an object's fields, which are judged on their own; what it holds
// beyond them is judged by lastAppliedCredentials.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// HardcodedCredential reports credentials written outside Secrets.
var HardcodedCredential = &check.Check{
	ID:    "secrets/hardcoded-credential",
	Title: "Credential written in plain text outside a Secret",
	Doc: "A password, key or token written as a literal env value, in a ConfigMap or in an " +
		"annotation is readable by everyone who can read that object (ConfigMaps and pod " +
		"specs are granted far more widely than Secrets), is printed by kubectl describe, and " +
		"stays in the manifests' history. The check looks for well-known credential formats " +
		"(cloud keys, private keys, JWTs, GitHub and Slack tokens, connection strings with a " +
		"password), literals under credential names, and high-entropy tokens; the package " +
		"documentation lists the rules. The finding names the kind of credential and where " +
		"it is, never the value. kubectl's last-applied-configuration annotation is searched " +
		"for credentials the object no longer holds, and on a Secret it is reported when it " +
		"repeats the Secret's values (as `kubectl apply` of a Secret leaves them). Move it into " +
		"a Secret (or a secret manager) and rotate it: it has been exposed.",
	Severity:    check.High,
	Fixable:     true,
	References:  []string{refNSA, refSecretsDocs, refCreds, refCredsFiles},
	Remediation: "Move the value into a Secret or your secret manager, reference it from there, and rotate the credential: it is in the manifests' history.",
	Kinds:       []string{check.AnyKind},
	Reads:       []string{"Secret"}, // a fix reads the value from a Secret of the namespace that holds it
	Scope:       check.ScopeNamespace,
	Run: func(p *check.Pass) {
		for _, t := range p.Inv.PodTemplates() {
			for _, c := range envContainers(t) {
				for i, e := range c.env {
					if e.ValueFrom != nil || e.Value == "" {
						continue
					}
					if k := credential(e.Name, e.Value, true); k != "" {
						at := fmt.Sprintf("%s.env[%d]", c.path, i)
						p.Report(check.Diagnostic{Object: t.Owner, Path: at + ".value",
							Message: fmt.Sprintf("environment variable %s of container %q holds a credential in plain text (%s; value not shown)", e.Name, c.name, k),
							Fixes:   secretRefFix(p, t, at, e.Name, e.Value)})
					}
				}
			}
			if t.MetaPath != "metadata" { // a Pod's own, checked with every object below
				annotations(p, t.Owner, t.MetaPath+".annotations", t.Meta.Annotations)
			}
		}
		for _, o := range p.Inv.ByKind("ConfigMap") {
			if cm, ok := o.Obj.(*corev1.ConfigMap); ok {
				configMap(p, o, cm)
			}
		}
		for _, o := range p.Inv.All() {
			annotations(p, o, "metadata.annotations", o.Annotations())
			lastAppliedCredentials(p, o)
		}
	},
}

func configMap(p *check.Pass, o *inventory.Object, cm *corev1.ConfigMap) {
	for _, key := range sortedKeys(cm.Data) {
		v := cm.Data[key]
		path := "data." + key
		if k := credential(key, v, true); k != "" {
			p.Reportf(o, path, "ConfigMap key %q holds a credential in plain text (%s; value not shown)", key, k)
			continue
		}
		if strings.Contains(v, "\n") {
			if k, line := fileCredential(v); k != "" {
				p.Reportf(o, path, "ConfigMap key %q holds a credential in plain text at line %d of its value (%s; value not shown)", key, line, k)
			}
		}
	}
}

func annotations(p *check.Pass, o *inventory.Object, path string, as map[string]string) {
	for _, key := range sortedKeys(as) {
		if key == lastApplied {
			continue
		}
		if k := credential(key, as[key], false); k != "" {
			p.Reportf(o, path+"."+key, "annotation %q holds a credential in plain text (%s; value not shown)", key, k)
		}
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// secretRefFix moves a literal env value to a secretKeyRef when a Secret of the namespace in
// the input holds the same value (a key named as the variable first). The value is compared,
// never shown.
func secretRefFix(p *check.Pass, t inventory.PodTemplate, at, name, value string) []check.SuggestedFix {
	var secret, key string
	for _, o := range p.Inv.InNamespace(t.Namespace()) {
		s, ok := o.Obj.(*corev1.Secret)
		if !ok || o.Kind != "Secret" {
			continue
		}
		for _, k := range secretKeys(s) {
			if v, ok := s.StringData[k]; ok && v != value {
				continue
			} else if !ok && string(s.Data[k]) != value {
				continue
			}
			if secret == "" || (k == name && key != name) {
				secret, key = o.Name, k
			}
		}
	}
	if secret == "" {
		return nil
	}
	return []check.SuggestedFix{{
		Message: "read " + name + " from Secret " + secret + " (key " + key + "), which holds the same value",
		Edits: []check.Edit{
			{Op: check.RemoveField, Object: t.Owner.Ref, Path: at + ".value"},
			{Op: check.SetField, Object: t.Owner.Ref, Path: at + ".valueFrom.secretKeyRef.name", Value: secret, Origin: "Secret " + t.Namespace() + "/" + secret},
			{Op: check.SetField, Object: t.Owner.Ref, Path: at + ".valueFrom.secretKeyRef.key", Value: key},
		},
	}}
}

// secretKeys lists a Secret's keys, stringData's and data's, sorted.
func secretKeys(s *corev1.Secret) []string {
	seen := map[string]bool{}
	var out []string
	for k := range s.StringData {
		seen[k] = true
		out = append(out, k)
	}
	for k := range s.Data {
		if !seen[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
