package load

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kubeharden/kubeharden/inventory"
)

// This file turns a YAML node into the JSON that kubectl would send to the API server, and
// records where every field came from on the way.
//
// kubectl and the API server convert YAML with sigs.k8s.io/yaml, which reads YAML 1.1 scalars
// (yes/no/on/off are booleans, 0777 is octal, 1e3 is a float) through yaml.v2 and then
// marshals the result with encoding/json. yaml.v3 resolves plain scalars by YAML 1.2 rules,
// so we only take its tree and positions, and resolve scalars ourselves the v2 way:
// otherwise a `value: on` or `mode: 0644` would decode differently here than in a cluster.

const maxDepth = 10000 // as encoding/json and yaml.v3

// docError is a problem in one document, at a line of the file.
type docError struct {
	line int
	msg  string
}

func (e *docError) Error() string { return e.msg }

// entry is one field (a mapping value or a sequence item) in the JSON being built, so that
// an error found while decoding the JSON can be traced back to a path and a line.
type entry struct {
	start, end int32 // the value's bytes in the JSON
	line       int32
	parent     int32              // index of the enclosing entry, -1 at the top
	hash       inventory.PathHash // the field's path
	keyStart   int32              // the quoted key in the JSON, for fields
	keyEnd     int32
	index      int32 // the item index, or -1 for fields
}

// top is what the root mapping says about itself.
type top struct {
	apiVersion, kind       string
	hasAPIVersion, hasKind bool
	badAPIVersion, badKind int // line of a non-string value
}

type pair struct {
	key     string
	k, v    *yaml.Node
	merged  bool // came from a << merge
	aliased bool // came from a << merge of an alias
	drop    bool // overridden by a later key
}

// conv converts one object's node tree. It is reused across documents by one worker.
type conv struct {
	buf   []byte
	ents  []entry
	pairs []pair
	off   int // added to node lines: the document's offset in the file
	limit int // largest JSON allowed, against alias bombs
	depth int
	top   top
	// prefix are apiVersion and kind inherited from a typed List, written first.
	prefix []string

	decodes, aliased, aliasDepth int
	// open are the collections being converted and the alias targets being expanded: an
	// alias to one of them would never end.
	open []*yaml.Node
	// outer is the outermost alias being expanded, where an expansion error is reported.
	outer *yaml.Node
	dups  []docError
	// src is the chunk the nodes were parsed from; curLine starts at curOff in it.
	src             []byte
	curLine, curOff int
}

func (c *conv) reset(off, limit int) {
	c.buf = c.buf[:0]
	c.ents = c.ents[:0]
	c.pairs = c.pairs[:0]
	c.off, c.limit, c.depth = off, limit, 0
	c.top = top{}
	c.prefix = nil
	c.decodes, c.aliased, c.aliasDepth = 0, 0, 0
	c.open = c.open[:0]
	c.outer = nil
	c.dups = c.dups[:0]
}

func (c *conv) line(n *yaml.Node) int { return n.Line + c.off }

func (c *conv) fail(n *yaml.Node, format string, args ...any) error {
	line := 0
	if n != nil {
		line = c.line(n)
	}
	return &docError{line, fmt.Sprintf(format, args...)}
}

// tick counts a visited node and stops documents that expand aliases out of all proportion
// to their size (a "billion laughs"). The budget is yaml.v2's, which kubectl uses: up to 99%
// of nodes may come from aliases in documents of up to 400,000 nodes, sliding down to 10% at
// 4,000,000.
func (c *conv) tick(n *yaml.Node) error {
	c.decodes++
	if c.aliasDepth > 0 {
		c.aliased++
		n = c.outer
	}
	if c.aliased > 100 && c.decodes > 1000 && float64(c.aliased)/float64(c.decodes) > aliasRatio(c.decodes) {
		return c.fail(n, "document expands aliases excessively (more than yaml.v2 allows)")
	}
	if len(c.buf) > c.limit {
		return c.fail(n, "document expands aliases to more than %d MiB of JSON", c.limit>>20)
	}
	return nil
}

func aliasRatio(decodes int) float64 {
	const low, high = 400000, 4000000
	switch {
	case decodes <= low:
		return 0.99
	case decodes >= high:
		return 0.10
	}
	return 0.99 - 0.89*float64(decodes-low)/float64(high-low)
}

// enter follows an alias, refusing one that refers to a node it is inside of.
func (c *conv) enter(n *yaml.Node) (*yaml.Node, error) {
	if n.Alias == nil {
		return nil, c.fail(n, "unknown anchor %q", n.Value)
	}
	for _, e := range c.open {
		if e == n.Alias {
			return nil, c.fail(n, "anchor %q is used inside itself", n.Value)
		}
	}
	if c.aliasDepth == 0 {
		c.outer = n
	}
	c.open = append(c.open, n.Alias)
	c.aliasDepth++
	return n.Alias, nil
}

func (c *conv) leave() {
	c.open = c.open[:len(c.open)-1]
	c.aliasDepth--
}

// object converts the root mapping of an object.
func (c *conv) object(n *yaml.Node) error {
	c.top.badAPIVersion, c.top.badKind = 0, 0
	return c.value(n, inventory.Root, -1)
}

func (c *conv) value(n *yaml.Node, h inventory.PathHash, parent int32) error {
	if err := c.tick(n); err != nil {
		return err
	}
	switch n.Kind {
	case yaml.AliasNode:
		t, err := c.enter(n)
		if err != nil {
			return err
		}
		err = c.value(t, h, parent)
		c.leave()
		return err
	case yaml.ScalarNode:
		return c.scalar(n)
	case yaml.SequenceNode:
		return c.sequence(n, h, parent)
	case yaml.MappingNode:
		return c.mapping(n, h, parent)
	case yaml.DocumentNode:
		if len(n.Content) == 1 {
			return c.value(n.Content[0], h, parent)
		}
	}
	return c.fail(n, "unexpected YAML node")
}

func (c *conv) push(n *yaml.Node) error {
	c.depth++
	if c.depth > maxDepth {
		return c.fail(n, "document nests deeper than 10000 levels")
	}
	c.open = append(c.open, n)
	return nil
}

func (c *conv) pop() {
	c.depth--
	c.open = c.open[:len(c.open)-1]
}

func (c *conv) sequence(n *yaml.Node, h inventory.PathHash, parent int32) error {
	if err := c.push(n); err != nil {
		return err
	}
	c.buf = append(c.buf, '[')
	for i, item := range n.Content {
		if i > 0 {
			c.buf = append(c.buf, ',')
		}
		line := c.line(item)
		hi := h.Index(i)
		e := int32(len(c.ents))
		c.ents = append(c.ents, entry{start: int32(len(c.buf)), line: int32(line), parent: parent, index: int32(i), hash: hi})
		if err := c.value(item, hi, e); err != nil {
			return err
		}
		c.ents[e].end = int32(len(c.buf))
	}
	c.buf = append(c.buf, ']')
	c.pop()
	return nil
}

func (c *conv) mapping(n *yaml.Node, h inventory.PathHash, parent int32) error {
	if err := c.push(n); err != nil {
		return err
	}
	root := c.depth == 1
	base := len(c.pairs)
	if err := c.collect(n, false); err != nil {
		return err
	}
	c.dedupe(base, h, parent)
	c.buf = append(c.buf, '{')
	first := true
	if root && c.prefix != nil {
		c.buf = appendString(c.buf, "apiVersion")
		c.buf = append(c.buf, ':')
		c.buf = appendString(c.buf, c.prefix[0])
		c.buf = append(c.buf, ',')
		c.buf = appendString(c.buf, "kind")
		c.buf = append(c.buf, ':')
		c.buf = appendString(c.buf, c.prefix[1])
		c.top.apiVersion, c.top.kind = c.prefix[0], c.prefix[1]
		c.top.hasAPIVersion, c.top.hasKind = true, true
		first = false
	}
	for i := base; i < len(c.pairs); i++ {
		p := c.pairs[i] // copy: c.pairs grows while converting the value
		if p.drop {
			continue
		}
		if !first {
			c.buf = append(c.buf, ',')
		}
		first = false
		line := c.line(p.k)
		hk := h.Field(p.key)
		ks := int32(len(c.buf))
		c.buf = appendString(c.buf, p.key)
		c.buf = append(c.buf, ':')
		e := int32(len(c.ents))
		c.ents = append(c.ents, entry{start: int32(len(c.buf)), line: int32(line), parent: parent, keyStart: ks, keyEnd: int32(len(c.buf) - 1), index: -1, hash: hk})
		vs := len(c.buf)
		if p.aliased {
			// Merged in from an alias: counts against the alias budget.
			c.aliasDepth++
		}
		err := c.value(p.v, hk, e)
		if p.aliased {
			c.aliasDepth--
		}
		if err != nil {
			return err
		}
		c.ents[e].end = int32(len(c.buf))
		if root {
			c.top.note(p.key, line, c.buf[vs:])
		}
	}
	c.buf = append(c.buf, '}')
	c.pairs = c.pairs[:base]
	c.pop()
	return nil
}

// note remembers apiVersion and kind from the root mapping, which decide how the object
// is decoded; val is the field's JSON.
func (t *top) note(key string, line int, val []byte) {
	var s *string
	var has *bool
	var bad *int
	switch key {
	case "apiVersion":
		s, has, bad = &t.apiVersion, &t.hasAPIVersion, &t.badAPIVersion
	case "kind":
		s, has, bad = &t.kind, &t.hasKind, &t.badKind
	default:
		return
	}
	*has = true
	if len(val) > 0 && val[0] == '"' {
		if err := json.Unmarshal(val, s); err == nil {
			*bad = 0
			return
		}
	}
	if string(val) == "null" {
		*has = false // as the API server: a null kind is no kind
		return
	}
	*bad = line
}

// collect appends the key/value pairs of mapping n to c.pairs in the order yaml.v2 applies
// them: a << merge writes its keys where it stands, later keys overwrite earlier ones.
func (c *conv) collect(n *yaml.Node, merged bool) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMerge(k) {
			if err := c.merge(v); err != nil {
				return err
			}
			continue
		}
		if err := c.tick(k); err != nil {
			return err
		}
		key, err := c.key(k)
		if err != nil {
			return err
		}
		c.pairs = append(c.pairs, pair{key: key, k: k, v: v, merged: merged, aliased: c.aliasDepth > 0})
	}
	return nil
}

func isMerge(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && k.Tag == "!!merge" &&
		k.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0
}

func (c *conv) merge(v *yaml.Node) error {
	if err := c.push(v); err != nil {
		return err
	}
	defer c.pop()
	if v.Kind == yaml.AliasNode {
		t, err := c.enter(v)
		if err != nil {
			return err
		}
		defer c.leave()
		if t.Kind != yaml.MappingNode {
			return c.fail(v, "a << merge needs a mapping or a list of mappings")
		}
		return c.collect(t, true)
	}
	switch v.Kind {
	case yaml.MappingNode:
		return c.collect(v, true)
	case yaml.SequenceNode:
		// Earlier mappings win, so apply them last.
		for i := len(v.Content) - 1; i >= 0; i-- {
			m := v.Content[i]
			if m.Kind == yaml.AliasNode {
				t, err := c.enter(m)
				if err != nil {
					return err
				}
				if t.Kind != yaml.MappingNode {
					c.leave()
					return c.fail(m, "a << merge needs a mapping or a list of mappings")
				}
				err = c.collect(t, true)
				c.leave()
				if err != nil {
					return err
				}
				continue
			}
			if m.Kind != yaml.MappingNode {
				return c.fail(m, "a << merge needs a mapping or a list of mappings")
			}
			if err := c.collect(m, true); err != nil {
				return err
			}
		}
		return nil
	}
	return c.fail(v, "a << merge needs a mapping or a list of mappings")
}

// dedupe keeps the last of equal keys, as a map does, and notes written-out duplicates: the
// API server's strict field validation rejects them. A key that overrides one pulled in by
// << is what merges are for, so that is not a duplicate.
func (c *conv) dedupe(base int, h inventory.PathHash, parent int32) {
	ps := c.pairs[base:]
	if len(ps) < 2 {
		return
	}
	mark := func(i, j int) {
		ps[i].drop = true
		if !ps[i].merged && !ps[j].merged {
			c.dups = append(c.dups, docError{c.line(ps[j].k), fmt.Sprintf("duplicate field %q (first set on line %d)", c.pathOf(parent, ps[j].key), c.line(ps[i].k))})
		}
	}
	if len(ps) <= 16 {
		for i := range ps {
			for j := i + 1; j < len(ps); j++ {
				if ps[i].key == ps[j].key {
					mark(i, j)
					break
				}
			}
		}
		return
	}
	last := make(map[string]int, len(ps))
	for j := range ps {
		if i, ok := last[ps[j].key]; ok {
			mark(i, j)
		}
		last[ps[j].key] = j
	}
}

// pathOf is the dotted path of key under the entry parent, for messages.
func (c *conv) pathOf(parent int32, key string) string {
	p := entryPath(c.buf, c.ents, parent)
	if p == "" {
		return key
	}
	return p + "." + key
}

// key converts a mapping key to the string JSON will use, as sigs.k8s.io/yaml does.
func (c *conv) key(k *yaml.Node) (string, error) {
	if k.Kind == yaml.AliasNode {
		t, err := c.enter(k)
		if err != nil {
			return "", err
		}
		defer c.leave()
		k = t
	}
	if k.Kind != yaml.ScalarNode {
		return "", c.fail(k, "a mapping key must be a scalar, not a %s", kindName(k))
	}
	s, err := c.resolve(k)
	if err != nil {
		return "", c.fail(k, "%s", err.msg)
	}
	switch s.kind {
	case sString:
		return s.str, nil
	case sInt:
		return strconv.FormatInt(s.i, 10), nil
	case sFloat:
		f := strconv.FormatFloat(s.f, 'g', -1, 32)
		switch f {
		case "+Inf":
			f = ".inf"
		case "-Inf":
			f = "-.inf"
		case "NaN":
			f = ".nan"
		}
		return f, nil
	case sBool:
		return strconv.FormatBool(s.b), nil
	case sNull:
		return "", c.fail(k, "a mapping key cannot be null")
	}
	return "", c.fail(k, "mapping key %s is out of range", k.Value)
}

func (c *conv) scalar(n *yaml.Node) error {
	s, err := c.resolve(n)
	if err != nil {
		return c.fail(n, "%s", err.msg)
	}
	switch s.kind {
	case sString:
		c.buf = appendString(c.buf, s.str)
	case sInt:
		c.buf = strconv.AppendInt(c.buf, s.i, 10)
	case sUint:
		c.buf = strconv.AppendUint(c.buf, s.u, 10)
	case sFloat:
		if math.IsInf(s.f, 0) || math.IsNaN(s.f) {
			return c.fail(n, "%s cannot be represented in JSON", n.Value)
		}
		c.buf = appendFloat(c.buf, s.f)
	case sBool:
		c.buf = strconv.AppendBool(c.buf, s.b)
	case sNull:
		c.buf = append(c.buf, "null"...)
	}
	return nil
}

type scalarKind uint8

const (
	sString scalarKind = iota
	sInt
	sUint
	sFloat
	sBool
	sNull
)

type scalar struct {
	kind scalarKind
	str  string
	i    int64
	u    uint64
	f    float64
	b    bool
}

type scalarError struct{ msg string }

const quoted = yaml.DoubleQuotedStyle | yaml.SingleQuotedStyle | yaml.LiteralStyle | yaml.FoldedStyle

// resolve is resolveScalar, except that a plain scalar with the non-specific tag "!" is a
// string, as in yaml.v2. yaml.v3 drops that tag, so look for it in the source.
func (c *conv) resolve(n *yaml.Node) (scalar, *scalarError) {
	s, err := resolveScalar(n)
	if err == nil && s.kind != sString && n.Style == 0 && c.bang(n) {
		return scalar{kind: sString, str: n.Value}, nil
	}
	return s, err
}

// source sets the text that the next nodes were parsed from.
func (c *conv) source(src []byte) {
	c.src, c.curLine, c.curOff = src, 0, 0
}

// bang reports whether node n starts with "!" in the source. Nodes come in document order,
// so a cursor moves forward through the source; an alias may send it back to the start.
func (c *conv) bang(n *yaml.Node) bool {
	if c.src == nil || n.Line < 1 || n.Column < 1 {
		return false
	}
	if n.Line < c.curLine || c.curLine == 0 {
		c.curLine, c.curOff = 1, 0
	}
	for c.curLine < n.Line {
		// A line break is \n, \r\n or a lone \r, as yaml.v3 counts them.
		i := bytes.IndexAny(c.src[c.curOff:], "\r\n")
		if i < 0 {
			return false
		}
		c.curOff += i + 1
		if c.src[c.curOff-1] == '\r' && c.curOff < len(c.src) && c.src[c.curOff] == '\n' {
			c.curOff++
		}
		c.curLine++
	}
	line := c.src[c.curOff:]
	for col := 1; col < n.Column && len(line) > 0; col++ {
		_, size := utf8.DecodeRune(line)
		line = line[size:]
	}
	// The node starts at its properties: an anchor may come before the tag.
	if len(line) > 0 && line[0] == '&' {
		i := bytes.IndexAny(line, " \t\r\n")
		if i < 0 {
			return false
		}
		line = bytes.TrimLeft(line[i:], " \t")
	}
	return len(line) > 0 && line[0] == '!'
}

// resolveScalar gives a scalar node the value yaml.v2 gives it when decoding into
// interface{}: quoted and block scalars are strings; plain ones are resolved by YAML 1.1
// rules; an explicit standard tag converts or fails; other tags leave the text as a string.
func resolveScalar(n *yaml.Node) (scalar, *scalarError) {
	if n.Style&yaml.TaggedStyle == 0 {
		if n.Style&quoted != 0 {
			return scalar{kind: sString, str: n.Value}, nil
		}
		return resolvePlain(n.Value, ""), nil
	}
	switch n.Tag {
	case "!!str":
		return scalar{kind: sString, str: n.Value}, nil
	case "!!binary":
		b, err := base64.StdEncoding.DecodeString(n.Value)
		if err != nil {
			return scalar{}, &scalarError{"!!binary value is not valid base64"}
		}
		return scalar{kind: sString, str: string(b)}, nil
	case "!!bool", "!!int", "!!float", "!!null", "!!timestamp":
		s := resolvePlain(n.Value, n.Tag)
		got := s.tag()
		if got == n.Tag || n.Tag == "!!timestamp" && got == "!!str" && isTimestamp(n.Value) {
			return s, nil
		}
		if n.Tag == "!!float" && s.kind == sInt {
			return scalar{kind: sFloat, f: float64(s.i)}, nil
		}
		return scalar{}, &scalarError{fmt.Sprintf("cannot decode a %s as %s", strings.TrimPrefix(got, "!!"), n.Tag)}
	}
	return scalar{kind: sString, str: n.Value}, nil
}

func (s scalar) tag() string {
	switch s.kind {
	case sInt, sUint:
		return "!!int"
	case sFloat:
		return "!!float"
	case sBool:
		return "!!bool"
	case sNull:
		return "!!null"
	}
	return "!!str"
}

var (
	yaml11Bools = map[string]bool{
		"y": true, "Y": true, "yes": true, "Yes": true, "YES": true,
		"true": true, "True": true, "TRUE": true,
		"on": true, "On": true, "ON": true,
		"n": false, "N": false, "no": false, "No": false, "NO": false,
		"false": false, "False": false, "FALSE": false,
		"off": false, "Off": false, "OFF": false,
	}
	yaml11Special = map[string]float64{
		".nan": math.NaN(), ".NaN": math.NaN(), ".NAN": math.NaN(),
		".inf": math.Inf(1), ".Inf": math.Inf(1), ".INF": math.Inf(1),
		"+.inf": math.Inf(1), "+.Inf": math.Inf(1), "+.INF": math.Inf(1),
		"-.inf": math.Inf(-1), "-.Inf": math.Inf(-1), "-.INF": math.Inf(-1),
	}
	floatSyntax = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)
)

// resolvePlain resolves an untagged plain scalar (tag "") or checks a tagged one, by the
// YAML 1.1 rules of yaml.v2. Timestamps stay strings, as yaml.v2 keeps them in interface{}.
func resolvePlain(s, tag string) scalar {
	str := scalar{kind: sString, str: s}
	if s == "" {
		return scalar{kind: sNull}
	}
	switch c := s[0]; {
	case c == '~' || c == 'n' || c == 'N':
		if s == "~" || s == "null" || s == "Null" || s == "NULL" {
			return scalar{kind: sNull}
		}
	case c == '.' || c == '+' || c == '-' || c >= '0' && c <= '9':
	case strings.IndexByte("yYtTfFoO", c) >= 0:
	default:
		return str // the common case: a word
	}
	if b, ok := yaml11Bools[s]; ok {
		return scalar{kind: sBool, b: b}
	}
	if f, ok := yaml11Special[s]; ok {
		return scalar{kind: sFloat, f: f}
	}
	switch c := s[0]; {
	case c == '.':
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return scalar{kind: sFloat, f: f}
		}
	case c == '+' || c == '-' || c >= '0' && c <= '9':
		if (tag == "" || tag == "!!timestamp") && isTimestamp(s) {
			return str
		}
		if !numberLike(s) {
			return str // "500m", "128Mi", "1.27.3-alpine": not worth the parse errors
		}
		plain := strings.ReplaceAll(s, "_", "")
		if i, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return scalar{kind: sInt, i: i}
		}
		if u, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return scalar{kind: sUint, u: u}
		}
		if floatSyntax.MatchString(plain) {
			if f, err := strconv.ParseFloat(plain, 64); err == nil {
				return scalar{kind: sFloat, f: f}
			}
		}
		if b, ok := strings.CutPrefix(plain, "-0b"); ok {
			if i, err := strconv.ParseInt("-"+b, 2, 64); err == nil {
				return scalar{kind: sInt, i: i}
			}
		}
	}
	return str
}

// numberLike reports whether s has only characters that a YAML 1.1 int or float can have
// (digits, signs, '_', '.', exponents and the hex, octal and binary prefixes and digits).
func numberLike(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
		case c == '+', c == '-', c == '_', c == '.', c == 'x', c == 'X', c == 'o', c == 'O':
		default:
			return false
		}
	}
	return true
}

var timestampLayouts = []string{
	"2006-1-2T15:4:5.999999999Z07:00",
	"2006-1-2t15:4:5.999999999Z07:00",
	"2006-1-2 15:4:5.999999999",
	"2006-1-2",
}

// isTimestamp reports whether yaml.v2 would read s as a timestamp (which it then keeps as the
// original string): four digits, a dash, and one of its layouts.
func isTimestamp(s string) bool {
	if len(s) < 5 || s[4] != '-' {
		return false
	}
	for i := 0; i < 4; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	for _, l := range timestampLayouts {
		if _, err := time.Parse(l, s); err == nil {
			return true
		}
	}
	return false
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	return "scalar"
}

// appendString writes s as a JSON string. Invalid UTF-8 passes through: the JSON decoder
// replaces it with U+FFFD exactly as encoding/json's encoder would have.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			const hex = "0123456789abcdef"
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendFloat formats f as encoding/json does (the shortest representation, with an
// exponent only for very small or large magnitudes), so that e.g. 1.0 becomes 1 and still
// fits an integer field, as it does with kubectl.
func appendFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 → e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
