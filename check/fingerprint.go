package check

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// Fingerprint identifies a finding across scans, so that a later scan can tell findings that
// are new from those a baseline already had (scan --baseline) and reports can be compared.
// It is the check ID, the object (API group, kind, namespace, name), the field path and the
// message with its volatile parts removed. It leaves out what moves when unrelated lines are
// edited (the file's line) or when an API version is bumped, and text a scan adds for the
// moment (an expired exception, counts of days).
func Fingerprint(f Finding) string {
	group, _, found := strings.Cut(f.Object.APIVersion, "/")
	if !found {
		group = "" // the core group: "v1"
	}
	h := sha256.New()
	for _, s := range []string{f.Check, group, f.Object.Kind, f.Object.Namespace, f.Object.Name, f.Path, stableMessage(f.Message)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

var (
	// expiredNote is what Suppress appends for an expired exception.
	expiredNote = regexp.MustCompile(` \(exception from .* expired [0-9-]+: .*\)$`)
	// lineRef is a file:line reference ("at deploy/app.yaml:12").
	lineRef = regexp.MustCompile(`(\S+):[0-9]+\b`)
	// timeSpan is a count of time units that changes from day to day ("expires in 12 days").
	timeSpan = regexp.MustCompile(`\b[0-9]+(\.[0-9]+)? ?(seconds?|minutes?|hours?|days?|weeks?|months?|years?|[smhdy])\b`)
)

func stableMessage(m string) string {
	m = expiredNote.ReplaceAllString(m, "")
	m = lineRef.ReplaceAllString(m, "$1")
	return timeSpan.ReplaceAllString(m, "#$2")
}
