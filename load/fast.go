package load

import (
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/kubeharden/kubeharden/inventory"
)

// fast converts a document written in the plain block style that kubectl, Helm and people
// mostly write straight to JSON, without building a YAML node tree: block mappings and
// sequences, simple keys, one-line plain and quoted scalars, literal blocks (|, |-), {} and
// []. It gives up on anything else (anchors, tags, flow collections, folded or multi-line
// scalars, tabs, CR line breaks, duplicate keys, keys that are not strings in YAML 1.1,
// odd indentation) and the document is then parsed with yaml.v3 and converted by conv.
// Where it does not give up it produces exactly what that path produces: the same JSON,
// field entries and lines (tests compare the two, and so does the fuzz target).
type fast struct {
	src   []byte
	lines []fline
	li    int // current line
	col   int // where the current line's content starts (past a "- " already read)
	off   int // line offset of the document in the file

	buf   []byte
	ents  []entry
	top   top
	keys  []string // keys of the mappings being read, for duplicates
	depth int
	// rootLine is the line of the object's first key.
	rootLine int
}

// fline is one line of the document: [start, end) without the line break, and the column of
// its first non-space character (end-start for a blank line).
type fline struct {
	start, end, indent int
}

// bail is how fast gives up: a panic that object recovers; it never reaches users.
type bail struct{}

func (f *fast) reset(src []byte, off int) bool {
	f.src, f.off = src, off
	f.lines = f.lines[:0]
	f.li, f.col = 0, 0
	f.buf = f.buf[:0]
	f.ents = f.ents[:0]
	f.top = top{}
	f.keys = f.keys[:0]
	f.depth = 0
	// Lines, and the characters yaml.v3 would reject or treat specially.
	start := 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\n':
			f.lines = append(f.lines, fline{start, i, indentOf(src[start:i])})
			start = i + 1
		case c == '\t' || c == '\r' || c < 0x20 || c == 0x7f:
			return false
		case c >= 0x80:
			r, size := utf8.DecodeRune(src[i:])
			if r == utf8.RuneError || r >= 0x80 && r <= 0x9f || r == 0xfeff || r == 0xfffe || r == 0xffff || r >= 0xd800 && r <= 0xdfff {
				return false
			}
			i += size - 1
		}
	}
	if start < len(src) {
		f.lines = append(f.lines, fline{start, len(src), indentOf(src[start:])})
	}
	return true
}

func indentOf(l []byte) int {
	i := 0
	for i < len(l) && l[i] == ' ' {
		i++
	}
	return i
}

// object converts the document; false means use yaml.v3.
func (f *fast) object(src []byte, off int) (ok bool) {
	if !f.reset(src, off) {
		return false
	}
	defer func() {
		if r := recover(); r != nil {
			if _, isBail := r.(bail); !isBail {
				panic(r)
			}
			ok = false
		}
	}()
	if !f.skip() {
		return false // nothing but comments
	}
	f.rootLine = f.line()
	l := f.lines[f.li]
	if f.startsItem(l.start + l.indent) {
		return false // a list: not an object
	}
	f.mapping(l.indent, inventory.Root, -1)
	if f.skip() {
		f.giveUp() // something after the root mapping ended
	}
	return true
}

func (f *fast) giveUp() { panic(bail{}) }

// skip moves to the next line with content, past blank and comment lines, and reports
// whether there is one.
func (f *fast) skip() bool {
	for ; f.li < len(f.lines); f.li++ {
		l := f.lines[f.li]
		p := l.start + l.indent
		if p < l.end && f.src[p] != '#' {
			f.col = p
			return true
		}
	}
	return false
}

func (f *fast) line() int { return f.li + 1 + f.off }

func (f *fast) startsItem(p int) bool {
	end := f.lines[f.li].end
	return p < end && f.src[p] == '-' && (p+1 == end || f.src[p+1] == ' ')
}

// column is the column of position p on the current line.
func (f *fast) column(p int) int { return p - f.lines[f.li].start }

func (f *fast) push() {
	f.depth++
	if f.depth > 1000 {
		f.giveUp()
	}
}

// mapping reads a block mapping whose keys start at column indent, the first at f.col.
func (f *fast) mapping(indent int, h inventory.PathHash, parent int32) {
	f.push()
	root := f.depth == 1
	base := len(f.keys)
	f.buf = append(f.buf, '{')
	for first := true; ; first = false {
		p := f.col
		if f.column(p) != indent || f.startsItem(p) {
			f.giveUp()
		}
		key, after := f.key(p)
		if len(f.keys)-base > 64 {
			f.giveUp() // a mapping this large is rare; spare the duplicate search
		}
		for _, k := range f.keys[base:] {
			if k == key {
				f.giveUp() // duplicates are conv's to report
			}
		}
		f.keys = append(f.keys, key)
		if !first {
			f.buf = append(f.buf, ',')
		}
		line := f.line()
		hk := h.Field(key)
		ks := int32(len(f.buf))
		f.buf = appendString(f.buf, key)
		f.buf = append(f.buf, ':')
		e := int32(len(f.ents))
		f.ents = append(f.ents, entry{start: int32(len(f.buf)), line: int32(line), parent: parent, keyStart: ks, keyEnd: int32(len(f.buf) - 1), index: -1, hash: hk})
		vs := len(f.buf)
		f.value(after, indent, true, hk, e)
		f.ents[e].end = int32(len(f.buf))
		if root {
			f.top.note(key, line, f.buf[vs:])
		}
		if !f.skip() {
			break
		}
		l := f.lines[f.li]
		if l.indent < indent {
			break
		}
		// Another key at this indentation, or something this reader does not take.
	}
	f.buf = append(f.buf, '}')
	f.keys = f.keys[:base]
	f.depth--
}

// sequence reads a block sequence whose "- " marks are at column indent.
func (f *fast) sequence(indent int, h inventory.PathHash, parent int32) {
	f.push()
	f.buf = append(f.buf, '[')
	for i := 0; ; i++ {
		p := f.col
		if f.column(p) != indent || !f.startsItem(p) {
			f.giveUp()
		}
		if i > 0 {
			f.buf = append(f.buf, ',')
		}
		line := f.line()
		hi := h.Index(i)
		e := int32(len(f.ents))
		f.ents = append(f.ents, entry{start: int32(len(f.buf)), line: int32(line), parent: parent, index: int32(i), hash: hi})
		// Past "-" and the spaces after it.
		q := p + 1
		end := f.lines[f.li].end
		for q < end && f.src[q] == ' ' {
			q++
		}
		if q == end || f.src[q] == '#' || f.startsItem(q) {
			f.giveUp() // "-" alone, or "- - x"
		}
		if _, _, ok := f.tryKey(q); ok {
			f.col = q
			f.mapping(f.column(q), hi, e)
		} else {
			f.value(q, indent, false, hi, e)
			f.skip()
		}
		f.ents[e].end = int32(len(f.buf))
		if f.li >= len(f.lines) {
			break
		}
		l := f.lines[f.li]
		if l.indent < indent || l.indent == indent && !f.startsItem(l.start+l.indent) {
			break
		}
	}
	f.buf = append(f.buf, ']')
	f.depth--
}

// key reads a mapping key at p and returns it with the position after ": ".
func (f *fast) key(p int) (string, int) {
	k, after, ok := f.tryKey(p)
	if !ok {
		f.giveUp()
	}
	return k, after
}

// tryKey reads "key:" at p: a plain key of common characters that YAML 1.1 reads as a
// string, or a one-line quoted key.
func (f *fast) tryKey(p int) (key string, after int, ok bool) {
	end := f.lines[f.li].end
	q := p
	switch c := f.src[p]; {
	case c == '"' || c == '\'':
		s, e, good := f.quoted(p)
		if !good {
			return "", 0, false
		}
		key, q = s, e
	case keyChar(c) && c != '-':
		for q < end && keyChar(f.src[q]) {
			q++
		}
		key = f.view(p, q)
		if resolvePlain(key, "").kind != sString {
			return "", 0, false
		}
	default:
		return "", 0, false
	}
	for q < end && f.src[q] == ' ' {
		q++
	}
	if q == end || f.src[q] != ':' || q+1 < end && f.src[q+1] != ' ' {
		return "", 0, false
	}
	if q-p > 1000 {
		return "", 0, false // yaml.v3 takes no key longer than 1024 characters
	}
	q++
	for q < end && f.src[q] == ' ' {
		q++
	}
	return key, q, true
}

// view is the text src[p:q] without a copy. Scalars and keys go into the JSON buffer and
// the path hashes at once and are not kept past the document, whose source does not change
// while it is read.
func (f *fast) view(p, q int) string {
	if p == q {
		return ""
	}
	return unsafe.String(&f.src[p], q-p)
}

func keyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' || c == '/'
}

// value reads the value of a mapping key or a sequence item that starts at p on the current
// line (p at the line's end: on the next lines). indent is the parent's indentation.
func (f *fast) value(p, indent int, inMapping bool, h inventory.PathHash, parent int32) {
	end := f.lines[f.li].end
	if p == end || f.src[p] == '#' {
		// The value is on the next lines, or empty.
		f.li++
		if !f.skip() {
			f.buf = append(f.buf, "null"...)
			return
		}
		l := f.lines[f.li]
		switch {
		case l.indent > indent && f.startsItem(f.col):
			f.sequence(l.indent, h, parent)
		case l.indent == indent && inMapping && f.startsItem(f.col):
			f.sequence(l.indent, h, parent) // "key:\n- item": a list at the key's own indentation
		case l.indent > indent:
			f.mapping(l.indent, h, parent)
		default:
			f.buf = append(f.buf, "null"...)
		}
		return
	}
	switch c := f.src[p]; c {
	case '"', '\'':
		s, e, ok := f.quoted(p)
		if !ok {
			f.giveUp()
		}
		f.endOfLine(e)
		f.buf = appendString(f.buf, s)
	case '|':
		f.literal(p, indent)
		return
	case '{', '[':
		if p+1 < end && f.src[p+1] == c+2 { // {} or []
			f.endOfLine(p + 2)
			if c == '{' {
				f.buf = append(f.buf, "{}"...)
			} else {
				f.buf = append(f.buf, "[]"...)
			}
			break
		}
		f.giveUp()
	case '&', '*', '!', '%', '@', '`', '>', '?', ',', ']', '}', ':', '#':
		f.giveUp()
	default:
		if c == '-' && (p+1 == end || f.src[p+1] == ' ') {
			f.giveUp()
		}
		f.plain(p, end)
	}
	f.li++
}

// endOfLine checks that only spaces and a comment follow position p.
func (f *fast) endOfLine(p int) {
	end := f.lines[f.li].end
	if p < end && f.src[p] != ' ' {
		f.giveUp()
	}
	for p < end && f.src[p] == ' ' {
		p++
	}
	if p < end && f.src[p] != '#' {
		f.giveUp()
	}
}

// plain writes a one-line plain scalar resolved as yaml.v2 does.
func (f *fast) plain(p, end int) {
	q := p
	for q < end {
		c := f.src[q]
		if c == ':' && (q+1 == end || f.src[q+1] == ' ') {
			f.giveUp() // "a: b: c" is an error for yaml.v3 to report
		}
		if c == ' ' && q+1 < end && f.src[q+1] == '#' {
			break
		}
		q++
	}
	for q > p && f.src[q-1] == ' ' {
		q--
	}
	s := resolvePlain(f.view(p, q), "")
	switch s.kind {
	case sString:
		f.buf = appendString(f.buf, s.str)
	case sInt:
		f.buf = strconv.AppendInt(f.buf, s.i, 10)
	case sUint:
		f.buf = strconv.AppendUint(f.buf, s.u, 10)
	case sFloat:
		if s.f != s.f || s.f > 1.7976931348623157e308 || s.f < -1.7976931348623157e308 {
			f.giveUp() // .nan and .inf: an error for conv to report
		}
		f.buf = appendFloat(f.buf, s.f)
	case sBool:
		f.buf = strconv.AppendBool(f.buf, s.b)
	case sNull:
		f.buf = append(f.buf, "null"...)
	}
}

// quoted reads a one-line quoted scalar at p and returns it with the position after it.
func (f *fast) quoted(p int) (string, int, bool) {
	end := f.lines[f.li].end
	q := f.src[p]
	var out []byte
	simple := true
	for i := p + 1; i < end; i++ {
		c := f.src[i]
		switch {
		case c == q && q == '\'' && i+1 < end && f.src[i+1] == '\'':
			if simple {
				out, simple = append(out[:0], f.src[p+1:i]...), false
			}
			out = append(out, '\'')
			i++
		case c == q:
			if simple {
				return f.view(p+1, i), i + 1, true
			}
			return string(out), i + 1, true
		case c == '\\' && q == '"':
			if simple {
				out, simple = append(out[:0], f.src[p+1:i]...), false
			}
			if i+1 >= end {
				return "", 0, false
			}
			i++
			switch e := f.src[i]; e {
			case '\\', '"':
				out = append(out, e)
			case 'n':
				out = append(out, '\n')
			case 't':
				out = append(out, '\t')
			case 'r':
				out = append(out, '\r')
			case '0':
				out = append(out, 0)
			case 'x', 'u', 'U':
				n := 2
				if e == 'u' {
					n = 4
				} else if e == 'U' {
					n = 8
				}
				if i+n >= end {
					return "", 0, false
				}
				v, err := strconv.ParseUint(string(f.src[i+1:i+1+n]), 16, 32)
				if err != nil || v >= 0xd800 && v <= 0xdfff || v > utf8.MaxRune {
					return "", 0, false
				}
				out = utf8.AppendRune(out, rune(v))
				i += n
			default:
				return "", 0, false
			}
		default:
			if !simple {
				out = append(out, c)
			}
		}
	}
	return "", 0, false // not closed on this line
}

// literal reads a literal block scalar ("|" or "|-") whose header is at p; parent is the
// indentation of the mapping or sequence it belongs to.
func (f *fast) literal(p, parent int) {
	end := f.lines[f.li].end
	strip := false
	q := p + 1
	if q < end && f.src[q] == '-' {
		strip = true
		q++
	}
	f.endOfLine(q)
	// The content's indentation is that of its first non-blank line.
	first := f.li + 1
	n := first
	for n < len(f.lines) && isBlank(f.lines[n]) {
		n++
	}
	if n == len(f.lines) || f.lines[n].indent <= parent {
		f.giveUp() // empty: rare enough to leave to yaml.v3
	}
	ind := f.lines[n].indent
	var s []byte
	content := 0 // length of s up to the end of the last content line
	broken := false
	i := first
	for ; i < len(f.lines); i++ {
		l := f.lines[i]
		if isBlank(l) {
			if l.end-l.start > ind {
				f.giveUp() // spaces beyond the indentation: leave to yaml.v3
			}
			s = append(s, '\n')
			continue
		}
		if l.indent < ind {
			break
		}
		s = append(s, f.src[l.start+ind:l.end]...)
		content = len(s)
		s = append(s, '\n')
		broken = l.end < len(f.src) // the line ends with a line break
	}
	s = s[:content]
	if !strip && broken {
		s = append(s, '\n')
	}
	f.buf = appendString(f.buf, string(s))
	f.li = i
}

func isBlank(l fline) bool { return l.indent == l.end-l.start }
