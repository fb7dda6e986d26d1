package ingress

import (
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kubeharden/kubeharden/certs"
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/exposure"
	"github.com/kubeharden/kubeharden/inventory"
)

// eachIngress calls fn for every networking.k8s.io/v1 Ingress.
func eachIngress(inv *inventory.Inventory, fn func(o *inventory.Object, ing *networkingv1.Ingress)) {
	for _, o := range inv.ByKind("Ingress") {
		if ing, ok := o.Obj.(*networkingv1.Ingress); ok {
			fn(o, ing)
		}
	}
}

// NoTLS reports Ingresses without any TLS.
var NoTLS = &check.Check{
	ID:    "ingress/no-tls",
	Title: "Ingress serves plain HTTP only",
	Doc: "An Ingress without a tls section is served over plain HTTP: passwords, session " +
		"cookies and API tokens cross the network readable by anyone on the path, and responses " +
		"can be altered in transit. Ingresses whose TLS a cloud load balancer terminates " +
		"(certificate annotations of AWS, GKE or Azure), that Traefik serves with router.tls, or " +
		"that only redirect to https are not reported. Fix it by adding spec.tls with the hosts " +
		"and a kubernetes.io/tls Secret (cert-manager can issue and renew it).",
	Severity:    check.High,
	Fixable:     true,
	References:  []string{refNSANet, refCISTransit, refIngressDoc, refMITRESniff, refMITREAiTM},
	Remediation: "Add spec.tls: [{hosts: [<host>], secretName: <tls-secret>}], e.g. with a cert-manager issuer annotation.",
	Kinds:       []string{"Ingress"},
	Reads:       append([]string{"Secret"}, controllerReads...), // Secret: the TLS Secret a fix points to
	Scope:       check.ScopeCluster,
	Run: func(p *check.Pass) {
		x := newControllers(p.Inv)
		eachIngress(p.Inv, func(o *inventory.Object, ing *networkingv1.Ingress) {
			if len(ing.Spec.TLS) > 0 || exposure.TLSElsewhere(o) != "" || exposure.TraefikRouterTLS(o) {
				return
			}
			if len(ing.Spec.Rules) == 0 && ing.Spec.DefaultBackend == nil {
				return
			}
			if to := x.redirectOnly(o); to != "" {
				return
			}
			var hosts []string
			for _, h := range exposure.IngressHosts(ing) {
				hosts = append(hosts, h.Host)
			}
			what := "hosts " + hostList(hosts)
			if len(hosts) == 0 {
				what = "its default backend"
			}
			d := check.Diagnostic{Object: o, Path: "spec.tls",
				Message: fmt.Sprintf("Ingress %s/%s serves %s over plain HTTP: it has no spec.tls", o.EffectiveNamespace(), o.Name, what)}
			if s := coveringSecret(p, o.EffectiveNamespace(), hosts); s != "" {
				d.Fixes = tlsFix(o, hosts, s)
			}
			p.Report(d)
		})
	},
}

// HostNotCovered reports rule hosts that no tls entry covers.
var HostNotCovered = &check.Check{
	ID:    "ingress/host-not-covered",
	Title: "Ingress host is not covered by TLS",
	Doc: "spec.tls lists the hosts served over TLS; a rule host missing from every tls entry's " +
		"hosts is served over plain HTTP (or, by some controllers, with a default certificate " +
		"that does not match it), even though the Ingress has TLS for its other hosts. Hosts " +
		"are matched as TLS matches them: \"*.example.com\" covers exactly one label " +
		"(a.example.com, not example.com nor a.b.example.com). A rule without host matches " +
		"every host name and cannot be covered. Fix it by adding the host to a tls entry whose " +
		"certificate covers it.",
	Severity:    check.High,
	Fixable:     true,
	References:  []string{refNSANet, refCISTransit, refIngressDoc, refRFC6125},
	Remediation: "Add the host to spec.tls[].hosts of an entry whose certificate covers it (or to a new entry).",
	Kinds:       []string{"Ingress"},
	Reads:       []string{"Secret"}, // the TLS Secret a fix points to
	Scope:       check.ScopeNamespace,
	Run: func(p *check.Pass) {
		eachIngress(p.Inv, func(o *inventory.Object, ing *networkingv1.Ingress) {
			if len(ing.Spec.TLS) == 0 {
				return
			}
			for _, h := range exposure.IngressHosts(ing) {
				switch {
				case h.Host == "":
					p.Reportf(o, h.Path, "Ingress %s/%s has a rule without host: it matches every host name, and TLS covers only the hosts listed in spec.tls",
						o.EffectiveNamespace(), o.Name)
				case h.TLS < 0:
					p.Report(check.Diagnostic{Object: o, Path: h.Path,
						Message: fmt.Sprintf("host %q of Ingress %s/%s is in no spec.tls entry's hosts, so it is not served with a certificate for it",
							h.Host, o.EffectiveNamespace(), o.Name),
						Fixes: hostFix(p, o, ing, h.Host)})
				}
			}
		})
	},
}

// TLSNoSecret reports tls entries without secretName.
var TLSNoSecret = &check.Check{
	ID:    "ingress/tls-no-secret",
	Title: "Ingress TLS entry names no Secret",
	Doc: "A tls entry without secretName is served with the ingress controller's default " +
		"certificate (ingress-nginx --default-ssl-certificate, Traefik's default TLS store). " +
		"That is valid only when the controller has a default certificate for these hosts; " +
		"without one, ingress-nginx serves a self-signed \"Kubernetes Ingress Controller Fake " +
		"Certificate\" that every client rejects. Fix it by naming the Secret, or confirm the " +
		"controller's default certificate covers the hosts.",
	Severity:    check.Info,
	Fixable:     true,
	References:  []string{refIngressDoc, refCISTransit},
	Remediation: "Set spec.tls[].secretName to a kubernetes.io/tls Secret, or make sure the controller's default certificate covers these hosts.",
	Kinds:       []string{"Ingress"},
	Reads:       []string{"Secret"}, // the TLS Secret a fix points to
	Scope:       check.ScopeNamespace,
	Run: func(p *check.Pass) {
		eachIngress(p.Inv, func(o *inventory.Object, ing *networkingv1.Ingress) {
			for i, t := range ing.Spec.TLS {
				if t.SecretName != "" {
					continue
				}
				d := check.Diagnostic{Object: o, Path: fmt.Sprintf("spec.tls[%d]", i),
					Message: fmt.Sprintf("spec.tls[%d] of Ingress %s/%s names no secretName: hosts %s get the controller's default certificate",
						i, o.EffectiveNamespace(), o.Name, hostList(t.Hosts))}
				if s := coveringSecret(p, o.EffectiveNamespace(), t.Hosts); s != "" {
					d.Fixes = []check.SuggestedFix{{Message: "serve the entry's hosts with TLS Secret " + s + ", whose certificate covers them",
						Edits: []check.Edit{check.SetAt(o, fmt.Sprintf("spec.tls[%d].secretName", i), s)}}}
				}
				p.Report(d)
			}
		})
	},
}

// TLSSecretMissing reports references to TLS Secrets that do not exist.
var TLSSecretMissing = &check.Check{
	ID:    "ingress/tls-secret-missing",
	Title: "Referenced TLS Secret does not exist",
	Doc: "When the Secret a tls entry or a Gateway listener names does not exist, the " +
		"controller serves its default (often self-signed) certificate, or the Gateway " +
		"listener refuses to serve at all. The check reports a missing Secret only when other " +
		"Secrets of the same namespace were read, so partial input (manifests without their " +
		"Secrets, a cluster read without permission to list Secrets) does not report false " +
		"alarms; Secrets that a cert-manager Certificate or issuer annotation will create are " +
		"not reported either. Fix it by creating the Secret or correcting the name.",
	Severity:    check.High,
	Fixable:     true,
	References:  []string{refIngressDoc, refGatewayDoc, refCISTransit},
	Remediation: "Create the kubernetes.io/tls Secret in the same namespace (or let cert-manager issue it), or fix the name.",
	Kinds:       []string{"Ingress", "Gateway"},
	Reads:       certReads,
	Scope:       check.ScopeCluster,
	Run: func(p *check.Pass) {
		hasSecrets := map[string]bool{}
		for _, u := range certUses(p.Inv) {
			if p.Inv.Get("Secret", u.Namespace, u.Secret) != nil {
				continue
			}
			has, seen := hasSecrets[u.Namespace]
			if !seen {
				has = hasKind(p.Inv, "Secret", u.Namespace)
				hasSecrets[u.Namespace] = has
			}
			if !has || certManaged(p.Inv, u) {
				continue
			}
			d := check.Diagnostic{Object: u.Object, Path: u.Path,
				Message: fmt.Sprintf("%s names TLS Secret %s/%s, which does not exist", u.where(), u.Namespace, u.Secret)}
			// An Ingress entry may name another TLS Secret of the input that covers its hosts
			// (a misspelt name); a Gateway's certificateRefs are left to a person.
			if u.Listener == "" && strings.HasSuffix(u.Path, ".secretName") {
				var hosts []string
				for _, h := range u.Hosts {
					hosts = append(hosts, h.Host)
				}
				if s := coveringSecret(p, u.Namespace, hosts); s != "" {
					d.Fixes = []check.SuggestedFix{{Message: "name TLS Secret " + s + " instead, whose certificate covers the entry's hosts",
						Edits: []check.Edit{check.SetAt(u.Object, u.Path, s)}}}
				}
			}
			p.Report(d)
		}
	},
}

// TLSSecretInvalid reports referenced Secrets that hold no usable certificate.
var TLSSecretInvalid = &check.Check{
	ID:    "ingress/tls-secret-invalid",
	Title: "TLS Secret holds no usable certificate",
	Doc: "A Secret that an Ingress or a Gateway listener serves must hold a PEM certificate " +
		"chain in tls.crt and its private key in tls.key. Without them (a wrong key name, an " +
		"Opaque Secret with other keys, a DER file, a truncated PEM) controllers reject the " +
		"Secret and fall back to their default certificate, or the listener stops serving. Fix " +
		"it by recreating the Secret with kubectl create secret tls NAME --cert=... --key=....",
	Severity:    check.High,
	References:  []string{refIngressDoc, refGatewayDoc, refCISTransit},
	Remediation: "Recreate the Secret: kubectl create secret tls <name> --cert=fullchain.pem --key=key.pem.",
	Kinds:       []string{"Secret"},
	Reads:       certReads,
	Scope:       check.ScopeCluster,
	Run: func(p *check.Pass) {
		seen := map[*inventory.Object]bool{}
		for _, u := range certUses(p.Inv) {
			so := p.Inv.Get("Secret", u.Namespace, u.Secret)
			if so == nil || seen[so] {
				continue
			}
			seen[so] = true
			s, ok := so.Obj.(*corev1.Secret)
			if !ok {
				continue
			}
			_, err := certs.FromSecret(s)
			_, crtPath, _ := certs.SecretValue(s, certs.CertKey)
			_, _, hasKey := certs.SecretValue(s, certs.KeyKey)
			switch {
			case errors.Is(err, certs.ErrNoCert):
				if s.Data == nil && s.StringData == nil && s.Type != corev1.SecretTypeTLS && p.Facts != nil {
					// Read from a cluster by metadata only: its keys are unknown.
					continue
				}
				path := "data"
				if crtPath != "" {
					path = crtPath
				}
				p.Reportf(so, path, "Secret %s/%s, served by %s, has no certificate in tls.crt", u.Namespace, u.Secret, u.where())
			case err != nil:
				p.Reportf(so, crtPath, "Secret %s/%s, served by %s: %v", u.Namespace, u.Secret, u.where(), err)
			case !hasKey:
				p.Reportf(so, "data", "Secret %s/%s, served by %s, has no tls.key", u.Namespace, u.Secret, u.where())
			}
		}
	},
}
