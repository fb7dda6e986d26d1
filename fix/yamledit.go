package fix

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strings"
	"unicode/utf8"

	yaml "go.yaml.in/yaml/v3"

	"github.com/kubeharden/kubeharden/check"
)

// file is one manifest being edited. Edits never re-encode the document: each becomes a
// splice of the original bytes at a place found from the positions of yaml.v3 nodes, so
// comments, key order, quoting, indentation and document separators stay as they were.
type file struct {
	name  string
	src   []byte
	lines []int // byte offset where each line starts; lines[0] is line 1
	docs  []*yaml.Node
	// byLine holds each object's mapping node by its first line.
	byLine map[int][]*yaml.Node
	st     style
	crlf   bool
	json   bool

	anchors map[*yaml.Node]*anchor
	order   []*anchor
	splices []splice
}

// anchor is an existing node under which new fields go, with the fields gathered from every
// edit that reaches it, so that two edits below a missing securityContext write it once.
type anchor struct {
	node *yaml.Node
	// key is the key whose value node is (nil for an object's root), keyIndent its column.
	key       *yaml.Node
	keyIndent int
	inFlow    bool
	tree      *omap
}

// splice replaces src[start:end] with text. At equal offsets, the text of the deeper node
// comes first: it belongs to the mapping that ends there.
type splice struct {
	start, end int
	text       string
	depth      int
}

// parseFile reads a manifest's documents; an error means it cannot be edited safely.
func parseFile(name string, src []byte) (*file, error) {
	f := &file{name: name, src: src, byLine: map[int][]*yaml.Node{}, anchors: map[*yaml.Node]*anchor{},
		crlf: bytes.Contains(src, []byte("\r\n")), st: style{step: 2}}
	f.json = strings.HasSuffix(strings.ToLower(name), ".json")
	f.lines = append(f.lines, 0)
	for i, c := range src {
		if c == '\n' {
			f.lines = append(f.lines, i+1)
		}
	}
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var doc yaml.Node
		err := parseDoc(dec, &doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		f.docs = append(f.docs, &doc)
		if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
			continue
		}
		root := doc.Content[0]
		f.byLine[root.Line] = append(f.byLine[root.Line], root)
		if items := listItems(root); items != nil {
			for _, it := range items {
				if it.Kind == yaml.MappingNode {
					f.byLine[it.Line] = append(f.byLine[it.Line], it)
				}
			}
		}
	}
	f.detectStyle()
	return f, nil
}

// parseDoc decodes one document; yaml.v3 panics on some malformed input, which becomes an error.
func parseDoc(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: %v", r)
		}
	}()
	return dec.Decode(n)
}

func listItems(root *yaml.Node) []*yaml.Node {
	kind := get(root, "kind")
	items := get(root, "items")
	if kind == nil || items == nil || items.Kind != yaml.SequenceNode || !strings.HasSuffix(kind.Value, "List") {
		return nil
	}
	return items.Content
}

// get returns the value of key in mapping m, or nil.
func get(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// detectStyle learns the file's indentation step and whether lists under keys are indented,
// from the first nested block mapping and block list it finds.
func (f *file) detectStyle() {
	stepSeen, seqSeen := false, false
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if stepSeen && seqSeen {
			return
		}
		if n.Kind == yaml.MappingNode && n.Style&yaml.FlowStyle == 0 {
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				if v.Line > k.Line && v.Style&yaml.FlowStyle == 0 {
					switch v.Kind {
					case yaml.MappingNode:
						if !stepSeen && v.Column > k.Column {
							f.st.step, stepSeen = v.Column-k.Column, true
						}
					case yaml.SequenceNode:
						if !seqSeen && len(v.Content) > 0 {
							if d := f.dashCol(v.Content[0]); d >= 0 {
								f.st.seqIndet, seqSeen = d > k.Column-1, true
							}
						}
					}
				}
				walk(v)
			}
		}
		for _, c := range n.Content {
			if n.Kind != yaml.MappingNode {
				walk(c)
			}
		}
	}
	for _, d := range f.docs {
		walk(d)
	}
}

// offset is the byte offset of a 1-based line and column.
func (f *file) offset(line, col int) int {
	if line < 1 || line > len(f.lines) {
		return len(f.src)
	}
	o := f.lines[line-1]
	for c := 1; c < col && o < len(f.src) && f.src[o] != '\n'; c++ {
		_, size := utf8.DecodeRune(f.src[o:])
		o += size
	}
	return o
}

// lineOf is the 1-based line of byte offset o.
func (f *file) lineOf(o int) int {
	return sort.Search(len(f.lines), func(i int) bool { return f.lines[i] > o })
}

// indentAt is the indentation of line l, or -1 for a blank line.
func (f *file) indentAt(l int) int {
	o := f.lines[l-1]
	n := 0
	for o+n < len(f.src) && f.src[o+n] == ' ' {
		n++
	}
	if o+n >= len(f.src) || f.src[o+n] == '\n' || f.src[o+n] == '\r' {
		return -1
	}
	return n
}

// dashCol is the column (0-based) of the dash in front of a block list item, or -1.
func (f *file) dashCol(item *yaml.Node) int {
	o := f.offset(item.Line, item.Column)
	start := f.lines[item.Line-1]
	for i := o - 1; i >= start; i-- {
		// Skip an anchor or tag in front of the item; the dash is followed by a space.
		if f.src[i] == '-' && i+1 < len(f.src) && (f.src[i+1] == ' ' || i+1 == o) {
			return i - start
		}
	}
	return -1
}

// lineEnd is the offset just past the end of the line holding o (past its newline), and
// whether the line had one.
func (f *file) lineEnd(o int) (int, bool) {
	i := bytes.IndexByte(f.src[o:], '\n')
	if i < 0 {
		return len(f.src), false
	}
	return o + i + 1, true
}

// scalarEnd is the offset just past a scalar's text; indent is the indentation of the key
// or dash that holds it (continuation lines are indented more).
func (f *file) scalarEnd(n *yaml.Node, indent int, inFlow bool) int {
	o := f.offset(n.Line, n.Column)
	switch {
	case n.Style&yaml.DoubleQuotedStyle != 0:
		for i := o + 1; i < len(f.src); i++ {
			if f.src[i] == '\\' {
				i++
				continue
			}
			if f.src[i] == '"' {
				return i + 1
			}
		}
		return len(f.src)
	case n.Style&yaml.SingleQuotedStyle != 0:
		for i := o + 1; i < len(f.src); i++ {
			if f.src[i] == '\'' {
				if i+1 < len(f.src) && f.src[i+1] == '\'' {
					i++
					continue
				}
				return i + 1
			}
		}
		return len(f.src)
	}
	end := f.plainEnd(o, inFlow)
	if inFlow {
		return end
	}
	// Continuation lines of a plain or block scalar are indented more than its key.
	for l := f.lineOf(o) + 1; l <= len(f.lines); l++ {
		ind := f.indentAt(l)
		if ind < 0 {
			continue
		}
		if ind <= indent || f.src[f.lines[l-1]+ind] == '#' {
			break
		}
		end = f.plainEnd(f.lines[l-1]+ind, false)
	}
	return end
}

// plainEnd is where plain text starting at o ends on its line: before a comment, and in flow
// context before a separator.
func (f *file) plainEnd(o int, inFlow bool) int {
	end := o
	for i := o; i < len(f.src); i++ {
		c := f.src[i]
		if c == '\n' || c == '\r' {
			break
		}
		if c == '#' && i > o && (f.src[i-1] == ' ' || f.src[i-1] == '\t') {
			break
		}
		if inFlow && (c == ',' || c == ']' || c == '}') {
			break
		}
		if c != ' ' && c != '\t' {
			end = i + 1
		}
	}
	return end
}

// flowEnd is the offset of the closing bracket of a flow collection.
func (f *file) flowEnd(n *yaml.Node) int {
	o := f.offset(n.Line, n.Column)
	depth := 0
	for i := o; i < len(f.src); i++ {
		switch c := f.src[i]; c {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i
			}
		case '"', '\'':
			j := i + 1
			for ; j < len(f.src); j++ {
				if c == '"' && f.src[j] == '\\' {
					j++
					continue
				}
				if f.src[j] == c {
					if c == '\'' && j+1 < len(f.src) && f.src[j+1] == '\'' {
						j++
						continue
					}
					break
				}
			}
			i = j
		case '#':
			if i > 0 && (f.src[i-1] == ' ' || f.src[i-1] == '\n') {
				e, _ := f.lineEnd(i)
				i = e - 1
			}
		}
	}
	return len(f.src)
}

// end is the offset just past node n's text. key is the key holding n (nil for a list item
// or root); indent is the column of that key or of the item's dash.
func (f *file) end(n *yaml.Node, key *yaml.Node, indent int, inFlow bool) int {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" && n.Value == "" && key != nil {
		return f.colonEnd(key, inFlow)
	}
	switch n.Kind {
	case yaml.MappingNode, yaml.SequenceNode:
		if n.Style&yaml.FlowStyle != 0 || len(n.Content) == 0 {
			return f.flowEnd(n) + 1
		}
		if n.Kind == yaml.MappingNode {
			k, v := n.Content[len(n.Content)-2], n.Content[len(n.Content)-1]
			return f.end(v, k, k.Column-1, false)
		}
		last := n.Content[len(n.Content)-1]
		return f.end(last, nil, f.dashCol(last), false)
	case yaml.AliasNode:
		return f.plainEnd(f.offset(n.Line, n.Column), inFlow)
	}
	return f.scalarEnd(n, indent, inFlow)
}

// colonEnd is the offset just past the colon that follows key.
func (f *file) colonEnd(key *yaml.Node, inFlow bool) int {
	o := f.offset(key.Line, key.Column)
	if key.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		o = f.scalarEnd(key, key.Column-1, true)
	}
	for i := o; i < len(f.src); i++ {
		if f.src[i] == ':' && (i+1 == len(f.src) || strings.IndexByte(" \t\r\n,]}", f.src[i+1]) >= 0) {
			return i + 1
		}
	}
	return len(f.src)
}

// edit records one edit of the object whose mapping is root.
func (f *file) edit(root *yaml.Node, e check.Edit) error {
	segs, err := parsePath(e.Path)
	if err != nil {
		return err
	}
	v, err := normalize(e.Value)
	if err != nil {
		return err
	}
	if len(segs) == 1 && (segs[0].key == "apiVersion" || segs[0].key == "kind") && (get(root, "kind") == nil || get(root, "apiVersion") == nil) {
		// An item of a List that takes its type from the list: edit the list by hand.
		return fmt.Errorf("%s: the object takes its type from its List", e.Path)
	}
	switch e.Op {
	case check.SetField:
		return f.set(root, segs, v)
	case check.AppendItem:
		return f.appendItem(root, segs, v)
	case check.RemoveField:
		return f.remove(root, segs)
	}
	return fmt.Errorf("edit %q cannot change an existing file", e.Op)
}

// walk follows segs from root as far as they exist. It returns the deepest node reached, the
// key holding it and that key's column, whether it sits in a flow collection, and how many
// steps were taken.
func (f *file) walk(root *yaml.Node, segs []seg) (n, key *yaml.Node, indent int, inFlow bool, i int, err error) {
	n, indent = root, root.Column-1
	for i = 0; i < len(segs); i++ {
		s := segs[i]
		if n.Kind == yaml.AliasNode || n.Anchor != "" && i > 0 {
			return nil, nil, 0, false, 0, fmt.Errorf("%s is a YAML anchor or alias: edit it by hand", pathString(segs[:i]))
		}
		flowHere := inFlow || n.Style&yaml.FlowStyle != 0
		if s.isIndex() {
			if n.Kind != yaml.SequenceNode || s.index >= len(n.Content) {
				return nil, nil, 0, false, 0, fmt.Errorf("%s has no item %d", pathString(segs[:i]), s.index)
			}
			key, inFlow = nil, flowHere
			n = n.Content[s.index]
			if !inFlow {
				indent = f.dashCol(n)
			}
			continue
		}
		if n.Kind != yaml.MappingNode {
			return n, key, indent, inFlow, i, nil
		}
		found := false
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == s.key {
				key, n, found = n.Content[j], n.Content[j+1], true
				indent, inFlow = key.Column-1, flowHere
				break
			}
		}
		if !found {
			return n, key, indent, inFlow, i, nil
		}
	}
	if n.Kind == yaml.AliasNode {
		return nil, nil, 0, false, 0, fmt.Errorf("%s is a YAML alias: edit it by hand", pathString(segs))
	}
	return n, key, indent, inFlow, len(segs), nil
}

func pathString(segs []seg) string {
	var b strings.Builder
	for i, s := range segs {
		if i > 0 && !s.isIndex() {
			b.WriteByte('.')
		}
		b.WriteString(s.String())
	}
	return b.String()
}

// decoded is a node's value as JSON-like values.
func decoded(n *yaml.Node) any {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil
	}
	out, err := normalize(v)
	if err != nil {
		return nil
	}
	return out
}

func equal(a, b any) bool {
	if an, ok := a.(json.Number); ok {
		if bn, ok := b.(json.Number); ok {
			af, e1 := an.Float64()
			bf, e2 := bn.Float64()
			return e1 == nil && e2 == nil && af == bf
		}
	}
	return reflect.DeepEqual(a, b)
}

func (f *file) set(root *yaml.Node, segs []seg, v any) error {
	// A mapping value over an existing mapping sets its leaves, so that what is there stays.
	if m, ok := v.(map[string]any); ok && len(m) > 0 {
		n, _, _, _, i, err := f.walk(root, segs)
		if err == nil && i == len(segs) && n.Kind == yaml.MappingNode {
			for _, k := range sortedKeys(m) {
				if err := f.set(root, append(append([]seg{}, segs...), seg{key: k, index: -1}), m[k]); err != nil {
					return err
				}
			}
			return nil
		}
	}
	n, key, indent, inFlow, i, err := f.walk(root, segs)
	if err != nil {
		return err
	}
	if i < len(segs) {
		return f.add(n, key, indent, inFlow, segs, i, func(m *omap, k string) error {
			m.set(k, v)
			return nil
		})
	}
	if equal(decoded(n), v) {
		return nil
	}
	if n.Kind != yaml.ScalarNode || isCollection(v) {
		return fmt.Errorf("%s holds a different %s: replace it by hand", pathString(segs), kindName(n))
	}
	if n.Tag == "!!null" && n.Value == "" {
		o := f.colonEnd(key, inFlow)
		f.splices = append(f.splices, splice{start: o, end: o, text: " " + scalar(v), depth: indent})
		return nil
	}
	start := f.offset(n.Line, n.Column)
	end := f.scalarEnd(n, indent, inFlow)
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 || bytes.ContainsAny(f.src[start:end], "\n") {
		return fmt.Errorf("%s is a multi-line scalar: replace it by hand", pathString(segs))
	}
	text := scalar(v)
	if s, ok := v.(string); ok {
		switch {
		case n.Style&yaml.DoubleQuotedStyle != 0 || f.json:
			b, _ := json.Marshal(s)
			text = string(b)
		case n.Style&yaml.SingleQuotedStyle != 0 && !strings.ContainsAny(s, "\n"):
			text = "'" + strings.ReplaceAll(s, "'", "''") + "'"
		}
	}
	f.splices = append(f.splices, splice{start: start, end: end, text: text, depth: indent})
	return nil
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	return "value"
}

// add records new fields below n, the deepest existing node of segs[:i]; put stores the
// value under the last key.
func (f *file) add(n, key *yaml.Node, indent int, inFlow bool, segs []seg, i int, put func(*omap, string) error) error {
	isNull := n.Kind == yaml.ScalarNode && n.Tag == "!!null"
	if n.Kind != yaml.MappingNode && !isNull {
		return fmt.Errorf("%s is a %s, not a mapping", pathString(segs[:i]), kindName(n))
	}
	if isNull && key == nil {
		return fmt.Errorf("%s is null", pathString(segs[:i]))
	}
	for _, s := range segs[i:] {
		if s.isIndex() {
			return fmt.Errorf("%s: item %d of a missing list", pathString(segs), s.index)
		}
	}
	a := f.anchors[n]
	if a == nil {
		a = &anchor{node: n, key: key, keyIndent: indent, inFlow: inFlow, tree: newOmap()}
		f.anchors[n] = a
		f.order = append(f.order, a)
	}
	m := a.tree
	for _, s := range segs[i : len(segs)-1] {
		if s.isIndex() {
			return fmt.Errorf("%s: item %d of a missing list", pathString(segs), s.index)
		}
		next, ok := m.vals[s.key].(*omap)
		if !ok {
			if _, taken := m.vals[s.key]; taken {
				return fmt.Errorf("%s: conflicting edits", pathString(segs))
			}
			next = newOmap()
			m.set(s.key, next)
		}
		m = next
	}
	last := segs[len(segs)-1]
	if last.isIndex() {
		return fmt.Errorf("%s: item %d of a missing list", pathString(segs), last.index)
	}
	return put(m, last.key)
}

func (f *file) appendItem(root *yaml.Node, segs []seg, v any) error {
	n, key, indent, inFlow, i, err := f.walk(root, segs)
	if err != nil {
		return err
	}
	if i < len(segs) || (n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
		if i == len(segs) {
			// "key:" or "key: null": the list replaces the null.
			return f.set(root, segs, []any{v})
		}
		return f.add(n, key, indent, inFlow, segs, i, func(m *omap, k string) error {
			l, _ := m.vals[k].([]any)
			for _, x := range l {
				if equal(x, v) {
					return nil
				}
			}
			m.set(k, append(l, v))
			return nil
		})
	}
	if n.Kind != yaml.SequenceNode {
		return fmt.Errorf("%s is a %s, not a list", pathString(segs), kindName(n))
	}
	for _, it := range n.Content {
		if equal(decoded(it), v) {
			return nil
		}
	}
	if n.Style&yaml.FlowStyle != 0 || len(n.Content) == 0 {
		close := f.flowEnd(n)
		text := flow(v)
		if f.json {
			text = jsonFlow(v)
		}
		if len(n.Content) > 0 {
			text = ", " + text
		}
		f.splices = append(f.splices, splice{start: close, end: close, text: text, depth: 1 << 20})
		return nil
	}
	last := n.Content[len(n.Content)-1]
	dash := f.dashCol(n.Content[0])
	at, nl := f.lineEnd(f.end(last, nil, f.dashCol(last), false))
	var b strings.Builder
	if !nl {
		b.WriteString("\n")
	}
	f.st.list(&b, []any{v}, dash)
	f.splices = append(f.splices, splice{start: at, end: at, text: b.String(), depth: dash})
	return nil
}

func (f *file) remove(root *yaml.Node, segs []seg) error {
	n, key, indent, inFlow, i, err := f.walk(root, segs)
	if err != nil {
		return err
	}
	if i < len(segs) {
		return nil // already absent
	}
	if key == nil || inFlow {
		return fmt.Errorf("%s: only a key of a block mapping can be removed", pathString(segs))
	}
	start := f.lines[key.Line-1]
	if f.indentAt(key.Line) != key.Column-1 {
		return fmt.Errorf("%s does not start its line: remove it by hand", pathString(segs))
	}
	end, _ := f.lineEnd(f.end(n, key, indent, false))
	f.splices = append(f.splices, splice{start: start, end: end, depth: indent})
	return nil
}

// flush turns the gathered new fields into splices.
func (f *file) flush() error {
	var errs []error
	for _, a := range f.order {
		if err := f.flushAnchor(a); err != nil {
			errs = append(errs, err)
		}
	}
	f.order, f.anchors = nil, map[*yaml.Node]*anchor{}
	return errors.Join(errs...)
}

func (f *file) flushAnchor(a *anchor) error {
	n := a.node
	var b strings.Builder
	switch {
	case n.Kind == yaml.MappingNode && n.Style&yaml.FlowStyle == 0 && len(n.Content) > 0:
		k, v := n.Content[len(n.Content)-2], n.Content[len(n.Content)-1]
		ind := n.Content[0].Column - 1
		at, nl := f.lineEnd(f.end(v, k, k.Column-1, false))
		if !nl {
			b.WriteString("\n")
		}
		f.st.block(&b, a.tree, ind)
		f.splices = append(f.splices, splice{start: at, end: at, text: b.String(), depth: ind})
	case n.Kind == yaml.MappingNode && (len(n.Content) > 0 || a.inFlow || a.key == nil || f.json):
		// A flow mapping takes the new fields in flow style, before its closing brace.
		close := f.flowEnd(n)
		parts := make([]string, len(a.tree.keys))
		for i, k := range a.tree.keys {
			if f.json || (len(n.Content) > 0 && n.Content[0].Style&yaml.DoubleQuotedStyle != 0) {
				kb, _ := json.Marshal(k)
				parts[i] = string(kb) + ": " + jsonFlow(a.tree.vals[k])
			} else {
				parts[i] = quoteString(k) + ": " + flow(a.tree.vals[k])
			}
		}
		text := strings.Join(parts, ", ")
		if len(n.Content) > 0 {
			text = ", " + text
		}
		f.splices = append(f.splices, splice{start: close, end: close, text: text, depth: 1 << 20})
	default:
		// "key: {}", "key:" or "key: null" in a block mapping: the value becomes a block.
		colon := f.colonEnd(a.key, false)
		valEnd := colon
		if !(n.Kind == yaml.ScalarNode && n.Value == "") {
			valEnd = f.end(n, a.key, a.keyIndent, false)
		}
		at, nl := f.lineEnd(valEnd)
		if !nl {
			b.WriteString("\n")
		}
		ind := a.keyIndent + f.st.step
		f.st.block(&b, a.tree, ind)
		// The old value goes; a comment after it stays on the key's line.
		f.splices = append(f.splices, splice{start: colon, end: valEnd, text: "", depth: ind})
		f.splices = append(f.splices, splice{start: at, end: at, text: b.String(), depth: ind})
	}
	return nil
}

// apply returns the file with every splice made; overlapping splices after the first are
// dropped with an error.
func (f *file) apply() ([]byte, error) {
	sp := f.splices
	sort.SliceStable(sp, func(i, j int) bool {
		if sp[i].start != sp[j].start {
			return sp[i].start < sp[j].start
		}
		return sp[i].depth > sp[j].depth
	})
	var out bytes.Buffer
	var errs []error
	pos := 0
	for _, s := range sp {
		if s.start < pos {
			errs = append(errs, fmt.Errorf("%s:%d: overlapping edits", f.name, f.lineOf(s.start)))
			continue
		}
		out.Write(f.src[pos:s.start])
		text := s.text
		if f.crlf {
			text = strings.ReplaceAll(text, "\n", "\r\n")
		}
		out.WriteString(text)
		pos = s.end
	}
	out.Write(f.src[pos:])
	return out.Bytes(), errors.Join(errs...)
}
