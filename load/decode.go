package load

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
	kjson "sigs.k8s.io/json"

	"github.com/kubeharden/kubeharden/inventory"
)

// builtin holds the kinds decoded to typed objects: client-go's built-in API groups. The loader
// keeps its own copy because libraries add to client-go's global scheme when imported (Helm
// adds CustomResourceDefinition), and which kinds are typed must not depend on that.
var builtin = func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := scheme.AddToScheme(s); err != nil {
		panic(err) // only a programming error in client-go can get here
	}
	return s
}()

// sniffSize is how much of a file is checked for being text.
const sniffSize = 8 << 10

// internalError starts the message of an Error that is a bug in the loader, not in the input.
const internalError = "internal error"

// Decode reads every object in one file's bytes: YAML (one or more documents) or JSON (one
// or more values), with List kinds expanded. name is the file name objects and errors carry.
// A bad document becomes an Error with its line and the other documents are still read.
func Decode(name string, data []byte) ([]*inventory.Object, []inventory.Error) {
	d := &decoder{name: name}
	d.decode(data)
	return d.objs, d.errs
}

// decoder reads one file at a time; a worker keeps one to reuse its buffers.
type decoder struct {
	name string
	objs []*inventory.Object
	errs []inventory.Error
	c    conv
	s    jscan
	f    fast
	// lenient skips documents that are not Kubernetes objects (skip.go) instead of
	// reporting them as errors.
	lenient bool
	skips   []Skip
	// warned counts errors about objects that were still loaded (unknown and duplicate
	// fields): input that was read, unlike every other error.
	warned int
	// depth is how deep the List being read is nested in other Lists.
	depth int
	// share, when set, shares the parts of the objects decoded (share.go) as each file, or
	// each run of documents of a large file, is done: on every core, and while the objects
	// are still in the processor's cache, rather than in one pass over all of them after.
	share *sharer
}

func (d *decoder) errorf(line int, format string, args ...any) {
	d.errs = append(d.errs, inventory.Error{File: d.name, Line: line, Message: fmt.Sprintf(format, args...)})
}

func (d *decoder) decode(data []byte) {
	defer d.release()
	defer func() {
		if r := recover(); r != nil {
			d.errorf(0, "%s while reading this file (please report it): %v", internalError, r)
		}
	}()
	data, msg := text(data)
	if msg != "" {
		d.errorf(0, "%s", msg)
		return
	}
	if parallelWorth(data) {
		d.parallel(data)
		return
	}
	split(data, func(chunk []byte, line int) {
		d.chunk(chunk, line)
	})
	if d.share != nil {
		d.share.objects(d.objs)
	}
}

// release drops what the reusable buffers still point at in the file just read, so that a
// worker does not keep a file's bytes alive while it reads the next.
func (d *decoder) release() {
	d.c.src, d.f.src, d.s.data = nil, nil, nil
	clear(d.f.keys[:cap(d.f.keys)])
}

// text checks that data is UTF-8 text and returns it without a byte order mark. UTF-16 with
// a byte order mark (as some Windows tools write) is converted.
func text(data []byte) ([]byte, string) {
	switch {
	case bytes.HasPrefix(data, []byte{0xef, 0xbb, 0xbf}):
		data = data[3:]
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}), bytes.HasPrefix(data, []byte{0xfe, 0xff}):
		if len(data)%2 != 0 {
			return nil, "not a manifest: odd-length UTF-16 text"
		}
		u := make([]uint16, 0, len(data)/2-1)
		for i := 2; i+1 < len(data); i += 2 {
			if data[0] == 0xff {
				u = append(u, uint16(data[i])|uint16(data[i+1])<<8)
			} else {
				u = append(u, uint16(data[i])<<8|uint16(data[i+1]))
			}
		}
		data = []byte(string(utf16.Decode(u)))
	}
	head := data[:min(len(data), sniffSize)]
	if bytes.IndexByte(head, 0) >= 0 {
		return nil, "not a manifest: binary file (contains NUL bytes)"
	}
	if len(data) > sniffSize {
		// Do not count a character cut in two at the end of the sample.
		for i := 1; i < utf8.UTFMax && i <= len(head); i++ {
			if utf8.RuneStart(head[len(head)-i]) {
				if !utf8.FullRune(head[len(head)-i:]) {
					head = head[:len(head)-i]
				}
				break
			}
		}
	}
	if !utf8.Valid(head) {
		return nil, "not a manifest: not UTF-8 text"
	}
	return data, ""
}

// split cuts a YAML stream into documents at "---" lines (alone or followed by a comment, as
// kubectl splits) and after "..." lines, so that a broken document does not take the next
// ones with it. Each chunk comes with the line it starts on. A "---" followed by content
// stays inside its chunk; the YAML parser splits those.
func split(data []byte, f func(chunk []byte, line int)) {
	start, startLine := 0, 1
	line := 1
	for pos := 0; pos < len(data); {
		end := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if end >= 0 {
			end += pos
			next = end + 1
		} else {
			end = len(data)
		}
		l := bytes.TrimRight(data[pos:end], "\r")
		switch {
		case isMarker(l, "---"):
			f(data[start:pos], startLine)
			start, startLine = next, line+1
		case isMarker(l, "..."):
			// The end of a document; what follows until a "---" is another one.
			f(data[start:pos], startLine)
			start, startLine = next, line+1
		}
		pos = next
		line++
	}
	f(data[start:], startLine)
}

func isMarker(l []byte, m string) bool {
	if !bytes.HasPrefix(l, []byte(m)) {
		return false
	}
	rest := bytes.TrimLeft(l[3:], " \t")
	return len(rest) == 0 || rest[0] == '#' && len(rest) < len(l)-3
}

func (d *decoder) chunk(chunk []byte, line int) {
	i := 0
	for i < len(chunk) && (chunk[i] == ' ' || chunk[i] == '\t' || chunk[i] == '\r' || chunk[i] == '\n') {
		i++
	}
	if i == len(chunk) {
		return
	}
	if chunk[i] == '{' && d.jsonStream(chunk, line) {
		return
	}
	d.yamlChunk(chunk, line)
}

// yamlChunk parses the YAML documents of one chunk.
func (d *decoder) yamlChunk(chunk []byte, line int) {
	if len(chunk) >= listSplitMin && d.bigList(chunk, line) {
		return
	}
	if !multiDoc(chunk) {
		if d.fast(chunk, line-1) {
			return
		}
		// One document: parse it in place, without the stream decoder's buffers.
		var doc yaml.Node
		if err := parseOne(chunk, &doc); err != nil {
			l, msg := yamlErrorLine(chunk, err)
			d.errorf(line-1+l, "invalid YAML: %s", msg)
			return
		}
		d.yamlDoc(&doc, line-1, chunk)
		return
	}
	dec := yaml.NewDecoder(bytes.NewReader(chunk))
	for {
		var doc yaml.Node
		err := parse(dec, &doc)
		if err == io.EOF {
			return
		}
		if err != nil {
			l, msg := yamlErrorLine(chunk, err)
			d.errorf(line-1+l, "invalid YAML: %s", msg)
			return
		}
		d.yamlDoc(&doc, line-1, chunk)
	}
}

// fast decodes a one-document chunk without a YAML tree when it is written plainly enough
// (see fast.go). It returns false, having done nothing, otherwise. Lists are left to the
// general path.
func (d *decoder) fast(chunk []byte, off int) bool {
	f := &d.f
	if !fastPath || !f.object(chunk, off) || strings.HasSuffix(f.top.kind, "List") {
		return false
	}
	d.object(f.buf, f.ents, f.top, f.rootLine, nil, true)
	return true
}

// fastPath turns the fast reader on; benchmarks turn it off to measure what it saves.
var fastPath = true

// multiDoc reports whether a chunk may hold more than one document: split leaves only
// markers followed by content ("--- |") and directives inside chunks.
func multiDoc(chunk []byte) bool {
	for _, m := range []string{"---", "...", "%"} {
		if bytes.HasPrefix(chunk, []byte(m)) || bytes.Contains(chunk, []byte("\n"+m)) {
			return true
		}
	}
	return false
}

// parseOne parses a chunk holding one document, turning a panic in the parser into an error.
func parseOne(chunk []byte, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: %s in the YAML parser: %v", internalError, r)
		}
	}()
	return yaml.Unmarshal(chunk, n)
}

// parse runs the YAML parser, turning a panic inside it into an error.
func parse(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: %s in the YAML parser: %v", internalError, r)
		}
	}()
	return dec.Decode(n)
}

var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?`)

// scannerProblems are the yaml.v3 errors found while scanning tokens; their line is already
// 1-based. Parser errors give a 0-based line.
var scannerProblems = []string{
	"block sequence entries are not allowed", "could not find expected", "did not find URI",
	"did not find expected '!'", "did not find expected alphabetic", "did not find expected comment",
	"did not find expected digit", "did not find expected hexdecimal", "did not find expected tag URI",
	"did not find expected version", "did not find expected whitespace", "did not find the expected '>'",
	"found a tab character", "found an incorrect", "found an indentation indicator",
	"found character that cannot", "found extremely long", "found invalid Unicode", "found unexpected",
	"found unknown", "mapping keys are not allowed", "mapping values are not allowed",
}

// yamlErrorLine finds the 1-based line within chunk of a yaml.v3 error, and its message.
func yamlErrorLine(chunk []byte, err error) (int, string) {
	msg := err.Error()
	m := yamlLine.FindStringSubmatch(msg)
	if m == nil {
		return 1, msg
	}
	msg = msg[len(m[0]):]
	if name, ok := strings.CutPrefix(msg, "unknown anchor '"); ok {
		name, _, _ = strings.Cut(name, "'")
		if i := bytes.Index(chunk, []byte("*"+name)); i >= 0 {
			return 1 + bytes.Count(chunk[:i], []byte("\n")), msg
		}
		return 1, msg
	}
	line := 0
	if m[1] != "" {
		line, _ = strconv.Atoi(m[1])
	}
	for _, p := range scannerProblems {
		if strings.HasPrefix(msg, p) {
			return max(line, 1), msg
		}
	}
	// A parser error names the 0-based line where the enclosing collection starts, not
	// where it went wrong: find the shortest prefix of the chunk that fails the same way.
	return problemLine(chunk, line+1, msg), msg
}

// problemLine finds the first line from which prefixes of chunk fail with the message want,
// searching lines from..end (binary search: a prefix that fails stays failed when it grows).
func problemLine(chunk []byte, from int, want string) int {
	starts := []int{0}
	for i, c := range chunk {
		if c == '\n' && i+1 < len(chunk) {
			starts = append(starts, i+1)
		}
	}
	fails := func(lines int) bool {
		end := len(chunk)
		if lines < len(starts) {
			end = starts[lines]
		}
		dec := yaml.NewDecoder(bytes.NewReader(chunk[:end]))
		for {
			var n yaml.Node
			err := parse(dec, &n)
			if err == io.EOF {
				return false
			}
			if err != nil {
				return yamlLine.ReplaceAllString(err.Error(), "") == want
			}
		}
	}
	hi := len(starts)
	lo := min(max(from, 1), hi)
	if !fails(hi) {
		return lo
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// yamlDoc handles one parsed YAML document; off is the line before the chunk.
func (d *decoder) yamlDoc(doc *yaml.Node, off int, src []byte) {
	if len(doc.Content) == 0 {
		return
	}
	d.c.source(src)
	n := doc.Content[0]
	if n.Kind == yaml.ScalarNode && n.Style&quoted == 0 && resolvePlain(n.Value, "").kind == sNull {
		return // an empty document, or only comments
	}
	if n.Kind != yaml.MappingNode {
		d.notObject(n.Line+off, describe(n))
		return
	}
	if items, apiVersion, kind, ok := yamlList(n); ok {
		for _, item := range items {
			d.listItem(item, off, src, apiVersion, kind)
		}
		return
	}
	d.yamlObject(n, n.Line+off, off, src, nil)
}

// maxListDepth bounds the nesting of Lists in Lists, which kubectl flattens at any depth.
const maxListDepth = 64

// notObject reports a document that is not an object: an error, or when lenient a skip.
func (d *decoder) notObject(line int, found string) {
	if d.lenient {
		d.skip(line, "not an object: "+found)
		return
	}
	d.errorf(line, "document is not an object: found %s", found)
}

// listItem decodes one item of a List; items without apiVersion and kind get the list's.
func (d *decoder) listItem(item *yaml.Node, off int, src []byte, apiVersion, kind string) {
	it := item
	if it.Kind == yaml.AliasNode && it.Alias != nil {
		it = it.Alias
	}
	if it.Kind != yaml.MappingNode {
		d.errorf(item.Line+off, "item of %s is not an object: found %s", kind, describe(it))
		return
	}
	if items, apiVersion, kind, ok := yamlList(it); ok && d.depth < maxListDepth {
		// A List in a List: kubectl flattens them at any depth.
		d.depth++
		for _, sub := range items {
			d.listItem(sub, off, src, apiVersion, kind)
		}
		d.depth--
		return
	}
	var prefix []string
	if !hasKey(it, "apiVersion") && !hasKey(it, "kind") {
		prefix = []string{apiVersion, strings.TrimSuffix(kind, "List")}
	}
	d.yamlObject(it, item.Line+off, off, src, prefix)
}

// describe names what a non-object document is, without its content.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		s, err := resolveScalar(n)
		if err != nil {
			return "a scalar"
		}
		switch s.kind {
		case sInt, sUint, sFloat:
			return "a number"
		case sBool:
			return "a boolean"
		case sNull:
			return "null"
		}
		return "a string"
	}
	return "a " + kindName(n)
}

// yamlList recognises a List (kind "List" or "...List" with an items list).
func yamlList(n *yaml.Node) (items []*yaml.Node, apiVersion, kind string, ok bool) {
	var isList bool
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			continue
		}
		if v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		switch k.Value {
		case "kind":
			if v.Kind == yaml.ScalarNode {
				kind = v.Value
			}
		case "apiVersion":
			if v.Kind == yaml.ScalarNode {
				apiVersion = v.Value
			}
		case "items":
			if v.Kind == yaml.SequenceNode {
				items, isList = v.Content, true
			} else if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				items, isList = nil, true
			}
		}
	}
	return items, apiVersion, kind, isList && strings.HasSuffix(kind, "List")
}

func hasKey(n *yaml.Node, key string) bool {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Kind == yaml.ScalarNode && n.Content[i].Value == key {
			return true
		}
	}
	return false
}

// yamlObject converts one object's mapping to JSON and decodes it.
func (d *decoder) yamlObject(n *yaml.Node, line, off int, src []byte, prefix []string) {
	c := &d.c
	c.reset(off, 4*len(src)+jsonSlack)
	c.prefix = prefix
	if err := c.object(n); err != nil {
		var de *docError
		if errors.As(err, &de) && de.line > 0 {
			line = de.line
		}
		d.errorf(line, "%s", err.Error())
		return
	}
	d.object(c.buf, c.ents, c.top, line, c.dups, true)
}

// An object's JSON may be at most 4 times the size of its YAML chunk plus jsonSlack: YAML
// without aliases never expands that much, and the cap keeps a small file that aliases one
// large value many times from exhausting memory.
const jsonSlack = 16 << 20

// jsonStream reads a chunk of one or more JSON values. It returns false, having done
// nothing, when the first value is not valid JSON: the chunk is then read as YAML (a flow
// mapping like {a: 1} is YAML but not JSON).
func (d *decoder) jsonStream(chunk []byte, line int) bool {
	s := &d.s
	pos := 0
	for n := 0; ; n++ {
		for pos < len(chunk) && (chunk[pos] == ' ' || chunk[pos] == '\t' || chunk[pos] == '\r' || chunk[pos] == '\n') {
			if chunk[pos] == '\n' {
				line++
			}
			pos++
		}
		if pos == len(chunk) {
			return true
		}
		s.reset(chunk[pos:], line, false, true)
		if err := s.value(inventory.Root, -1); err != nil {
			if n == 0 {
				return false
			}
			var de *docError
			errors.As(err, &de)
			d.errorf(de.line, "%s (the rest of this document is skipped)", de.msg)
			return true
		}
		end, endLine := pos+s.pos, s.line
		d.jsonDoc(chunk[pos:end], line)
		pos, line = end, endLine
	}
}

// jsonDoc handles one JSON value that starts on line.
func (d *decoder) jsonDoc(doc []byte, line int) {
	s := &d.s
	if doc[0] != '{' {
		switch doc[0] {
		case '[':
			d.notObject(line, "a list")
		case '"':
			d.notObject(line, "a string")
		case 'n':
			// null: an empty document
		case 't', 'f':
			d.notObject(line, "a boolean")
		default:
			d.notObject(line, "a number")
		}
		return
	}
	if s.items >= 0 && strings.HasSuffix(s.top.kind, "List") {
		apiVersion, kind := s.top.apiVersion, s.top.kind
		var items []entry
		for _, e := range s.ents {
			if e.parent == s.items {
				items = append(items, e)
			}
		}
		for _, e := range items {
			item := doc[e.start:e.end]
			if item[0] != '{' {
				d.errorf(int(e.line), "item of %s is not an object", kind)
				continue
			}
			s.reset(item, int(e.line), false, true)
			if s.value(inventory.Root, -1) != nil {
				continue // cannot happen: the item was scanned already
			}
			if s.items >= 0 && strings.HasSuffix(s.top.kind, "List") && d.depth < maxListDepth {
				// A List in a List: kubectl flattens them at any depth.
				d.depth++
				d.jsonDoc(item, int(e.line))
				d.depth--
				continue
			}
			if !s.top.hasAPIVersion && !s.top.hasKind && s.top.badAPIVersion == 0 && s.top.badKind == 0 {
				item = withTypeMeta(item, apiVersion, strings.TrimSuffix(kind, "List"))
			}
			d.jsonObject(item, int(e.line))
		}
		return
	}
	d.jsonObject(doc, line)
}

// withTypeMeta adds apiVersion and kind to an object, for the items of a typed List which
// the API server writes without them.
func withTypeMeta(obj []byte, apiVersion, kind string) []byte {
	out := make([]byte, 0, len(obj)+len(apiVersion)+len(kind)+32)
	out = append(out, '{')
	out = appendString(out, "apiVersion")
	out = append(out, ':')
	out = appendString(out, apiVersion)
	out = append(out, ',')
	out = appendString(out, "kind")
	out = append(out, ':')
	out = appendString(out, kind)
	if rest := bytes.TrimLeft(obj[1:], " \t\r\n"); len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
	}
	return append(out, obj[1:]...)
}

func (d *decoder) jsonObject(obj []byte, line int) {
	s := &d.s
	s.reset(obj, line, true, false)
	if err := s.value(inventory.Root, -1); err != nil {
		var de *docError
		errors.As(err, &de)
		d.errorf(de.line, "%s", de.msg)
		return
	}
	d.object(obj, s.ents, s.top, line, nil, false)
}

// object decodes one object's JSON into a typed object for kinds client-go knows, or
// unstructured content otherwise, and reports what the API server's strict decoding would.
// dups are duplicate keys found while converting YAML, reported with the object. converted
// says that data is JSON converted from YAML, whose keys are unique: the converter reports
// and drops duplicates, and the fast reader gives such documents up. The decoder's own
// search for duplicates would then find none, and it builds a set of keys for every map
// (labels, selectors, data) to look.
func (d *decoder) object(data []byte, ents []entry, t top, line int, dups []docError, converted bool) {
	table := &inventory.LineTable{}
	table.Grow(len(ents))
	for i := range ents {
		table.Add(ents[i].hash, int(ents[i].line))
	}
	table.Seal()
	if len(dups) > 0 {
		what := describeObject(t, peekName(data))
		for _, e := range dups {
			d.errorf(e.line, "%s: %s", what, e.msg)
		}
		d.warned += len(dups)
	}
	switch {
	case t.badAPIVersion > 0:
		d.errorf(t.badAPIVersion, "apiVersion must be a string")
		return
	case t.badKind > 0:
		d.errorf(t.badKind, "kind must be a string")
		return
	case (!t.hasAPIVersion || t.apiVersion == "") && (!t.hasKind || t.kind == ""):
		if d.lenient {
			d.skip(line, "no apiVersion and no kind")
			return
		}
		d.errorf(line, "object has no apiVersion and no kind")
		return
	case !t.hasAPIVersion || t.apiVersion == "":
		d.errorf(line, "%s has no apiVersion", t.kind)
		return
	case !t.hasKind || t.kind == "":
		d.errorf(line, "object has no kind")
		return
	}
	gv, err := schema.ParseGroupVersion(t.apiVersion)
	if err != nil {
		d.errorf(table.Find("apiVersion"), "invalid apiVersion %q: want GROUP/VERSION or VERSION", t.apiVersion)
		return
	}
	gvk := gv.WithKind(t.kind)
	var obj runtime.Object
	var strict []error
	checks := strictAll
	if converted {
		checks = strictUnknown
	}
	if typed, err := builtin.New(gvk); err == nil {
		strict, err = kjson.UnmarshalStrict(data, typed, checks...)
		if err != nil {
			d.decodeError(data, ents, reflect.TypeOf(typed), t, line, err)
			return
		}
		obj = typed
	} else {
		m := map[string]any{}
		strict, err = kjson.UnmarshalStrict(data, &m, checks...)
		if err != nil {
			d.decodeError(data, ents, nil, t, line, err)
			return
		}
		obj = &unstructured.Unstructured{Object: m}
	}
	o := inventory.New(obj, inventory.Source{File: d.name, Line: line}, table)
	d.warned += len(strict)
	for _, e := range strict {
		var fe kjson.FieldError
		if errors.As(e, &fe) {
			kind, _, _ := strings.Cut(e.Error(), " \"")
			d.errorf(table.Find(fe.FieldPath()), "%s: %s %q", describeObject(t, o.Name), kind, fe.FieldPath())
			continue
		}
		d.errorf(line, "%s: %s", describeObject(t, o.Name), e.Error())
	}
	// A pod without containers is refused by the API server whatever the workload kind;
	// the object is kept, so that what it does say is still judged.
	for _, pt := range o.PodTemplates() {
		if len(pt.Spec.Containers) == 0 {
			d.errorf(o.Line(pt.Path+".containers"), "%s: %s.containers: a pod needs at least one container (the API server refuses it)", describeObject(t, o.Name), pt.Path)
		}
	}
	d.objs = append(d.objs, o)
}

// The strict decoder's checks: all of them for JSON input, only unknown fields for JSON
// converted from YAML.
var (
	strictAll     = []kjson.StrictOption{kjson.DisallowDuplicateFields, kjson.DisallowUnknownFields}
	strictUnknown = []kjson.StrictOption{kjson.DisallowUnknownFields}
)

func describeObject(t top, name string) string {
	kind := t.kind
	if kind == "" {
		kind = "object"
	}
	if name == "" {
		return kind
	}
	return kind + " " + strconv.Quote(name)
}

// decodeError reports an object that cannot be decoded, at the field that failed.
func (d *decoder) decodeError(data []byte, ents []entry, typ reflect.Type, t top, line int, err error) {
	what := describeObject(t, peekName(data))
	var te *json.UnmarshalTypeError
	isSyntax, offset := kjson.SyntaxErrorOffset(err)
	switch {
	case errors.As(err, &te):
		if i := innermost(ents, int(te.Offset)); i >= 0 {
			d.errorf(int(ents[i].line), "%s: %s: expected %s, got %s", what, entryPath(data, ents, i), typeName(te.Type), valueName(te.Value))
			return
		}
		d.errorf(line, "%s: %s: expected %s, got %s", what, te.Field, typeName(te.Type), valueName(te.Value))
	case isSyntax:
		// Only JSON input can get here (our own JSON is well-formed), and the scan before
		// decoding has checked its syntax already.
		if i := innermost(ents, int(offset)); i >= 0 {
			line = int(ents[i].line)
		}
		d.errorf(line, "%s: invalid JSON: %s", what, strings.TrimPrefix(err.Error(), "json: "))
	default:
		msg := strings.TrimPrefix(err.Error(), "json: ")
		if typ != nil {
			if i := locateCustom(typ, data, ents, err); i >= 0 {
				d.errorf(int(ents[i].line), "%s: %s: %s", what, entryPath(data, ents, i), msg)
				return
			}
		}
		d.errorf(line, "%s: %s", what, msg)
	}
}

// peekName finds metadata.name for messages about an object that did not decode.
func peekName(data []byte) string {
	var m struct {
		Metadata struct {
			Name string `json:"name"`
		} `json:"metadata"`
	}
	if kjson.UnmarshalCaseSensitivePreserveInts(data, &m) != nil {
		return ""
	}
	return m.Metadata.Name
}
