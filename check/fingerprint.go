package check

import (
	"crypto/sha256"
	"encoding/hex"
)

// Fingerprint identifies a finding across scans, so that two reports can be compared (what is
// new, fixed, unchanged): a hash of the check ID, the object's kind, namespace and name, the
// field path and the message. The object's apiVersion is left out (moving a manifest to a
// newer API is not a new problem), and so are file and line (an edit elsewhere in a file moves
// every line below it). The message is taken as it is, not normalised: a finding whose message
// carries a changing number or date gets a new fingerprint when that changes.
func Fingerprint(f Finding) string {
	h := sha256.New()
	for _, s := range [...]string{f.Check, f.Object.Kind, f.Object.Namespace, f.Object.Name, f.Path, f.Message} {
		h.Write([]byte(s))
		h.Write([]byte{0}) // separates the parts, so "a"+"bc" differs from "ab"+"c"
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}
