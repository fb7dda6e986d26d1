// Package encryption reads the kube-apiserver's EncryptionConfiguration
// (apiserver.config.k8s.io/v1, the file --encryption-provider-config names) and answers what
// the API server would: which provider and key encrypt new writes of each resource, which
// providers can still read older data, what etcd values written by each of them start with,
// and what the API server would refuse to start with.
//
// The configuration holds key material; this package never keeps it. Decode reduces every
// key to its name, its size, whether it looks like text rather than random bytes, and which
// other keys share the same material; the secrets themselves are dropped before Decode
// returns, and no error or message it produces quotes them.
package encryption

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	"sigs.k8s.io/yaml"
)

// The kind and apiVersion of the file. The API server also reads the kind EncryptionConfig
// in apiVersion v1 (an old documentation mistake it keeps accepting).
const (
	APIVersion   = "apiserver.config.k8s.io/v1"
	Kind         = "EncryptionConfiguration"
	LegacyKind   = "EncryptionConfig"
	LegacyAPIVer = "v1"
)

// IsConfig reports whether apiVersion and kind name an encryption configuration the API
// server reads.
func IsConfig(apiVersion, kind string) bool {
	return (apiVersion == APIVersion && kind == Kind) || (apiVersion == LegacyAPIVer && kind == LegacyKind)
}

// Provider types, as the configuration spells them.
const (
	AESCBC    = "aescbc"
	AESGCM    = "aesgcm"
	Secretbox = "secretbox"
	KMS       = "kms"
	Identity  = "identity"
)

// Config is an EncryptionConfiguration without its key material.
type Config struct {
	// Rules are the entries of resources[], in file order.
	Rules []Rule `json:"rules"`
	// Problems are what the API server would refuse to start with. A Config whose file could
	// not be decoded has no rules and one problem.
	Problems []Problem `json:"problems,omitempty"`
}

// Rule is one entry of resources[]: resources and the providers that handle them, in order.
type Rule struct {
	Resources []string   `json:"resources"`
	Providers []Provider `json:"providers"`
}

// Provider is one entry of providers[].
type Provider struct {
	// Type is aescbc, aesgcm, secretbox, kms or identity; empty when the entry names none
	// (or more than one, which is also a Problem).
	Type string `json:"type"`
	// Name and APIVersion are a KMS provider's (the API version defaulted to v1 as the API
	// server does).
	Name       string `json:"name,omitempty"`
	APIVersion string `json:"apiVersion,omitempty"`
	// Keys are an aescbc, aesgcm or secretbox provider's keys; the first encrypts writes.
	Keys []Key `json:"keys,omitempty"`
}

// Key describes one key without its material.
type Key struct {
	Name string `json:"name"`
	// Size is the number of bytes the secret decodes to; -1 when it is not valid base64.
	Size int `json:"size"`
	// Text marks a key whose bytes are all printable text: a passphrase rather than random
	// bytes, with far less entropy than its size suggests.
	Text bool `json:"text,omitempty"`
	// Material numbers the distinct key materials of the configuration from 1: keys with
	// the same Material hold the same secret. 0 for a key without a secret.
	Material int `json:"material,omitempty"`
}

// Problem is something the API server refuses, at a field path of the file
// ("resources[0].providers[1].aescbc.keys[0].secret"; empty for the whole file).
type Problem struct {
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// Path of provider j of rule i, as field paths are written in findings.
func ProviderPath(i, j int) string { return fmt.Sprintf("resources[%d].providers[%d]", i, j) }

// KeyPath is the path of key k of provider j of rule i, whose type is typ.
func KeyPath(i, j int, typ string, k int) string {
	return fmt.Sprintf("%s.%s.keys[%d]", ProviderPath(i, j), typ, k)
}

var codecs = func() serializer.CodecFactory {
	s := runtime.NewScheme()
	if err := apiserverv1.AddToScheme(s); err != nil {
		panic(err) // a registration error is a programming error caught by any test
	}
	return serializer.NewCodecFactory(s, serializer.EnableStrict)
}()

// Decode reads an EncryptionConfiguration file (YAML or JSON) as the API server does: strictly
// (unknown and duplicate fields are errors), with its defaults, and validated by its rules.
// Input it cannot decode is not an error of Decode: it comes back as a Config with a single
// Problem, since the API server would refuse it the same way.
func Decode(data []byte) *Config {
	secrets := secretStrings(data)
	if len(bytes.TrimSpace(data)) == 0 {
		return &Config{Problems: []Problem{{Message: "the file is empty"}}}
	}
	obj, gvk, err := codecs.UniversalDeserializer().Decode(data, nil, nil)
	if err != nil {
		msg := scrub(err.Error(), secrets)
		if m := fieldError.FindStringSubmatch(msg); m != nil && strings.Count(msg, `field "`) == 1 {
			return &Config{Problems: []Problem{{Path: m[2], Message: m[1] + " field"}}}
		}
		return &Config{Problems: []Problem{{Message: "cannot be decoded: " + msg}}}
	}
	ec, ok := obj.(*apiserverv1.EncryptionConfiguration)
	if !ok {
		return &Config{Problems: []Problem{{Message: fmt.Sprintf("is a %s, not an %s", gvk.Kind, Kind)}}}
	}
	defaults(ec)
	c := reduce(ec)
	c.Problems = append(c.Problems, validate(ec)...)
	c.Problems = append(c.Problems, masked(c)...)
	wipe(ec)
	return c
}

// DecodeObject is Decode for an object already read into unstructured content (a manifest
// loaded with others).
func DecodeObject(content map[string]any) *Config {
	data, err := json.Marshal(content)
	if err != nil {
		return &Config{Problems: []Problem{{Message: "cannot be encoded: " + err.Error()}}}
	}
	c := Decode(data)
	clear(data)
	return c
}

// defaults applies the API server's defaults (a KMS provider's apiVersion v1, its timeout and
// cache size).
func defaults(ec *apiserverv1.EncryptionConfiguration) {
	for i := range ec.Resources {
		for j := range ec.Resources[i].Providers {
			if k := ec.Resources[i].Providers[j].KMS; k != nil {
				apiserverv1.SetDefaults_KMSConfiguration(k)
			}
		}
	}
}

// reduce keeps what can be said about ec without its key material.
func reduce(ec *apiserverv1.EncryptionConfiguration) *Config {
	c := &Config{Rules: make([]Rule, len(ec.Resources))}
	materials := map[string]int{}
	for i, rc := range ec.Resources {
		r := Rule{Resources: append([]string(nil), rc.Resources...), Providers: make([]Provider, len(rc.Providers))}
		for j, pc := range rc.Providers {
			var p Provider
			var keys []apiserverv1.Key
			switch {
			case count(pc) != 1:
			case pc.AESCBC != nil:
				p.Type, keys = AESCBC, pc.AESCBC.Keys
			case pc.AESGCM != nil:
				p.Type, keys = AESGCM, pc.AESGCM.Keys
			case pc.Secretbox != nil:
				p.Type, keys = Secretbox, pc.Secretbox.Keys
			case pc.KMS != nil:
				p.Type, p.Name, p.APIVersion = KMS, pc.KMS.Name, pc.KMS.APIVersion
			case pc.Identity != nil:
				p.Type = Identity
			}
			for _, k := range keys {
				p.Keys = append(p.Keys, describeKey(k, materials))
			}
			r.Providers[j] = p
		}
		c.Rules[i] = r
	}
	return c
}

func describeKey(k apiserverv1.Key, materials map[string]int) Key {
	out := Key{Name: k.Name, Size: -1}
	if k.Secret == "" {
		out.Size = 0
		return out
	}
	raw, err := base64.StdEncoding.DecodeString(k.Secret)
	material := k.Secret
	if err == nil {
		out.Size = len(raw)
		out.Text = len(raw) > 0 && printable(raw)
		material = string(raw)
		clear(raw)
	}
	n, ok := materials[material]
	if !ok {
		n = len(materials) + 1
		materials[material] = n
	}
	out.Material = n
	return out
}

// printable reports whether b is all printable ASCII: what a typed passphrase decodes to.
// Random bytes are printable with probability (95/256)^n, under one in 10^6 for 16 bytes.
func printable(b []byte) bool {
	for _, c := range b {
		if c >= unicode.MaxASCII || !unicode.IsPrint(rune(c)) {
			return false
		}
	}
	return true
}

func count(pc apiserverv1.ProviderConfiguration) int {
	n := 0
	for _, set := range []bool{pc.AESCBC != nil, pc.AESGCM != nil, pc.Secretbox != nil, pc.KMS != nil, pc.Identity != nil} {
		if set {
			n++
		}
	}
	return n
}

// wipe overwrites what it can of the decoded secrets. Go strings are immutable, so this only
// drops the references; it keeps the decoded configuration from outliving Decode.
func wipe(ec *apiserverv1.EncryptionConfiguration) {
	for i := range ec.Resources {
		for j := range ec.Resources[i].Providers {
			pc := &ec.Resources[i].Providers[j]
			for _, ks := range [][]apiserverv1.Key{aesKeys(pc.AESCBC), aesKeys(pc.AESGCM), boxKeys(pc.Secretbox)} {
				for k := range ks {
					ks[k].Secret = ""
				}
			}
		}
	}
}

func aesKeys(c *apiserverv1.AESConfiguration) []apiserverv1.Key {
	if c == nil {
		return nil
	}
	return c.Keys
}

func boxKeys(c *apiserverv1.SecretboxConfiguration) []apiserverv1.Key {
	if c == nil {
		return nil
	}
	return c.Keys
}

// secretStrings finds every value of a "secret" field in data, leniently, so that an error
// message quoting part of the file can be scrubbed of them.
func secretStrings(data []byte) []string {
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, v := range x {
				if s, ok := v.(string); ok && strings.EqualFold(k, "secret") && s != "" {
					out = append(out, s)
				}
				walk(v)
			}
		case []any:
			for _, v := range x {
				walk(v)
			}
		}
	}
	walk(doc)
	// Longest first, so that a secret containing another is replaced whole.
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// fieldError finds the field a strict decoding error names.
var fieldError = regexp.MustCompile(`(unknown|duplicate) field "([^"]+)"`)

// longToken is a run of 16 or more base64 characters with a digit or a + or /: what a key
// quoted by a decoder error looks like, and what words of a message do not.
var longToken = regexp.MustCompile(`[A-Za-z0-9+/=_-]{16,}`)

// scrub replaces every secret in msg, and every long token that could be part of one (which
// a decoder error might quote from a key the lenient parse missed).
func scrub(msg string, secrets []string) string {
	for _, s := range secrets {
		msg = strings.ReplaceAll(msg, s, "<redacted>")
	}
	return longToken.ReplaceAllStringFunc(msg, func(t string) string {
		if strings.ContainsAny(t, "0123456789+/") {
			return "<redacted>"
		}
		return t
	})
}
