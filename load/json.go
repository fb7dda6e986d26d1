package load

import (
	"encoding/json"
	"unsafe"

	"github.com/kubeharden/kubeharden/inventory"
)

// jscan walks a JSON document without building it, recording where each field is. JSON
// documents are decoded from their own bytes, as the API server decodes a JSON request (so
// 1.0 is not an integer, and duplicate keys behave as encoding/json has them); this scan
// only adds positions.
type jscan struct {
	data  []byte
	pos   int
	line  int
	ents  []entry
	lines bool // compute path hashes (off for the first, shallow look at a List)
	// shallow records entries only for the root's fields and their items: enough to split
	// a List without holding positions for everything in it.
	shallow bool
	depth   int
	top     top
	items   int32 // entry of the root's "items" field when it is an array, else -1
}

func (s *jscan) reset(data []byte, line int, lines, shallow bool) {
	s.data, s.pos, s.line = data, 0, line
	s.ents = s.ents[:0]
	s.lines, s.shallow, s.depth = lines, shallow, 0
	s.top = top{}
	s.items = -1
}

func (s *jscan) fail(msg string) error {
	return &docError{s.line, "invalid JSON: " + msg}
}

func (s *jscan) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case '\n':
			s.line++
		case ' ', '\t', '\r':
		default:
			return
		}
		s.pos++
	}
}

func (s *jscan) value(h inventory.PathHash, parent int32) error {
	s.ws()
	if s.pos >= len(s.data) {
		return s.fail("unexpected end of input")
	}
	switch c := s.data[s.pos]; {
	case c == '{':
		return s.object(h, parent)
	case c == '[':
		return s.array(h, parent)
	case c == '"':
		_, err := s.str()
		return err
	case c == 't':
		return s.word("true")
	case c == 'f':
		return s.word("false")
	case c == 'n':
		return s.word("null")
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	}
	return s.fail("unexpected character " + quoteChar(s.data[s.pos]))
}

func (s *jscan) record() bool { return !s.shallow || s.depth <= 2 }

func (s *jscan) object(h inventory.PathHash, parent int32) error {
	s.depth++
	if s.depth > maxDepth {
		return s.fail("nests deeper than 10000 levels")
	}
	s.pos++ // {
	s.ws()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		s.depth--
		return nil
	}
	for {
		s.ws()
		if s.pos >= len(s.data) || s.data[s.pos] != '"' {
			return s.fail("expected a quoted field name")
		}
		line := s.line
		ks := s.pos
		esc, err := s.str()
		if err != nil {
			return err
		}
		ke := s.pos
		s.ws()
		if s.pos >= len(s.data) || s.data[s.pos] != ':' {
			return s.fail("expected ':' after a field name")
		}
		s.pos++
		s.ws()
		var hk inventory.PathHash
		if s.lines {
			hk = h.Field(keyString(s.data[ks:ke], esc))
		}
		e := int32(-1)
		if s.record() {
			e = int32(len(s.ents))
			s.ents = append(s.ents, entry{start: int32(s.pos), line: int32(line), parent: parent, keyStart: int32(ks), keyEnd: int32(ke), index: -1, hash: hk})
		}
		vs := s.pos
		if err := s.value(hk, e); err != nil {
			return err
		}
		if e >= 0 {
			s.ents[e].end = int32(s.pos)
		}
		if s.depth == 1 {
			s.noteTop(s.data[ks:ke], esc, s.data[vs:s.pos], line, e)
		}
		s.ws()
		if s.pos >= len(s.data) {
			return s.fail("unexpected end of input in an object")
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
			continue
		case '}':
			s.pos++
			s.depth--
			return nil
		}
		return s.fail("expected ',' or '}' after a field")
	}
}

func (s *jscan) noteTop(key []byte, esc bool, val []byte, line int, e int32) {
	var str *string
	var has *bool
	var bad *int
	switch keyString(key, esc) {
	case "apiVersion":
		str, has, bad = &s.top.apiVersion, &s.top.hasAPIVersion, &s.top.badAPIVersion
	case "kind":
		str, has, bad = &s.top.kind, &s.top.hasKind, &s.top.badKind
	case "items":
		if len(val) > 0 && val[0] == '[' {
			s.items = e
		} else {
			s.items = -1
		}
		return
	default:
		return
	}
	*has, *bad = true, 0
	if val[0] == '"' && json.Unmarshal(val, str) == nil {
		return
	}
	if string(val) == "null" {
		*has = false
		return
	}
	*bad = line
}

func (s *jscan) array(h inventory.PathHash, parent int32) error {
	s.depth++
	if s.depth > maxDepth {
		return s.fail("nests deeper than 10000 levels")
	}
	s.pos++ // [
	s.ws()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		s.depth--
		return nil
	}
	for i := 0; ; i++ {
		s.ws()
		var hi inventory.PathHash
		if s.lines {
			hi = h.Index(i)
		}
		e := int32(-1)
		if s.record() {
			e = int32(len(s.ents))
			s.ents = append(s.ents, entry{start: int32(s.pos), line: int32(s.line), parent: parent, index: int32(i), hash: hi})
		}
		if err := s.value(hi, e); err != nil {
			return err
		}
		if e >= 0 {
			s.ents[e].end = int32(s.pos)
		}
		s.ws()
		if s.pos >= len(s.data) {
			return s.fail("unexpected end of input in a list")
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
			continue
		case ']':
			s.pos++
			s.depth--
			return nil
		}
		return s.fail("expected ',' or ']' after a list item")
	}
}

// str skips a string literal and reports whether it has escapes.
func (s *jscan) str() (escaped bool, err error) {
	s.pos++ // "
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			return escaped, nil
		case c == '\\':
			escaped = true
			if s.pos+1 >= len(s.data) {
				return escaped, s.fail("unexpected end of input in a string")
			}
			switch s.data[s.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos += 2
			case 'u':
				if s.pos+6 > len(s.data) || !isHex4(s.data[s.pos+2:s.pos+6]) {
					return escaped, s.fail(`invalid \u escape in a string`)
				}
				s.pos += 6
			default:
				return escaped, s.fail("invalid escape in a string")
			}
		case c < 0x20:
			return escaped, s.fail("control character in a string")
		default:
			s.pos++
		}
	}
	return escaped, s.fail("unexpected end of input in a string")
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func (s *jscan) number() error {
	d := s.data
	i := s.pos
	if d[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(d) && d[i] == '0' {
		i++
	} else if digits() == 0 {
		return s.fail("invalid number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if digits() == 0 {
			return s.fail("invalid number")
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if digits() == 0 {
			return s.fail("invalid number")
		}
	}
	s.pos = i
	return nil
}

func (s *jscan) word(w string) error {
	if len(s.data)-s.pos < len(w) || string(s.data[s.pos:s.pos+len(w)]) != w {
		return s.fail("unexpected character " + quoteChar(s.data[s.pos]))
	}
	s.pos += len(w)
	return nil
}

func quoteChar(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return "'" + string(rune(c)) + "'"
	}
	return "0x" + string("0123456789abcdef"[c>>4]) + string("0123456789abcdef"[c&0xf])
}

// keyString turns a quoted JSON key into the string the decoder will see. Keys without
// escapes (nearly all) are viewed in place: the result must not outlive the scan.
func keyString(q []byte, escaped bool) string {
	if !escaped {
		if len(q) <= 2 {
			return ""
		}
		return unsafe.String(&q[1], len(q)-2)
	}
	var s string
	if json.Unmarshal(q, &s) != nil {
		return string(q)
	}
	return s
}
