package encryption

import (
	"bytes"
	"encoding/base64"
)

// Redact replaces, in place, every key of an EncryptionConfiguration's unstructured content
// with a stand-in that says the same to Decode — the same size, the same "text or random
// bytes", the same sharing of material between keys, the same validity — and nothing of the
// key. Snapshots and other copies of a configuration that leave the node use it.
func Redact(content map[string]any) {
	materials := map[string]int{}
	for _, rule := range list(content["resources"]) {
		r, _ := rule.(map[string]any)
		for _, prov := range list(r["providers"]) {
			p, _ := prov.(map[string]any)
			for _, typ := range []string{AESCBC, AESGCM, Secretbox} {
				cfg, _ := p[typ].(map[string]any)
				for _, k := range list(cfg["keys"]) {
					key, _ := k.(map[string]any)
					if s, ok := key["secret"].(string); ok && s != "" {
						key["secret"] = standIn(s, materials)
					}
				}
			}
		}
	}
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

// standIn returns the stand-in of secret s: the n-th distinct material becomes a pattern
// that spells n (in letters for a text key, in bytes above 0x7f otherwise; 676 and 16,129
// distinct patterns), repeated to the same length.
func standIn(s string, materials map[string]int) string {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "<redacted: not base64>"
	}
	defer clear(raw)
	n, ok := materials[string(raw)]
	if !ok {
		n = len(materials)
		materials[string(raw)] = n
	}
	pattern := []byte{byte(0x80 + n%0x7f), byte(0x80 + n/0x7f%0x7f)}
	if printable(raw) {
		pattern = []byte{byte('a' + n%26), byte('a' + n/26%26)}
	}
	out := bytes.Repeat(pattern, len(raw)/2+1)[:len(raw)]
	return base64.StdEncoding.EncodeToString(out)
}
