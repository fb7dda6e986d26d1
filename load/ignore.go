package load

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// IgnoreFileName is the gitignore-style file that names paths, below its directory, that a
// directory walk does not read.
const IgnoreFileName = ".kubeharden-ignore"

// A pattern is a gitignore pattern: "*", "?" and "[...]" match within one path segment,
// "**" matches any number of segments, a trailing "/" matches only directories, a leading
// "!" re-includes what an earlier pattern excluded, and a pattern without a slash (other than
// a trailing one) matches a name at any depth. One with a slash is anchored: in an ignore
// file, to the file's directory; given with --exclude or in the config, to the path scanned
// (or, as written, to the path as the scan names it).
type pattern struct {
	segs     []string
	anchored bool
	dirOnly  bool
	negate   bool
	// base is the directory (as the walk names it) an ignore file's patterns are relative to.
	base string
}

func parsePattern(p string) (pattern, error) {
	var r pattern
	if strings.HasPrefix(p, "!") {
		r.negate, p = true, p[1:]
	}
	if strings.HasSuffix(p, "/") {
		r.dirOnly, p = true, strings.TrimRight(p, "/")
	}
	p = strings.TrimPrefix(filepath.ToSlash(p), "./")
	if strings.Contains(p, "/") {
		r.anchored, p = true, strings.TrimPrefix(p, "/")
	}
	if p == "" {
		return r, fmt.Errorf("empty pattern")
	}
	r.segs = strings.Split(p, "/")
	for _, s := range r.segs {
		if _, err := path.Match(s, ""); err != nil {
			return r, fmt.Errorf("pattern %q: %v", p, err)
		}
	}
	return r, nil
}

// match reports whether the slash-separated relative path rel matches.
func (r *pattern) match(rel string, dir bool) bool {
	if r.dirOnly && !dir {
		return false
	}
	segs := strings.Split(rel, "/")
	if !r.anchored {
		return len(r.segs) == 1 && matchSegs(r.segs, segs[len(segs)-1:])
	}
	return matchSegs(r.segs, segs)
}

func matchSegs(pat, segs []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(segs); i++ {
				if matchSegs(pat[1:], segs[i:]) {
					return true
				}
			}
			return false
		}
		if len(segs) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], segs[0]); !ok {
			return false
		}
		pat, segs = pat[1:], segs[1:]
	}
	return len(segs) == 0
}

// readIgnoreFile reads the patterns of dir's ignore file, if it has one.
func readIgnoreFile(dir string) ([]pattern, error) {
	b, err := os.ReadFile(filepath.Join(dir, IgnoreFileName))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	var out []pattern
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), " \t\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		p, err := parsePattern(line)
		if err != nil {
			return out, fmt.Errorf("line %d: %v", n, err)
		}
		p.base = dir
		out = append(out, p)
	}
	return out, nil
}

// ignored reports whether the last pattern that matches name says to skip it. root is the
// path given that the walk started from.
func ignored(patterns []pattern, name, root string, dir bool) bool {
	skip := false
	for i := range patterns {
		p := &patterns[i]
		var rels []string
		if p.base != "" {
			if r, ok := relTo(p.base, name); ok {
				rels = []string{r}
			}
		} else {
			rels = []string{filepath.ToSlash(filepath.Clean(name))}
			if r, ok := relTo(root, name); ok && r != rels[0] {
				rels = append(rels, r)
			}
		}
		for _, r := range rels {
			if p.match(r, dir) {
				skip = !p.negate
				break
			}
		}
	}
	return skip
}

// relTo is name relative to base, slash-separated, when name lies below base.
func relTo(base, name string) (string, bool) {
	r, err := filepath.Rel(base, name)
	if err != nil || r == "." || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(r), true
}
