// Package certstest generates real X.509 certificates and keys for tests: valid, expired,
// not yet valid, with chosen SANs, weak keys, SHA-1 signatures, self-signed, or signed by a
// test CA. Dates are given by the caller, so tests that judge at a fixed time stay correct
// as the calendar moves on.
package certstest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"
)

// Key types for Spec.Key.
const (
	ECDSA   = "ecdsa-p256" // the default
	P224    = "ecdsa-p224"
	RSA1024 = "rsa-1024"
	RSA2048 = "rsa-2048"
)

// Spec describes a certificate to make.
type Spec struct {
	CommonName          string
	DNSNames            []string
	NotBefore, NotAfter time.Time
	Key                 string // ECDSA when empty
	// SHA1 signs with SHA-1 (ECDSAWithSHA1 or SHA1WithRSA, after the issuer's key).
	SHA1 bool
	// CA makes a certificate authority that can sign others.
	CA bool
}

// Pair is a certificate with its private key.
type Pair struct {
	Cert    *x509.Certificate
	CertPEM []byte
	KeyPEM  []byte
	Key     crypto.Signer
}

// New makes a certificate for spec, signed by issuer, or self-signed when issuer is nil.
func New(spec Spec, issuer *Pair) (*Pair, error) {
	key, err := newKey(spec.Key)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	tpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: spec.CommonName, Organization: []string{"kubeharden test"}},
		DNSNames:     spec.DNSNames,
		NotBefore:    spec.NotBefore,
		NotAfter:     spec.NotAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if spec.CA {
		tpl.IsCA, tpl.BasicConstraintsValid = true, true
		tpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign
		tpl.ExtKeyUsage = nil
	}
	parent, signer := tpl, key
	if issuer != nil {
		parent, signer = issuer.Cert, issuer.Key
	}
	if spec.SHA1 {
		switch signer.Public().(type) {
		case *rsa.PublicKey:
			tpl.SignatureAlgorithm = x509.SHA1WithRSA
		default:
			tpl.SignatureAlgorithm = x509.ECDSAWithSHA1
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, parent, key.Public(), signer)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &Pair{
		Cert:    cert,
		CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		KeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}),
		Key:     key,
	}, nil
}

func newKey(kind string) (crypto.Signer, error) {
	switch kind {
	case "", ECDSA:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case P224:
		return ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	case RSA1024:
		return rsa.GenerateKey(rand.Reader, 1024)
	case RSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	}
	return nil, fmt.Errorf("certstest: unknown key type %q", kind)
}

// Chain returns the PEM of p followed by the certificates of the chain, as tls.crt holds it.
func (p *Pair) Chain(chain ...*Pair) []byte {
	out := append([]byte(nil), p.CertPEM...)
	for _, c := range chain {
		out = append(out, c.CertPEM...)
	}
	return out
}
