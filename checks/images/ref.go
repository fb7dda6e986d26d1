package images

import (
	"errors"
	"fmt"
	"strings"
)

// Reference is a parsed, normalised container image reference, as container runtimes read
// the image field: "nginx" is docker.io/library/nginx with no tag and no digest.
type Reference struct {
	// Domain is the registry host, with its port when one was given ("docker.io",
	// "localhost:5000", "[::1]:5000").
	Domain string
	// Path is the repository inside the registry ("library/nginx").
	Path string
	// Tag is empty when none was given; runtimes then pull "latest" unless Digest is set.
	Tag string
	// Digest is "algorithm:hex" when the reference pins content ("sha256:…").
	Digest string
}

// Name is the normalised repository name: Domain/Path.
func (r Reference) Name() string { return r.Domain + "/" + r.Path }

// String is the fully normalised reference: name, then :tag and @digest when present.
func (r Reference) String() string {
	s := r.Name()
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// Mutable reports whether what the reference points at can change: it has no digest.
func (r Reference) Mutable() bool { return r.Digest == "" }

// Latest reports whether the reference resolves to the "latest" tag: its tag is latest, or it
// has neither tag nor digest.
func (r Reference) Latest() bool {
	return r.Tag == "latest" || (r.Tag == "" && r.Digest == "")
}

const (
	dockerHub      = "docker.io"
	legacyHub      = "index.docker.io"
	officialPrefix = "library/"
	maxPathLen     = 255
)

var errEmpty = errors.New("image reference is empty")

// ParseReference parses an image reference the way the kubelet and container runtimes do
// (Docker's normalisation, as in github.com/distribution/reference ParseNormalizedNamed):
//
//   - a name without a slash is an official Docker Hub image: "nginx" → docker.io/library/nginx;
//   - the first component is a registry when it contains "." or ":", is "localhost", or has an
//     upper-case letter; otherwise the whole name is a Docker Hub repository
//     ("bitnami/redis" → docker.io/bitnami/redis); "index.docker.io" means docker.io;
//   - a ":" after the last "/" starts the tag; one before it belongs to the registry's port;
//   - "@" starts the digest, which must be a valid sha256, sha384 or sha512 digest.
//
// Repository paths are lower-case components joined by "/", each made of [a-z0-9] runs joined
// by ".", "_", "__" or dashes; tags are at most 128 characters of [A-Za-z0-9_.-], not starting
// with "." or "-". A reference that breaks these rules is an error, as it is for the kubelet
// (InvalidImageName).
func ParseReference(s string) (Reference, error) {
	if s == "" {
		return Reference{}, errEmpty
	}
	if len(s) == 64 && isLowerHex(s) {
		return Reference{}, fmt.Errorf("invalid image reference %q: a 64-character hex string is an image ID, not a name", s)
	}
	domain, rest := splitDomain(s)

	var r Reference
	if name, dig, ok := strings.Cut(rest, "@"); ok {
		if err := validDigest(dig); err != nil {
			return Reference{}, fmt.Errorf("invalid image reference %q: %v", s, err)
		}
		rest, r.Digest = name, dig
	}
	if i := strings.LastIndexByte(rest, ':'); i >= 0 && strings.IndexByte(rest[i:], '/') < 0 {
		rest, r.Tag = rest[:i], rest[i+1:]
		if !validTag(r.Tag) {
			return Reference{}, fmt.Errorf("invalid image reference %q: tag %q is not valid", s, r.Tag)
		}
	}
	if strings.ToLower(rest) != rest {
		return Reference{}, fmt.Errorf("invalid image reference %q: repository name %q must be lower-case", s, rest)
	}
	if validDomain(domain) {
		r.Domain, r.Path = domain, rest
	} else if validPathComponent(domain) {
		// Not a host, but a valid repository component: the grammar then reads the whole
		// name as a path with no registry, as the reference library does.
		r.Path = domain + "/" + rest
	} else {
		return Reference{}, fmt.Errorf("invalid image reference %q: registry %q is not a valid host", s, domain)
	}
	if len(r.Path) > maxPathLen {
		return Reference{}, fmt.Errorf("invalid image reference %q: repository name is longer than %d characters", s, maxPathLen)
	}
	for rest := r.Path; ; {
		c, after, more := strings.Cut(rest, "/")
		if !validPathComponent(c) {
			return Reference{}, fmt.Errorf("invalid image reference %q: repository component %q is not valid", s, c)
		}
		if !more {
			break
		}
		rest = after
	}
	return r, nil
}

// splitDomain separates the registry from the rest of the reference, with Docker Hub's
// defaults. The rest still carries tag and digest.
func splitDomain(s string) (domain, rest string) {
	first, after, ok := strings.Cut(s, "/")
	switch {
	case !ok:
		// A single component is always a Docker Hub name, even "localhost:5000", which
		// reads as the image localhost with tag 5000.
		return dockerHub, officialPrefix + s
	case first == "localhost", strings.ContainsAny(first, ".:"), strings.ToLower(first) != first:
		domain, rest = first, after
	default:
		domain, rest = dockerHub, s
	}
	if domain == legacyHub {
		domain = dockerHub
	}
	if domain == dockerHub && !strings.Contains(rest, "/") {
		rest = officialPrefix + rest
	}
	return domain, rest
}

// validDomain checks host[:port], where host is dot-separated labels of letters, digits and
// inner dashes, or a bracketed IPv6 address.
func validDomain(d string) bool {
	host, port := d, ""
	if strings.HasPrefix(d, "[") {
		end := strings.IndexByte(d, ']')
		if end < 0 {
			return false
		}
		host, port = d[:end+1], d[end+1:]
		inner := host[1:end]
		if inner == "" {
			return false
		}
		for i := 0; i < len(inner); i++ {
			if !isHex(inner[i]) && inner[i] != ':' {
				return false
			}
		}
	} else {
		if i := strings.IndexByte(d, ':'); i >= 0 {
			host, port = d[:i], d[i:]
		}
		for rest := host; ; {
			label, after, more := strings.Cut(rest, ".")
			if !validLabel(label) {
				return false
			}
			if !more {
				break
			}
			rest = after
		}
	}
	if port != "" {
		if port[0] != ':' || len(port) == 1 {
			return false
		}
		for i := 1; i < len(port); i++ {
			if port[i] < '0' || port[i] > '9' {
				return false
			}
		}
	}
	return true
}

func validLabel(l string) bool {
	if l == "" || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !isAlnum(c) && !(c >= 'A' && c <= 'Z') && c != '-' {
			return false
		}
	}
	return true
}

// validPathComponent checks [a-z0-9]+ runs joined by one separator: ".", "_", "__" or dashes.
func validPathComponent(c string) bool {
	if c == "" || !isAlnum(c[0]) || !isAlnum(c[len(c)-1]) {
		return false
	}
	for i := 0; i < len(c); {
		if isAlnum(c[i]) {
			i++
			continue
		}
		j := i
		for j < len(c) && !isAlnum(c[j]) {
			j++
		}
		switch sep := c[i:j]; {
		case sep == ".", sep == "_", sep == "__", strings.Trim(sep, "-") == "":
		default:
			return false
		}
		i = j
	}
	return true
}

func validTag(t string) bool {
	if t == "" || len(t) > 128 || t[0] == '.' || t[0] == '-' {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !isAlnum(c) && !(c >= 'A' && c <= 'Z') && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// digestHexLen is the hex length of each algorithm runtimes accept.
var digestHexLen = map[string]int{"sha256": 64, "sha384": 96, "sha512": 128}

func validDigest(d string) error {
	alg, hex, ok := strings.Cut(d, ":")
	if !ok || alg == "" || hex == "" {
		return fmt.Errorf("digest %q is not algorithm:hex", d)
	}
	n, known := digestHexLen[alg]
	if !known {
		return fmt.Errorf("digest algorithm %q is not supported (sha256, sha384, sha512)", alg)
	}
	if len(hex) != n || !isLowerHex(hex) {
		return fmt.Errorf("digest %q needs %d lower-case hex digits", d, n)
	}
	return nil
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}
