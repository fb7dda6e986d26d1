package dockerfile

import (
	"strings"
)

// StageOf returns the index of the earlier stage that stage i is built on (FROM <stage>),
// or -1 when its base is an image.
func (f *File) StageOf(i int) int {
	base := f.Stages[i].Base
	if base == "" {
		base = f.Stages[i].From
	}
	for j := i - 1; j >= 0; j-- {
		if f.Stages[j].Name != "" && strings.EqualFold(f.Stages[j].Name, base) {
			return j
		}
	}
	return -1
}

// FinalChain returns the stages whose file systems make up the final image, from the one
// built on an image to the last stage: the last stage, the stage it is built FROM, and so
// on. Other stages only feed it through COPY --from.
func (f *File) FinalChain() []int {
	var chain []int
	seen := map[int]bool{}
	for i := len(f.Stages) - 1; i >= 0 && !seen[i]; i = f.StageOf(i) {
		seen[i] = true
		chain = append([]int{i}, chain...)
	}
	return chain
}

// ExternalBase is the image stage i ultimately builds on ("" when unknown, "scratch" for
// scratch), and the index of the stage whose FROM names it.
func (f *File) ExternalBase(i int) (string, int) {
	for j := f.StageOf(i); j >= 0; j = f.StageOf(i) {
		i = j
	}
	return f.Stages[i].Base, i
}

// IsScratch reports whether a base is the empty image.
func IsScratch(base string) bool { return strings.EqualFold(base, "scratch") }

// Script is what a RUN instruction runs, as one text: its shell command line, or its
// exec-form arguments joined by spaces, followed by its here-documents.
func (in *Instruction) Script() string {
	parts := append([]string{strings.Join(in.Args, " ")}, in.Heredocs...)
	return strings.Join(parts, "\n")
}

// secretWords are name parts that mark a variable as holding a secret; notSecretWords mark
// one that only points at a secret or names it.
var (
	secretWords = map[string]bool{
		"password": true, "passwd": true, "pwd": false, "pass": true, "secret": true, "token": true,
		"apikey": true, "credential": true, "credentials": true, "privatekey": true, "auth": true,
	}
	notSecretWords = map[string]bool{
		"file": true, "path": true, "dir": true, "url": true, "uri": true, "name": true,
		"id": true, "user": true, "username": true, "env": true, "type": true, "length": true,
		"public": true, "host": true, "port": true, "header": true, "method": true,
	}
)

// SecretName reports whether a variable name looks like it holds a secret: a part (split at
// "_", "-" and ".") is PASSWORD, SECRET, TOKEN, AUTH, CREDENTIALS..., or two parts read
// API_KEY, PRIVATE_KEY, ACCESS_KEY or SECRET_KEY; and no part says it only points at one
// (…_FILE, …_PATH, …_URL, …_ID, …_NAME, PUBLIC_…).
func SecretName(name string) bool {
	parts := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool { return r == '_' || r == '-' || r == '.' })
	secret := false
	for i, p := range parts {
		if notSecretWords[p] {
			return false
		}
		if secretWords[p] {
			secret = true
		}
		if p == "key" && i > 0 {
			switch parts[i-1] {
			case "api", "private", "access", "secret", "signing", "encryption", "master", "license":
				secret = true
			}
		}
	}
	return secret
}
