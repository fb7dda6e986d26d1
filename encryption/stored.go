package encryption

import (
	"bytes"
	"strings"
)

// EncPrefix starts every value an encrypting provider writes to etcd.
const EncPrefix = "k8s:enc:"

// MaxPrefix is the most bytes of a stored value that ParseStored and Config.Match read:
// enough for "k8s:enc:", the provider, its version and a key or KMS provider name of up to
// 200 bytes.
const MaxPrefix = 256

// Prefix is what the API server writes in front of a value that provider p encrypts with
// key (an aescbc, aesgcm or secretbox key name; ignored for KMS, whose prefix names the
// provider): "k8s:enc:aescbc:v1:key1:", "k8s:enc:kms:v2:vault:". It is "" for identity,
// which stores values as they are.
func (p *Provider) Prefix(key string) string {
	switch p.Type {
	case AESCBC, AESGCM, Secretbox:
		return EncPrefix + p.Type + ":v1:" + key + ":"
	case KMS:
		v := p.APIVersion
		if v == "" {
			v = "v1"
		}
		return EncPrefix + "kms:" + v + ":" + p.Name + ":"
	}
	return ""
}

// WritePrefix is the prefix of values p writes: with its first key for the key-based
// providers.
func (p *Provider) WritePrefix() string {
	if len(p.Keys) > 0 {
		return p.Prefix(p.Keys[0].Name)
	}
	return p.Prefix("")
}

// Stored is what the start of a value in etcd says about how it was written.
type Stored struct {
	// Encrypted is false for a value stored as it is (by identity, or before encryption).
	Encrypted bool `json:"encrypted"`
	// Provider ("aescbc", "aesgcm", "secretbox", "kms" or another name a newer API server
	// writes), Version ("v1", "v2") and Key (the key name, or the KMS provider's name).
	Provider string `json:"provider,omitempty"`
	Version  string `json:"version,omitempty"`
	Key      string `json:"key,omitempty"`
}

// Prefix is the prefix the value starts with ("" for a value stored as it is).
func (s Stored) Prefix() string {
	if !s.Encrypted {
		return ""
	}
	return EncPrefix + s.Provider + ":" + s.Version + ":" + s.Key + ":"
}

// String is "aescbc key1", "kms v2 vault" or "plaintext".
func (s Stored) String() string {
	switch {
	case !s.Encrypted:
		return "plaintext"
	case s.Provider == KMS:
		return "kms " + s.Version + " " + s.Key
	}
	return s.Provider + " " + s.Key
}

// ParseStored reads the first MaxPrefix bytes of a stored value, and nothing after them. A
// key name may itself contain ':' (the API server allows it for aescbc, aesgcm and
// secretbox keys); without the configuration the name is read up to the first ':', and
// Config.Match resolves such names exactly.
func ParseStored(value []byte) Stored {
	head := value[:min(len(value), MaxPrefix)]
	rest, ok := bytes.CutPrefix(head, []byte(EncPrefix))
	if !ok {
		return Stored{}
	}
	parts := strings.SplitN(string(rest), ":", 4)
	if len(parts) < 4 {
		// "k8s:enc:" without a complete prefix: nothing the API server writes. It cannot
		// read it either; report what can be read.
		s := Stored{Encrypted: true}
		if len(parts) > 0 {
			s.Provider = parts[0]
		}
		if len(parts) > 1 {
			s.Version = parts[1]
		}
		return s
	}
	return Stored{Encrypted: true, Provider: parts[0], Version: parts[1], Key: parts[2]}
}

// Match reads a stored value's prefix against the configuration's providers and keys, so
// that key names containing ':' are read whole. It returns the provider and key index that
// can decrypt the value (ok false when none can: the value was written with a key the
// configuration no longer has, or is plaintext, which identity reads).
func (c *Config) Match(gr GroupResource, value []byte) (s Stored, ref ProviderRef, key int, ok bool) {
	head := value[:min(len(value), MaxPrefix)]
	s = ParseStored(head)
	for _, r := range c.Providers(gr) {
		p := c.Provider(r)
		if !s.Encrypted {
			if p.Type == Identity {
				return s, r, -1, true
			}
			continue
		}
		if len(p.Keys) == 0 {
			if pre := p.Prefix(""); pre != "" && bytes.HasPrefix(head, []byte(pre)) {
				return s, r, -1, true
			}
			continue
		}
		for k, key := range p.Keys {
			if pre := p.Prefix(key.Name); bytes.HasPrefix(head, []byte(pre)) {
				s.Key = key.Name
				return s, r, k, true
			}
		}
	}
	return s, ProviderRef{}, -1, false
}
