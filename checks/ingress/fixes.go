package ingress

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kubeharden/kubeharden/certs"
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// coveringSecret is the name of a TLS Secret of namespace ns in the input whose certificate
// is valid at now and covers every host, or "".
func coveringSecret(p *check.Pass, ns string, hosts []string) string {
	if len(hosts) == 0 {
		return ""
	}
	for _, so := range p.Inv.InNamespace(ns) {
		s, ok := so.Obj.(*corev1.Secret)
		if !ok || so.Kind != "Secret" || s.Type != corev1.SecretTypeTLS {
			continue
		}
		c, err := certs.FromSecret(s)
		if err != nil || c.Leaf == nil || c.Key != certs.KeyMatch {
			continue
		}
		if t := p.Now; !t.IsZero() && (t.Before(c.Leaf.NotBefore) || t.After(c.Leaf.NotAfter)) {
			continue
		}
		all := true
		for _, h := range hosts {
			if !c.Covers(h) {
				all = false
			}
		}
		if all {
			return so.Name
		}
	}
	return ""
}

// tlsFix adds a spec.tls entry for hosts served with secret.
func tlsFix(o *inventory.Object, hosts []string, secret string) []check.SuggestedFix {
	hs := make([]any, len(hosts))
	for i, h := range hosts {
		hs[i] = h
	}
	return []check.SuggestedFix{{
		Message: "serve " + hostList(hosts) + " with TLS Secret " + secret + ", whose certificate covers them",
		Edits: []check.Edit{{Op: check.AppendItem, Object: o.Ref, Path: "spec.tls",
			Value: map[string]any{"hosts": hs, "secretName": secret}, Origin: "Secret " + o.EffectiveNamespace() + "/" + secret}},
	}}
}

// hostFix covers host: in the tls entry whose Secret's certificate covers it, else in a new
// entry with a Secret that does.
func hostFix(p *check.Pass, o *inventory.Object, ing *networkingv1.Ingress, host string) []check.SuggestedFix {
	ns := o.EffectiveNamespace()
	for i, t := range ing.Spec.TLS {
		if t.SecretName != "" && coveringSecretNamed(p, ns, t.SecretName, host) {
			return []check.SuggestedFix{{
				Message: "add " + host + " to spec.tls[" + itoa(i) + "], whose Secret's certificate covers it",
				Edits:   []check.Edit{{Op: check.AppendItem, Object: o.Ref, Path: "spec.tls[" + itoa(i) + "].hosts", Value: host}},
			}}
		}
	}
	if s := coveringSecret(p, ns, []string{host}); s != "" {
		return tlsFix(o, []string{host}, s)
	}
	return nil
}

func coveringSecretNamed(p *check.Pass, ns, name, host string) bool {
	so := p.Inv.Get("Secret", ns, name)
	if so == nil {
		return false
	}
	s, ok := so.Obj.(*corev1.Secret)
	if !ok {
		return false
	}
	c, err := certs.FromSecret(s)
	return err == nil && c.Leaf != nil && c.Covers(host)
}

func itoa(i int) string { return strconv.Itoa(i) }

// setFix sets one field to a value that turns a controller's protection back on.
func setFix(o *inventory.Object, path, value, msg string) []check.SuggestedFix {
	return []check.SuggestedFix{{Message: msg, Edits: []check.Edit{check.SetAt(o, path, value)}}}
}
