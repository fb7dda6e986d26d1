package secrets

import (
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/encryption"
)

// keyRef is one key of a configuration, with where it is.
type keyRef struct {
	rule, prov, key int
	typ             string
	k               *encryption.Key
}

func (r keyRef) path() string { return encryption.KeyPath(r.rule, r.prov, r.typ, r.key) }

func keysOf(c config) []keyRef {
	var out []keyRef
	for i := range c.Rules {
		for j := range c.Rules[i].Providers {
			pr := &c.Rules[i].Providers[j]
			for k := range pr.Keys {
				out = append(out, keyRef{i, j, k, pr.Type, &pr.Keys[k]})
			}
		}
	}
	return out
}

// EncryptionWeakKey reports keys shorter than 32 bytes or made of text.
var EncryptionWeakKey = &check.Check{
	ID:    "secrets/encryption-weak-key",
	Title: "Encryption key is shorter than 32 bytes or is a passphrase",
	Doc: "The API server accepts 16-, 24- and 32-byte AES keys; the Kubernetes documentation " +
		"asks for 32 random bytes (head -c 32 /dev/urandom | base64). A key whose bytes are all " +
		"printable text is a passphrase (often copied from an example) with far less entropy " +
		"than its length. Generate a new random 32-byte key, put it first, restart the API " +
		"servers, rewrite every object, then remove the old key.",
	Severity:    check.Low,
	References:  []string{refCISProviders, refEncryptDocs},
	Remediation: "Replace the key with 32 random bytes (head -c 32 /dev/urandom | base64), then rotate: new key first, restart, rewrite every object, drop the old key.",
	Kinds:       []string{encryption.Kind, encryption.LegacyKind},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		for _, c := range configs(p) {
			for _, r := range keysOf(c) {
				valid := r.k.Size == 32 || (r.typ != encryption.Secretbox && (r.k.Size == 16 || r.k.Size == 24))
				if !valid {
					continue // the API server refuses it: secrets/encryption-config-invalid
				}
				switch {
				case r.k.Text:
					p.Reportf(c.obj, r.path()+".secret", "%s key %q is printable text, a passphrase rather than random bytes", r.typ, r.k.Name)
				case r.k.Size < 32:
					p.Reportf(c.obj, r.path()+".secret", "%s key %q is %d bytes (AES-%d); use 32 random bytes", r.typ, r.k.Name, r.k.Size, r.k.Size*8)
				}
			}
		}
	},
}

// EncryptionKeyReused reports the same key material used by different providers or under
// different names.
var EncryptionKeyReused = &check.Check{
	ID:    "secrets/encryption-key-reused",
	Title: "Encryption key reused across providers or names",
	Doc: "The same key material used by two providers (aescbc and aesgcm, or secretbox) is used " +
		"by two algorithms, which neither was analysed for; under two key names it defeats " +
		"rotation (removing one name leaves the material in use) and makes the prefix in etcd " +
		"lie about which key encrypted a value. Listing the same key (same provider, same " +
		"name) in several rules is fine and not reported. Give each provider and name its own " +
		"random key.",
	Severity:    check.Medium,
	References:  []string{refCISProviders, refEncryptDocs},
	Remediation: "Generate a separate random 32-byte key for each provider and key name.",
	Kinds:       []string{encryption.Kind, encryption.LegacyKind},
	Scope:       check.ScopeCluster,
	Run: func(p *check.Pass) {
		for _, c := range configs(p) {
			first := map[int]keyRef{}
			for _, r := range keysOf(c) {
				if r.k.Material == 0 {
					continue
				}
				f, seen := first[r.k.Material]
				if !seen {
					first[r.k.Material] = r
					continue
				}
				if f.typ == r.typ && f.k.Name == r.k.Name {
					continue
				}
				how := "under another name"
				if f.typ != r.typ {
					how = "by another provider"
				}
				p.Reportf(c.obj, r.path()+".secret", "%s key %q holds the same secret as %s key %q at %s: the key is reused %s",
					r.typ, r.k.Name, f.typ, f.k.Name, f.path(), how)
			}
		}
	},
}

// EncryptionConfigInvalid reports what the API server refuses in a configuration.
var EncryptionConfigInvalid = &check.Check{
	ID:    "secrets/encryption-config-invalid",
	Title: "API server refuses the encryption configuration",
	Doc: "The API server validates the EncryptionConfiguration when it starts (and when it " +
		"reloads it) and refuses to run with an invalid one: unknown fields, keys that are not " +
		"base64 or not 16, 24 or 32 bytes (32 for secretbox), a rule masked by an earlier " +
		"wildcard, overlapping resources, KMS v1 without its feature gate. A file changed on " +
		"disk is read at the next restart, so an invalid file is an outage waiting for a " +
		"reboot. The finding names the field; no key is quoted.",
	Severity:    check.High,
	References:  []string{refCISProviders, refEncryptDocs},
	Remediation: "Fix the field the finding names; the API server's own message is the same.",
	Kinds:       []string{encryption.Kind, encryption.LegacyKind},
	Reads:       []string{"Pod"},
	Scope:       check.ScopeCluster,
	Run: func(p *check.Pass) {
		cs := configs(p)
		if len(cs) == 0 {
			return // without reading every Pod for the API server's flags
		}
		allowed := kmsV1Allowed(p)
		for _, c := range cs {
			for _, pr := range c.Problems {
				p.Reportf(c.obj, pr.Path, "the API server refuses this configuration: %s", pr.String())
			}
			if allowed != "no" {
				continue
			}
			for i := range c.Rules {
				for j, prov := range c.Rules[i].Providers {
					if prov.Type == encryption.KMS && prov.APIVersion == "v1" {
						p.Reportf(c.obj, encryption.ProviderPath(i, j)+".kms",
							"the API server refuses this configuration: KMS v1 provider %q needs --feature-gates=KMSv1=true, which the kube-apiserver does not set", prov.Name)
					}
				}
			}
		}
	},
}
