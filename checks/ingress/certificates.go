package ingress

import (
	"crypto/x509"
	"fmt"
	"math"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeharden/kubeharden/certs"
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// servedCert is a loaded TLS Secret with a readable certificate and the places that serve it.
type servedCert struct {
	secret           *inventory.Object
	cert             *certs.Cert
	crtPath, keyPath string
	uses             []certUse
}

// name is "ns/name" of the Secret.
func (s *servedCert) name() string { return s.secret.EffectiveNamespace() + "/" + s.secret.Name }

// servedBy names the first user of the certificate, and how many more there are.
func (s *servedCert) servedBy() string {
	w := s.uses[0].where()
	if n := len(s.uses) - 1; n > 0 {
		w += fmt.Sprintf(" and %d more", n)
	}
	return w
}

// servedCerts returns the certificates that Ingresses and Gateways serve, one per Secret, in
// the order they are first referenced. Secrets that were not loaded or hold no readable
// certificate are left to tls-secret-missing and tls-secret-invalid.
func servedCerts(inv *inventory.Inventory) []*servedCert {
	var out []*servedCert
	bySecret := map[*inventory.Object]*servedCert{}
	for _, u := range certUses(inv) {
		so := inv.Get("Secret", u.Namespace, u.Secret)
		if so == nil {
			continue
		}
		if sc := bySecret[so]; sc != nil {
			sc.uses = append(sc.uses, u)
			continue
		}
		s, ok := so.Obj.(*corev1.Secret)
		if !ok {
			continue
		}
		c, err := certs.FromSecret(s)
		if err != nil {
			continue
		}
		sc := &servedCert{secret: so, cert: c, uses: []certUse{u}}
		_, sc.crtPath, _ = certs.SecretValue(s, certs.CertKey)
		_, sc.keyPath, _ = certs.SecretValue(s, certs.KeyKey)
		bySecret[so] = sc
		out = append(out, sc)
	}
	return out
}

// days renders a duration in whole days for messages.
func days(d time.Duration) string {
	n := int(math.Round(math.Abs(d.Hours()) / 24))
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

func day(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// now is the time the pass judges at; a Pass built without one judges at the current time
// rather than at year 1, when every certificate would be not yet valid.
func now(p *check.Pass) time.Time {
	if p.Now.IsZero() {
		return time.Now()
	}
	return p.Now
}

// intermediates are the chain's certificates other than self-signed roots, which clients
// take from their own trust store instead.
func intermediates(c *certs.Cert) []*x509.Certificate {
	var out []*x509.Certificate
	for _, ic := range c.Chain {
		if !(&certs.Cert{Leaf: ic}).SelfSigned() {
			out = append(out, ic)
		}
	}
	return out
}

// CertExpired reports served certificates past their notAfter date.
var CertExpired = &check.Check{
	ID:    "ingress/cert-expired",
	Title: "Served certificate has expired",
	Doc: "Clients refuse an expired certificate, so the hosts it serves are down for every " +
		"client that checks certificates, and users learn to click through warnings for the " +
		"ones that do not. An expired intermediate in tls.crt breaks the chain the same way. " +
		"Fix it by renewing the certificate (cert-manager renews automatically before expiry).",
	Severity:    check.High,
	References:  []string{refNIST52, refCISTransit, refIngressDoc},
	Remediation: "Renew the certificate and update the Secret, or let cert-manager manage it so renewal is automatic.",
	Kinds:       []string{"Secret"},
	Reads:       certReads,
	Scope:       check.ScopeCluster,
	Run: func(p *check.Pass) {
		at := now(p)
		for _, sc := range servedCerts(p.Inv) {
			l := sc.cert.Leaf
			if at.After(l.NotAfter) {
				p.Reportf(sc.secret, sc.crtPath, "certificate in Secret %s, served by %s, expired %s (%s ago): %s",
					sc.name(), sc.servedBy(), day(l.NotAfter), days(at.Sub(l.NotAfter)), sc.cert.Describe())
				continue
			}
			for _, ic := range intermediates(sc.cert) {
				if at.After(ic.NotAfter) {
					p.Reportf(sc.secret, sc.crtPath, "intermediate certificate %q in Secret %s, served by %s, expired %s",
						ic.Subject.String(), sc.name(), sc.servedBy(), day(ic.NotAfter))
				}
			}
		}
	},
}

// CertExpiring reports served certificates that expire within the configured window.
var CertExpiring = &check.Check{
	ID:    "ingress/cert-expiring",
	Title: "Served certificate expires soon",
	Doc: "A certificate that expires within the warning window (ingress.certExpiryDays, 30 " +
		"days by default) needs renewing now: renewal through a CA, review and rollout takes " +
		"time, and an automated renewal that has not happened by then has probably failed " +
		"(cert-manager renews at two thirds of the lifetime). Fix it by renewing the " +
		"certificate, and check why automation did not.",
	Severity:    check.Medium,
	References:  []string{refNIST52, refCISTransit},
	Remediation: "Renew the certificate now; if cert-manager manages it, check the Certificate's status and events.",
	Kinds:       []string{"Secret"},
	Reads:       certReads,
	Scope:       check.ScopeCluster,
	Run: func(p *check.Pass) {
		at := now(p)
		window := p.Config.Ingress.ExpiryDays()
		limit := at.AddDate(0, 0, window)
		for _, sc := range servedCerts(p.Inv) {
			l := sc.cert.Leaf
			if at.After(l.NotAfter) || l.NotAfter.After(limit) {
				continue
			}
			p.Reportf(sc.secret, sc.crtPath, "certificate in Secret %s, served by %s, expires %s (in %s, within the %d-day window): %s",
				sc.name(), sc.servedBy(), day(l.NotAfter), days(l.NotAfter.Sub(at)), window, sc.cert.Describe())
		}
	},
}

// CertNotYetValid reports served certificates whose notBefore date is in the future.
var CertNotYetValid = &check.Check{
	ID:    "ingress/cert-not-yet-valid",
	Title: "Served certificate is not valid yet",
	Doc: "Clients refuse a certificate before its notBefore date just as after its expiry. It " +
		"happens when a certificate is issued with a future start date or when clocks are " +
		"wrong. Fix it by serving a certificate that is valid now.",
	Severity:    check.Medium,
	References:  []string{refNIST52, refCISTransit},
	Remediation: "Serve a certificate whose validity has begun, or check the issuing system's clock.",
	Kinds:       []string{"Secret"},
	Reads:       certReads,
	Scope:       check.ScopeCluster,
	Run: func(p *check.Pass) {
		at := now(p)
		for _, sc := range servedCerts(p.Inv) {
			l := sc.cert.Leaf
			if at.Before(l.NotBefore) {
				p.Reportf(sc.secret, sc.crtPath, "certificate in Secret %s, served by %s, is not valid before %s (in %s): %s",
					sc.name(), sc.servedBy(), day(l.NotBefore), days(l.NotBefore.Sub(at)), sc.cert.Describe())
			}
		}
	},
}

// CertHostMismatch reports hosts that the served certificate's SANs do not cover.
var CertHostMismatch = &check.Check{
	ID:    "ingress/cert-host-mismatch",
	Title: "Certificate does not cover the host it serves",
	Doc: "Clients check the host name they asked for against the certificate's subject " +
		"alternative names (the subject's common name has been ignored since RFC 6125 and by " +
		"every browser); a wildcard SAN covers exactly one label. A certificate whose SANs " +
		"miss a host the Ingress tls entry or Gateway listener serves it for fails for that " +
		"host with a name-mismatch error. Fix it by issuing a certificate whose SANs list the " +
		"host, or by moving the host to an entry whose certificate covers it.",
	Severity:    check.High,
	References:  []string{refRFC6125, refNIST52, refCISTransit},
	Remediation: "Reissue the certificate with the host in its SANs (cert-manager: add it to dnsNames), or serve the host from a matching Secret.",
	Kinds:       []string{"Ingress", "Gateway"},
	Reads:       certReads,
	Scope:       check.ScopeCluster,
	Run: func(p *check.Pass) {
		for _, sc := range servedCerts(p.Inv) {
			for _, u := range sc.uses {
				for _, h := range u.Hosts {
					if h.Host == "" || sc.cert.Covers(h.Host) {
						continue
					}
					why := "its SANs do not cover it"
					if len(sc.cert.SANs()) == 0 {
						why = "it has no SANs, and clients ignore the subject's common name"
					}
					p.Reportf(u.Object, h.Path, "%s serves host %q with the certificate in Secret %s, but %s: %s",
						u.where(), h.Host, sc.name(), why, sc.cert.Describe())
				}
			}
		}
	},
}

// CertKeyMismatch reports Secrets whose tls.key does not belong to tls.crt.
var CertKeyMismatch = &check.Check{
	ID:    "ingress/cert-key-mismatch",
	Title: "TLS key does not match the certificate",
	Doc: "The private key in tls.key must be the one whose public half the certificate " +
		"carries; otherwise the TLS handshake cannot complete and controllers reject the " +
		"Secret (ingress-nginx logs \"private key does not match public key\" and serves its " +
		"default certificate). An encrypted or unparseable key fails the same way. Keys that " +
		"a live read or a snapshot left out are not compared. Fix it by putting the matching " +
		"key and certificate in the Secret together.",
	Severity:    check.High,
	References:  []string{refNIST52, refIngressDoc},
	Remediation: "Recreate the Secret from the certificate and the key it was issued for: kubectl create secret tls <name> --cert=... --key=....",
	Kinds:       []string{"Secret"},
	Reads:       certReads,
	Scope:       check.ScopeCluster,
	Run: func(p *check.Pass) {
		for _, sc := range servedCerts(p.Inv) {
			switch sc.cert.Key {
			case certs.KeyMismatch:
				p.Reportf(sc.secret, sc.keyPath, "tls.key of Secret %s, served by %s, does not belong to its certificate (%s)",
					sc.name(), sc.servedBy(), sc.cert.Describe())
			case certs.KeyUnreadable:
				p.Reportf(sc.secret, sc.keyPath, "Secret %s, served by %s: %s", sc.name(), sc.servedBy(), sc.cert.KeyNote)
			}
		}
	},
}

// CertWeakKey reports certificates with short keys.
var CertWeakKey = &check.Check{
	ID:    "ingress/cert-weak-key",
	Title: "Certificate key is too weak",
	Doc: "RSA keys under 2048 bits and elliptic curves under 256 bits give less than the " +
		"112 bits of security NIST has required since 2014, and public CAs no longer issue " +
		"them; a 1024-bit RSA key is within reach of well-funded attackers. DSA keys are not " +
		"accepted by TLS 1.3. Fix it by issuing a new certificate on an RSA 2048+ or ECDSA " +
		"P-256 key.",
	Severity:    check.High,
	References:  []string{refNIST57, refCABF, refCISAssets},
	Remediation: "Generate a new RSA 3072 (or ECDSA P-256) key and reissue the certificate (cert-manager: privateKey.algorithm/size).",
	Kinds:       []string{"Secret"},
	Reads:       certReads,
	Scope:       check.ScopeCluster,
	Run:         func(p *check.Pass) { reportChains(p, certs.WeakKey, "has a") },
}

// CertWeakSignature reports certificates signed with SHA-1 or MD5.
var CertWeakSignature = &check.Check{
	ID:    "ingress/cert-weak-signature",
	Title: "Certificate is signed with SHA-1 or MD5",
	Doc: "SHA-1 and MD5 collisions are practical (SHAttered, 2017; the rogue CA of 2008): a " +
		"signature over such a hash no longer proves who issued the certificate. Browsers " +
		"and Go reject SHA-1 server certificates, and public CAs stopped issuing them in 2016. " +
		"Fix it by reissuing the certificate with a SHA-256 (or stronger) signature.",
	Severity:    check.Medium,
	References:  []string{refCABF, refNIST52, refCISAssets},
	Remediation: "Reissue the certificate signed with SHA-256 or stronger.",
	Kinds:       []string{"Secret"},
	Reads:       certReads,
	Scope:       check.ScopeCluster,
	Run:         func(p *check.Pass) { reportChains(p, certs.WeakSignature, "is signed with") },
}

// reportChains reports each served certificate, leaf or intermediate, that weak finds fault
// with: "<certificate> <verb> <what weak said>".
func reportChains(p *check.Pass, weak func(*x509.Certificate) string, verb string) {
	for _, sc := range servedCerts(p.Inv) {
		if w := weak(sc.cert.Leaf); w != "" {
			p.Reportf(sc.secret, sc.crtPath, "certificate in Secret %s, served by %s, %s %s: %s", sc.name(), sc.servedBy(), verb, w, sc.cert.Describe())
		}
		for _, ic := range intermediates(sc.cert) {
			if w := weak(ic); w != "" {
				p.Reportf(sc.secret, sc.crtPath, "intermediate certificate %q in Secret %s %s %s", ic.Subject.String(), sc.name(), verb, w)
			}
		}
	}
}

// CertSelfSigned reports self-signed certificates served for public host names.
var CertSelfSigned = &check.Check{
	ID:    "ingress/cert-self-signed",
	Title: "Self-signed certificate for a public host",
	Doc: "Visitors' browsers and clients do not trust a self-signed certificate, so a public " +
		"host served with one either shows a warning that trains users to click through, or " +
		"requires every client to pin it. That is fine for internal names (.internal, .local, " +
		".svc, .test) and is not reported there. Fix it by using a certificate from a public " +
		"CA (cert-manager with Let's Encrypt is free).",
	Severity:    check.Info,
	References:  []string{refNIST52, refCISTransit},
	Remediation: "Serve a certificate issued by a public CA for public hosts (e.g. cert-manager with an ACME ClusterIssuer).",
	Kinds:       []string{"Ingress", "Gateway"},
	Reads:       certReads,
	Scope:       check.ScopeCluster,
	Run: func(p *check.Pass) {
		for _, sc := range servedCerts(p.Inv) {
			if !sc.cert.SelfSigned() {
				continue
			}
			for _, u := range sc.uses {
				var public []string
				for _, h := range u.Hosts {
					if certs.PublicHost(h.Host) {
						public = append(public, h.Host)
					}
				}
				if len(public) == 0 {
					continue
				}
				p.Reportf(u.Object, u.Path, "%s serves public host %s with the self-signed certificate in Secret %s: %s",
					u.where(), strings.Join(public, ", "), sc.name(), sc.cert.Describe())
			}
		}
	},
}
