package secrets

import (
	"math"
	"regexp"
	"strings"
	"unicode"
)

// This file recognizes credentials in plain values (the rules are listed in the package
// doc). It returns what kind of credential matched, never the value or any part of it.

// Kinds of credential, as findings name them.
const (
	kindAWSKeyID    = "AWS access key ID"
	kindAWSSecret   = "AWS secret access key"
	kindGoogleAPI   = "Google API key"
	kindGCPAccount  = "GCP service account key"
	kindPrivateKey  = "private key"
	kindJWT         = "JSON Web Token"
	kindGitHub      = "GitHub token"
	kindSlack       = "Slack token"
	kindSlackHook   = "Slack webhook URL"
	kindConnString  = "connection string with a password"
	kindNamed       = "literal under a credential name"
	kindHighEntropy = "high-entropy string"
)

type pattern struct {
	kind string
	re   *regexp.Regexp
	// ok, when set, must accept the match (to skip documented examples and placeholders).
	ok func(m []string) bool
	// may is false for values the expression cannot match: they lack text every match
	// holds. It spares running the expressions on most values.
	may func(s string) bool
}

func has(subs ...string) func(string) bool {
	return func(s string) bool {
		for _, sub := range subs {
			if !strings.Contains(s, sub) {
				return false
			}
		}
		return true
	}
}

func hasAny(subs ...string) func(string) bool {
	return func(s string) bool {
		for _, sub := range subs {
			if strings.Contains(s, sub) {
				return true
			}
		}
		return false
	}
}

var patterns = []pattern{
	{kindGCPAccount, regexp.MustCompile(`"type"\s*:\s*"service_account"[\s\S]*"private_key"|"private_key"[\s\S]*"type"\s*:\s*"service_account"`), nil, has(`"private_key"`, `"service_account"`)},
	{kindPrivateKey, regexp.MustCompile(`-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----`), nil, has("-----BEGIN ", "PRIVATE KEY")},
	{kindAWSKeyID, regexp.MustCompile(`\b(?:AKIA|ASIA)[A-Z2-7]{16}\b`), func(m []string) bool { return !strings.HasSuffix(m[0], "EXAMPLE") }, hasAny("AKIA", "ASIA")},
	{kindGoogleAPI, regexp.MustCompile(`\bAIza[0-9A-Za-z_-]{35}\b`), nil, has("AIza")},
	{kindGitHub, regexp.MustCompile(`\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b`), nil, hasAny("gh", "github_pat_")},
	{kindSlackHook, regexp.MustCompile(`https://hooks\.slack\.com/services/[A-Za-z0-9_/-]{20,}`), nil, has("https://hooks.slack.com/services/")},
	{kindSlack, regexp.MustCompile(`\bxox[abposr]-[A-Za-z0-9-]{10,}`), nil, has("xox")},
	{kindJWT, regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}`), nil, has("eyJ")},
	// scheme://user:password@host, the password being a literal.
	{kindConnString, regexp.MustCompile(`\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/?#@'"]*:([^\s@/?#'"]+)@`), func(m []string) bool { return literal(m[1]) }, has("://", "@")},
	// ?password=... in a URL, as JDBC drivers take it.
	{kindConnString, regexp.MustCompile(`(?i)://\S*[?&](?:password|pwd)=([^&\s#'"]+)`), func(m []string) bool { return literal(m[1]) }, has("://", "=")},
	// Password=...; in key=value connection strings (ADO.NET, ODBC, libpq).
	{kindConnString, regexp.MustCompile(`(?i)(?:^|[;\s])(?:password|pwd)\s*=\s*([^;\s'"]+)\s*;|;\s*(?:password|pwd)\s*=\s*([^;\s'"]+)`), func(m []string) bool {
		return literal(m[1] + m[2])
	}, has(";", "=")},
}

// findPattern returns the kind of the first credential format in s, or "".
func findPattern(s string) string {
	for _, p := range patterns {
		if !p.may(s) {
			continue
		}
		for _, m := range p.re.FindAllStringSubmatch(s, -1) {
			if p.ok == nil || p.ok(m) {
				return p.kind
			}
		}
	}
	return ""
}

// credential judges a value found under a name (an env var, a ConfigMap key, a key of a
// config file line, an annotation key). named allows the rule for credential names, which
// annotations do not get: their values name Secrets and secret paths ("secret-name",
// "secret/data/db") far more often than they hold one.
func credential(name, value string, named bool) string {
	if k := findPattern(value); k != "" {
		return k
	}
	v := strings.TrimSpace(value)
	toks := nameTokens(name)
	if isAWSSecretName(toks) && awsSecret.MatchString(v) {
		return kindAWSSecret
	}
	if named && credentialName(toks) && literal(v) {
		return kindNamed
	}
	if highEntropy(v) && !publicName(toks) {
		return kindHighEntropy
	}
	return ""
}

var awsSecret = regexp.MustCompile(`^[A-Za-z0-9/+]{40}$`)

func isAWSSecretName(toks []string) bool {
	aws, secret := false, false
	for _, t := range toks {
		aws = aws || t == "aws" || strings.HasPrefix(t, "aws")
		secret = secret || strings.Contains(t, "secret")
	}
	return aws && secret
}

// nameTokens splits a name into lower-case words: at any non-alphanumeric character and at
// camelCase boundaries ("dbPassword", "APIKey", "DB_PASSWORD", "app.secret-key").
func nameTokens(name string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(name)
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			continue
		}
		if i > 0 && unicode.IsUpper(r) && len(cur) > 0 {
			prev := rs[i-1]
			next := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && next) {
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return out
}

// credentialWords are found inside a word ("PGPASSWORD", "clientsecret"); credentialTokens
// must be whole words ("PASS", "PWD": "bypass" and "pwdump" are not); credentialPairs are
// two words in a row.
var (
	credentialWords  = []string{"password", "passwd", "passphrase", "secret", "token", "apikey", "credential", "privatekey", "accesskey"}
	credentialTokens = map[string]bool{"pass": true, "pwd": true, "pw": true}
	credentialPairs  = map[[2]string]bool{
		{"api", "key"}: true, {"access", "key"}: true, {"private", "key"}: true, {"signing", "key"}: true,
		{"encryption", "key"}: true, {"master", "key"}: true, {"session", "key"}: true, {"auth", "key"}: true,
		{"license", "key"}: true, {"client", "key"}: true,
	}
	// notCredential are words that make the name about a credential rather than one:
	// TOKEN_FILE, SECRET_NAME, PASSWORD_MIN_LENGTH, ACCESS_KEY_ID, TOKEN_URL.
	notCredential = map[string]bool{
		"file": true, "files": true, "path": true, "dir": true, "directory": true, "url": true, "uri": true,
		"endpoint": true, "host": true, "hostname": true, "port": true, "name": true, "names": true,
		"user": true, "username": true, "length": true, "len": true, "size": true, "ttl": true,
		"expiry": true, "expires": true, "expiration": true, "timeout": true, "header": true,
		"type": true, "mode": true, "enabled": true, "enable": true, "disabled": true, "disable": true,
		"required": true, "policy": true, "ref": true, "id": true, "rotation": true, "interval": true,
		"min": true, "max": true, "count": true, "audience": true, "issuer": true, "scope": true,
		"algorithm": true, "format": true, "version": true, "location": true, "mount": true,
		"prefix": true, "suffix": true, "field": true, "kind": true, "provider": true, "store": true,
		"env": true, "lifetime": true, "hash": true, "hasher": true, "hashers": true, "hashing": true,
		"reset": true, "strength": true, "complexity": true, "validator": true, "validators": true,
		"regex": true, "pattern": true, "endpoints": true, "placeholder": true,
	}
)

func credentialName(toks []string) bool {
	found := false
	for i, t := range toks {
		if notCredential[t] {
			return false
		}
		if credentialTokens[t] {
			found = true
		}
		for _, w := range credentialWords {
			if strings.Contains(t, w) {
				found = true
			}
		}
		if i > 0 && credentialPairs[[2]string{toks[i-1], t}] {
			found = true
		}
	}
	return found
}

// publicWords mark names whose long random-looking values are public or identifiers:
// certificates, checksums, IDs.
var publicWords = map[string]bool{
	"cert": true, "certificate": true, "ca": true, "crt": true, "pem": true, "cabundle": true,
	"hash": true, "checksum": true, "digest": true, "sha": true, "sha1": true, "sha256": true,
	"sha512": true, "md5": true, "uid": true, "uuid": true, "id": true, "version": true,
	"revision": true, "fingerprint": true, "etag": true, "public": true, "pubkey": true,
	"image": true, "commit": true, "signature": true, "nonce": true,
}

func publicName(toks []string) bool {
	for _, t := range toks {
		if publicWords[t] {
			return true
		}
	}
	return false
}

var (
	reference   = regexp.MustCompile(`\$\(|\$\{|\{\{|%\(|^\$[A-Za-z_][A-Za-z0-9_]*$|^<.*>$`)
	placeholder = map[string]bool{
		"none": true, "null": true, "nil": true, "true": true, "false": true, "yes": true, "no": true,
		"on": true, "off": true, "enabled": true, "disabled": true, "required": true, "optional": true,
		"empty": true, "unset": true, "default": true, "auto": true, "redacted": true, "hidden": true,
		"tbd": true, "todo": true, "n/a": true, "-": true,
	}
	secretStore = []string{"arn:", "vault:", "ref+", "sm://", "gcp:", "projects/", "azurekeyvault", "secretsmanager", "akv:"}
	number      = regexp.MustCompile(`^[-+]?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?(ms|s|m|h|d|k|ki|m|mi|g|gi)?$`)
	varName     = regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)
)

// literal reports whether v is a literal value that can be a credential: not empty, a
// variable or template reference, a path, a URL, a number, a boolean, a placeholder, a
// reference into a secret store, or the name of another variable.
func literal(v string) bool {
	v = strings.Trim(strings.TrimSpace(v), `"'`)
	lv := strings.ToLower(v)
	switch {
	case len(v) < 4 || placeholder[lv] || reference.MatchString(v) || number.MatchString(lv) || varName.MatchString(v):
		return false
	case strings.HasPrefix(v, "/") || strings.HasPrefix(v, "./") || strings.HasPrefix(v, "../") ||
		strings.HasPrefix(v, "~/") || strings.HasPrefix(lv, "file:") || strings.Contains(v, "://"):
		return false
	case strings.Trim(v, v[:1]) == "" || strings.Trim(v, "*x.X#") == "":
		return false // xxxxxx, ******, ....
	}
	for _, p := range secretStore {
		if strings.HasPrefix(lv, p) {
			return false
		}
	}
	return true
}

var tokenChars = regexp.MustCompile(`^[A-Za-z0-9+/=_-]{32,256}$`)

// highEntropy reports a single token of 32 to 256 base64 or hex characters, letters and
// digits mixed, whose Shannon entropy is at least 4.25 bits per character.
func highEntropy(v string) bool {
	if !tokenChars.MatchString(v) {
		return false
	}
	letter, digit := false, false
	for _, r := range v {
		letter = letter || unicode.IsLetter(r)
		digit = digit || unicode.IsDigit(r)
	}
	return letter && digit && entropy(v) >= 4.25
}

// entropy is the Shannon entropy of s in bits per character.
func entropy(s string) float64 {
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	h, n := 0.0, float64(len(s))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// configLine reads "key = value", "key: value", `"key": "value",` and "export KEY=value"
// lines of a config file held in a ConfigMap.
var configLine = regexp.MustCompile(`^\s*(?:export\s+)?["']?([A-Za-z0-9_.\-\[\]]+)["']?\s*[:=]\s*(.*?)\s*,?\s*$`)

// fileCredential judges a multi-line value line by line, returning the kind and the line (1
// for the first) of the first credential.
func fileCredential(value string) (string, int) {
	for i, line := range strings.Split(value, "\n") {
		m := configLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		v := m[2]
		if j := strings.Index(v, " #"); j >= 0 {
			v = v[:j]
		}
		v = strings.Trim(strings.TrimSpace(v), `"'`)
		if k := credential(m[1], v, true); k != "" {
			return k, i + 1
		}
	}
	return "", 0
}
