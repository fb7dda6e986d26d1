// Package certs reads the X.509 certificate of a TLS Secret and answers what the ingress
// checks ask of it: is it valid now, which host names it covers, does the private key belong
// to it, is its key or signature weak, is it self-signed.
//
// It describes certificates by their public parts only (subject, SANs, issuer, dates). A
// private key is parsed to compare its public half with the certificate and is never
// returned, printed or put into an error.
package certs

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// KeyStatus says whether tls.key belongs to the certificate.
type KeyStatus int

const (
	// KeyUnknown: no key to compare (absent, or emptied by a live read or a snapshot).
	KeyUnknown KeyStatus = iota
	// KeyMatch: the key's public half is the certificate's public key.
	KeyMatch
	// KeyMismatch: the key belongs to another certificate.
	KeyMismatch
	// KeyUnreadable: tls.key holds no private key that can be parsed (encrypted PEM,
	// garbage, a certificate pasted twice); controllers reject the Secret.
	KeyUnreadable
)

// Cert is the certificate of a TLS Secret: the leaf (first PEM block of tls.crt) and the rest
// of the chain as the Secret carries it.
type Cert struct {
	Leaf  *x509.Certificate
	Chain []*x509.Certificate // intermediates after the leaf, in file order
	Key   KeyStatus
	// KeyNote explains KeyUnreadable without quoting the key ("PKCS#8: ...").
	KeyNote string
}

// Field names in a kubernetes.io/tls Secret.
const (
	CertKey = corev1.TLSCertKey       // "tls.crt"
	KeyKey  = corev1.TLSPrivateKeyKey // "tls.key"
)

// ErrNoCert means the Secret has no tls.crt value: it is not a TLS Secret, or its values
// were not read.
var ErrNoCert = errors.New("no tls.crt")

// SecretValue returns a value of s the way the API server stores it: stringData overrides
// data. field is the path of the value ("data.tls.crt" or "stringData.tls.crt").
func SecretValue(s *corev1.Secret, key string) (value []byte, field string, ok bool) {
	if v, ok := s.StringData[key]; ok {
		return []byte(v), "stringData." + key, true
	}
	if v, ok := s.Data[key]; ok {
		return v, "data." + key, true
	}
	return nil, "", false
}

// FromSecret reads the certificate and checks the key of a TLS Secret. It returns ErrNoCert
// when tls.crt is absent or empty, and an error naming the problem when tls.crt holds no
// certificate that can be parsed.
func FromSecret(s *corev1.Secret) (*Cert, error) {
	crt, _, ok := SecretValue(s, CertKey)
	if !ok || len(bytes.TrimSpace(crt)) == 0 {
		return nil, ErrNoCert
	}
	key, _, _ := SecretValue(s, KeyKey)
	return Parse(crt, key)
}

// Parse reads a PEM certificate chain and, when key is not empty, checks that the PEM private
// key belongs to the leaf.
func Parse(certPEM, keyPEM []byte) (*Cert, error) {
	var certs []*x509.Certificate
	rest := certPEM
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("tls.crt: certificate %d cannot be parsed: %v", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("tls.crt holds no PEM CERTIFICATE block")
	}
	c := &Cert{Leaf: certs[0], Chain: certs[1:]}
	if len(bytes.TrimSpace(keyPEM)) > 0 {
		c.Key, c.KeyNote = matchKey(c.Leaf, keyPEM)
	}
	return c, nil
}

// matchKey compares the public half of the private key in keyPEM with the leaf's public key.
// Parse errors are summarised by the key format only: their text never quotes key bytes, but
// they are not passed on verbatim either.
func matchKey(leaf *x509.Certificate, keyPEM []byte) (KeyStatus, string) {
	rest := keyPEM
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return KeyUnreadable, "tls.key holds no PEM private key block"
		}
		if !strings.HasSuffix(b.Type, "PRIVATE KEY") {
			continue
		}
		if _, encrypted := b.Headers["DEK-Info"]; encrypted || b.Type == "ENCRYPTED PRIVATE KEY" {
			return KeyUnreadable, "tls.key is encrypted; ingress controllers need an unencrypted key"
		}
		pub, err := publicOf(b)
		if err != nil {
			return KeyUnreadable, "tls.key: the " + b.Type + " block cannot be parsed"
		}
		eq, ok := pub.(interface{ Equal(crypto.PublicKey) bool })
		if ok && eq.Equal(leaf.PublicKey) {
			return KeyMatch, ""
		}
		return KeyMismatch, ""
	}
}

func publicOf(b *pem.Block) (crypto.PublicKey, error) {
	var (
		k   any
		err error
	)
	switch b.Type {
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(b.Bytes)
	default:
		k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
	}
	if err != nil {
		return nil, err
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, errors.New("not a signing key")
	}
	return s.Public(), nil
}

// SANs are the leaf's DNS names and IP addresses.
func (c *Cert) SANs() []string {
	out := append([]string(nil), c.Leaf.DNSNames...)
	for _, ip := range c.Leaf.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}

// Covers reports whether the leaf's SANs cover host, as TLS clients check it (RFC 6125):
// the common name is ignored, and a wildcard stands for exactly one left-most label. host may
// itself be a wildcard ("*.example.com", allowed in Ingress and Gateway hosts); it is covered
// when every name it matches is.
func (c *Cert) Covers(host string) bool {
	if ip := net.ParseIP(host); ip != nil {
		for _, a := range c.Leaf.IPAddresses {
			if a.Equal(ip) {
				return true
			}
		}
		return false
	}
	for _, n := range c.Leaf.DNSNames {
		if MatchHost(n, host) {
			return true
		}
	}
	return false
}

// MatchHost reports whether pattern (a TLS host or SAN: "shop.example.com" or
// "*.example.com") covers host. A wildcard covers exactly one label: "*.example.com" covers
// "a.example.com" but neither "example.com" nor "a.b.example.com". A wildcard host is covered
// by the same wildcard only. Comparison ignores case and a trailing dot.
func MatchHost(pattern, host string) bool {
	pattern, host = normalize(pattern), normalize(host)
	if pattern == "" || host == "" {
		return false
	}
	if pattern == host {
		return true
	}
	suffix, ok := strings.CutPrefix(pattern, "*.")
	if !ok || suffix == "" || strings.HasPrefix(host, "*.") {
		return false
	}
	label, rest, ok := strings.Cut(host, ".")
	return ok && label != "" && rest == suffix
}

func normalize(h string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
}

// SelfSigned reports whether the leaf is signed by its own key: its issuer is its subject and
// its signature verifies with its own public key (or uses an algorithm too weak for Go to
// verify, which a certificate that names itself as issuer cannot otherwise justify).
func (c *Cert) SelfSigned() bool {
	l := c.Leaf
	if !bytes.Equal(l.RawIssuer, l.RawSubject) {
		return false
	}
	err := l.CheckSignature(l.SignatureAlgorithm, l.RawTBSCertificate, l.Signature)
	var weak x509.InsecureAlgorithmError
	return err == nil || errors.As(err, &weak)
}

// WeakKey describes why a certificate's public key is too weak, or returns "". RSA below
// 2048 bits and elliptic curves below 256 bits fall short of NIST SP 800-57 (112-bit
// security); DSA is no longer accepted by TLS 1.3 or browsers.
func WeakKey(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < 2048 {
			return fmt.Sprintf("RSA %d-bit key (minimum 2048)", n)
		}
	case *ecdsa.PublicKey:
		if n := k.Curve.Params().BitSize; n < 256 {
			return fmt.Sprintf("ECDSA %s key (minimum P-256)", k.Curve.Params().Name)
		}
	case ed25519.PublicKey:
	default:
		if c.PublicKeyAlgorithm == x509.DSA {
			return "DSA key (not accepted by TLS 1.3 clients)"
		}
	}
	return ""
}

// KeyDescription names the certificate's key type and size ("RSA 2048", "ECDSA P-256").
func KeyDescription(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return c.PublicKeyAlgorithm.String()
}

// WeakSignature names the signature algorithm when it relies on a broken hash (SHA-1, MD5,
// MD2), or returns "". Browsers and Go reject SHA-1 signatures on server certificates.
func WeakSignature(c *x509.Certificate) string {
	switch c.SignatureAlgorithm {
	case x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1, x509.MD5WithRSA, x509.MD2WithRSA:
		return c.SignatureAlgorithm.String()
	}
	return ""
}

// Describe summarises the leaf for messages: subject, SANs, issuer and validity. It holds
// nothing secret.
func (c *Cert) Describe() string {
	l := c.Leaf
	sans := c.SANs()
	san := "no SANs"
	if len(sans) > 0 {
		san = "SANs " + strings.Join(limit(sans, 5), ", ")
	}
	return fmt.Sprintf("subject %q, %s, issuer %q, valid %s to %s",
		l.Subject.String(), san, l.Issuer.String(), l.NotBefore.UTC().Format(time.DateOnly), l.NotAfter.UTC().Format(time.DateOnly))
}

// limit keeps the first n items, noting how many more there were.
func limit(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	return append(append([]string(nil), s[:n]...), fmt.Sprintf("and %d more", len(s)-n))
}

// PublicHost reports whether host is a name on the public internet, for which a self-signed
// certificate cannot be trusted by visitors: it has a dot, is not an IP literal, and does not
// end in a suffix reserved for private or special use (RFC 6761, RFC 8375, .internal, and the
// cluster's own .svc and .cluster.local).
func PublicHost(host string) bool {
	h := strings.TrimPrefix(normalize(host), "*.")
	if h == "" || !strings.Contains(h, ".") || net.ParseIP(h) != nil {
		return false
	}
	for _, s := range privateSuffixes {
		if h == s || strings.HasSuffix(h, "."+s) {
			return false
		}
	}
	return true
}

var privateSuffixes = []string{
	"local", "localhost", "internal", "intranet", "lan", "home", "corp", "private",
	"test", "invalid", "example", "home.arpa", "svc", "cluster.local", "localdomain",
}
