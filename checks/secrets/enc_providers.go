package secrets

import (
	"fmt"
	"sync"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/encryption"
)

// eachWriter calls f for every rule of every configuration whose first provider is of type
// typ and encrypts some writes.
func eachWriter(p *check.Pass, typ string, f func(c config, i int, path string, prov *encryption.Provider, writes []string)) {
	for _, c := range configs(p) {
		for i := range c.Rules {
			if path, prov, writes, ok := c.firstProvider(i); ok && prov.Type == typ {
				f(c, i, path, prov, writes)
			}
		}
	}
}

// EncryptionIdentityFirst reports rules whose first provider is identity.
var EncryptionIdentityFirst = &check.Check{
	ID:    "secrets/encryption-identity-first",
	Title: "Encryption configuration writes without encrypting (identity first)",
	Doc: "The API server encrypts every write with the first provider of the rule that covers " +
		"the resource; the others only decrypt what is already stored. With identity first, " +
		"every new or updated object is stored as it is — a configuration that lists aescbc or " +
		"KMS second looks like encryption but writes plaintext (other scanners that only look " +
		"for an encrypting provider pass it). The finding is critical for the rule that writes " +
		"Secrets and low for other resources. Move the encrypting provider first, keep identity " +
		"last to read old data, restart the API servers, then rewrite the existing objects.",
	Severity:    check.Critical,
	References:  []string{refCISProviders, refNSA, refEncryptDocs},
	Remediation: "Put the encrypting provider (kms with apiVersion v2, or aesgcm/aescbc) first and identity last; then rewrite existing Secrets: kubectl get secrets -A -o json | kubectl replace -f -",
	Kinds:       []string{encryption.Kind, encryption.LegacyKind},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		eachWriter(p, encryption.Identity, func(c config, i int, path string, _ *encryption.Provider, writes []string) {
			if c.WritesSecrets(i) {
				p.Reportf(c.obj, path, "resources[%d] stores %s without encryption: its first provider is identity%s, so every write of a Secret lands in etcd in plaintext",
					i, writesDesc(writes), c.secretsNote(i))
				return
			}
			p.Report(check.Diagnostic{Object: c.obj, Path: path, Severity: check.Low,
				Message: fmt.Sprintf("resources[%d] stores %s without encryption: its first provider is identity", i, writesDesc(writes))})
		})
	},
}

// EncryptionAESCBC reports rules that encrypt writes with aescbc.
var EncryptionAESCBC = &check.Check{
	ID:    "secrets/encryption-aescbc",
	Title: "Encryption at rest uses aescbc",
	Doc: "aescbc is AES in CBC mode with PKCS#7 padding and no authentication: it is open to " +
		"padding-oracle attacks, and the Kubernetes documentation no longer recommends it. Its " +
		"key also sits in a file on every control-plane node, next to the data it protects. " +
		"Prefer a kms provider with apiVersion v2 (the key stays in an external KMS and data " +
		"keys rotate on their own); failing that, aesgcm with a key rotated regularly.",
	Severity:    check.Medium,
	References:  []string{refCISProviders, refNSA, refEncryptDocs},
	Remediation: "Move to a kms provider with apiVersion v2 (or aesgcm with regular key rotation) first, keep aescbc after it to read existing data, and rewrite the objects.",
	Kinds:       []string{encryption.Kind, encryption.LegacyKind},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		eachWriter(p, encryption.AESCBC, func(c config, i int, path string, prov *encryption.Provider, writes []string) {
			p.Reportf(c.obj, path, "resources[%d] encrypts %s with aescbc (key %q), which is unauthenticated CBC and open to padding-oracle attacks",
				i, writesDesc(writes), firstKey(prov))
		})
	},
}

// EncryptionStaticKey reports rules that encrypt writes with aesgcm or secretbox.
var EncryptionStaticKey = &check.Check{
	ID:    "secrets/encryption-static-key",
	Title: "Encryption at rest uses a static key that must be rotated by hand",
	Doc: "aesgcm and secretbox encrypt with a key written in the configuration file on every " +
		"control-plane node: whoever reads the node's disk or a backup of it reads the key with " +
		"the data, and nothing rotates it. aesgcm draws a random nonce for every write, so the " +
		"Kubernetes documentation asks to rotate its key every 200,000 writes. Prefer a kms " +
		"provider with apiVersion v2; otherwise rotate: add a new key first, restart the API " +
		"servers, rewrite all objects, then remove the old key.",
	Severity:    check.Low,
	References:  []string{refCISProviders, refNSA, refEncryptDocs},
	Remediation: "Use a kms provider with apiVersion v2, or rotate the key regularly (new key first, restart, rewrite every object, drop the old key).",
	Kinds:       []string{encryption.Kind, encryption.LegacyKind},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		for _, typ := range []string{encryption.AESGCM, encryption.Secretbox} {
			eachWriter(p, typ, func(c config, i int, path string, prov *encryption.Provider, writes []string) {
				advice := "rotate it regularly"
				if typ == encryption.AESGCM {
					advice = "rotate it at least every 200,000 writes (random nonces)"
				}
				p.Reportf(c.obj, path, "resources[%d] encrypts %s with %s and the static key %q kept on the control-plane nodes: %s, or move to kms v2",
					i, writesDesc(writes), typ, firstKey(prov), advice)
			})
		}
	},
}

// EncryptionKMSv1 reports rules that encrypt writes with KMS v1.
var EncryptionKMSv1 = &check.Check{
	ID:    "secrets/encryption-kms-v1",
	Title: "Encryption at rest uses the deprecated KMS v1",
	Doc: "KMS v1 is deprecated since Kubernetes 1.28 and off by default since 1.29: the API server " +
		"refuses the configuration unless --feature-gates=KMSv1=true. It calls the KMS plugin " +
		"for every data key, caches keys in memory, and cannot rotate without rewriting " +
		"everything. Migrate to apiVersion v2 with the same plugin (most plugins serve both): " +
		"add the v2 provider first, restart, rewrite the objects, then drop v1.",
	Severity:    check.Medium,
	References:  []string{refCISProviders, refEncryptDocs},
	Remediation: "Add a kms provider with apiVersion: v2 first (a new name), keep the v1 provider after it until every object is rewritten, then remove it.",
	Kinds:       []string{encryption.Kind, encryption.LegacyKind},
	Reads:       []string{"Pod"},
	Scope:       check.ScopeCluster,
	Run: func(p *check.Pass) {
		// Read only for a KMS v1 provider: it walks every Pod for the API server's flags.
		allowed := sync.OnceValue(func() string { return kmsV1Allowed(p) })
		eachWriter(p, encryption.KMS, func(c config, i int, path string, prov *encryption.Provider, writes []string) {
			if prov.APIVersion != "v1" {
				return
			}
			msg := fmt.Sprintf("resources[%d] encrypts %s with KMS v1 provider %q, deprecated", i, writesDesc(writes), prov.Name)
			if allowed() == "" {
				// With the flags known, secrets/encryption-config-invalid says whether the
				// API server refuses it.
				msg += " and refused by API servers from 1.29 unless --feature-gates=KMSv1=true"
			}
			p.Reportf(c.obj, path+".apiVersion", "%s", msg)
		})
	},
}

func firstKey(p *encryption.Provider) string {
	if len(p.Keys) == 0 {
		return ""
	}
	return p.Keys[0].Name
}
