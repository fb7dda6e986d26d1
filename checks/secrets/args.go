package secrets

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// Kinds of credential found only in command lines.
const (
	kindBearer   = "bearer token"
	kindBasic    = "basic-auth credentials"
	kindUserPass = "user:password pair"
)

// CredentialsInArgs reports credentials written in containers' command and args.
var CredentialsInArgs = &check.Check{
	ID:    "secrets/credentials-in-args",
	Title: "Credential written in a container's command or arguments",
	Doc: "A password or token on a command line (`--token=…`, `--password …`, `-u user:pass`, an " +
		"`Authorization: Bearer …` header, a database URL with a password, `export " +
		"API_KEY=…` in a shell script) is readable by everyone who can read the pod spec, is " +
		"shown by kubectl describe and ps on the node, lands in process listings and crash " +
		"reports, and stays in the manifests' history. The check reads each word of command " +
		"and args (the words of `sh -c` scripts too) with the rules of " +
		"secrets/hardcoded-credential: known credential formats, literals after a flag or " +
		"variable whose name says password, secret, token or key, and high-entropy tokens. " +
		"References such as $(DB_PASSWORD), which Kubernetes expands from env, and ${VAR} are " +
		"not credentials. The finding names the kind and the flag, never the value.",
	Severity:    check.High,
	References:  []string{refNSA, refSecretsDocs, refCreds, "MITRE ATT&CK T1552.001 Credentials In Files"},
	Remediation: "Put the credential in a Secret, pass it as an env var with secretKeyRef (or a mounted file) and reference it as $(VAR) in args; rotate the credential: it has been exposed.",
	Kinds:       []string{check.Workloads},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		for _, t := range p.Inv.PodTemplates() {
			for _, c := range commandContainers(t) {
				for _, field := range []struct {
					name  string
					words []string
				}{{"command", c.command}, {"args", c.args}} {
					for i := range field.words {
						if k, where := argCredential(field.words, i); k != "" {
							p.Reportf(t.Owner, fmt.Sprintf("%s.%s[%d]", c.path, field.name, i),
								"%s[%d] of container %q holds a credential in plain text (%s%s; value not shown)", field.name, i, c.name, k, where)
						}
					}
				}
			}
		}
	},
}

// commandContainer is a container's name, command line and field path: init, regular and
// ephemeral containers alike.
type commandContainer struct {
	name, path    string
	command, args []string
}

func commandContainers(t inventory.PodTemplate) []commandContainer {
	var out []commandContainer
	for _, c := range t.Containers() {
		out = append(out, commandContainer{c.Container.Name, c.Path, c.Container.Command, c.Container.Args})
	}
	for i := range t.Spec.EphemeralContainers {
		c := &t.Spec.EphemeralContainers[i]
		out = append(out, commandContainer{c.Name, fmt.Sprintf("%s.ephemeralContainers[%d]", t.Path, i), c.Command, c.Args})
	}
	return out
}

var (
	assignment = regexp.MustCompile(`^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.+)$`)
	userFlags  = map[string]bool{"u": true, "user": true, "basic-auth": true}
)

// argCredential judges word i of a command line. A word with blanks is a script or a
// header and is split into its own words. It returns the kind of credential and where in
// the word it is (" after --password"), or "".
func argCredential(words []string, i int) (kind, where string) {
	w := words[i]
	if strings.ContainsAny(w, " \t\n") {
		sub := strings.Fields(w)
		for j := range sub {
			sub[j] = strings.Trim(sub[j], `"';`)
		}
		for j := range sub {
			if k, at := wordCredential(sub, j); k != "" {
				return k, at
			}
		}
		return "", ""
	}
	return wordCredential(words, i)
}

// wordCredential judges one word (with no blanks), looking at the next word for a flag's
// value.
func wordCredential(words []string, i int) (string, string) {
	w := words[i]
	if w == "" {
		return "", ""
	}
	if k := findPattern(w); k != "" {
		return k, ""
	}
	next := ""
	if i+1 < len(words) && !strings.HasPrefix(words[i+1], "-") {
		next = words[i+1]
	}
	switch lw := strings.ToLower(w); {
	case lw == "bearer" && literal(next):
		return kindBearer, " after Bearer"
	case lw == "basic" && literal(next) && len(next) >= 8:
		return kindBasic, " after Basic"
	}
	if strings.HasPrefix(w, "-") {
		name, val, eq := strings.Cut(strings.TrimLeft(w, "-"), "=")
		if !eq {
			val = next
		}
		flag := " after " + w[:len(w)-len(strings.TrimLeft(w, "-"))] + name
		if userFlags[name] {
			if _, pw, ok := strings.Cut(val, ":"); ok && literal(pw) {
				return kindUserPass, flag
			}
			return "", ""
		}
		if val != "" && credential(name, strings.Trim(val, `"'`), true) != "" {
			return credential(name, strings.Trim(val, `"'`), true), flag
		}
		return "", ""
	}
	if m := assignment.FindStringSubmatch(w); m != nil {
		if k := credential(m[1], strings.Trim(m[2], `"'`), true); k != "" {
			return k, " assigned to " + m[1]
		}
	}
	return "", ""
}
