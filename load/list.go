package load

import (
	"bytes"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// A List dump (kubectl get -o yaml) is one document that can hold a whole cluster. Parsed
// as one YAML tree it would need several times its size in memory, so a large one is cut
// into its items by indentation and each item is parsed alone. Anything unusual (an alias
// between items, a flow-style list, an item that does not parse alone) falls back to
// parsing the document whole, which gives the same objects.

// listSplitMin is the chunk size from which Lists are read item by item.
var listSplitMin = 256 << 10

// span is an item's bytes in the chunk and the chunk line it starts on.
type span struct{ start, end, line int }

// bigList reads a large List chunk item by item. It returns false, having reported
// nothing, when the chunk is not a List it can cut.
func (d *decoder) bigList(chunk []byte, line int) bool {
	header, items, indent, ok := cutList(chunk)
	if !ok {
		return false
	}
	var h yaml.Node
	if parseOne(header, &h) != nil || len(h.Content) == 0 || h.Content[0].Kind != yaml.MappingNode {
		return false
	}
	_, apiVersion, kind, isList := yamlList(h.Content[0])
	if !isList {
		return false
	}
	// Build objects item by item, so that only one item's tree is in memory. If an item does
	// not parse alone, drop what this chunk produced and read the document whole.
	objs, errs := len(d.objs), len(d.errs)
	var src []byte
	for _, it := range items {
		src = append(src[:0], chunk[it.start:it.end]...)
		src[indent] = ' ' // "- key: v" → "  key: v": the item becomes a plain mapping
		off := line - 1 + it.line - 1
		if f := &d.f; fastPath && f.object(src, off) && (f.top.hasAPIVersion || f.top.hasKind) && !strings.HasSuffix(f.top.kind, "List") {
			d.object(f.buf, f.ents, f.top, f.rootLine, nil, true)
			continue
		}
		var n yaml.Node
		if parseOne(src, &n) != nil || len(n.Content) != 1 {
			d.objs, d.errs = d.objs[:objs], d.errs[:errs]
			return false
		}
		d.c.source(src)
		d.listItem(n.Content[0], off, src, apiVersion, kind)
	}
	return true
}

// cutList finds the items of a block-style "items:" list at the top of chunk. It returns the
// chunk without the items (for apiVersion and kind), the items, and their indentation.
func cutList(chunk []byte) (header []byte, items []span, indent int, ok bool) {
	itemsAt, end := -1, -1
	indent = -1
	for pos, line := 0, 1; pos < len(chunk); line++ {
		e := bytes.IndexByte(chunk[pos:], '\n')
		next := len(chunk)
		if e >= 0 {
			next = pos + e + 1
		}
		l := chunk[pos:next]
		trimmed := bytes.TrimLeft(l, " ")
		ind := len(l) - len(trimmed)
		blank := len(bytes.TrimSpace(trimmed)) == 0 || trimmed[0] == '#'
		switch {
		case itemsAt < 0:
			if ind == 0 && isItemsKey(l) {
				itemsAt = next
			}
		case end >= 0:
			// after the items
		case blank:
		case indent < 0:
			if !bytes.HasPrefix(trimmed, []byte("- ")) || ind > 0 && ind != 2 {
				return nil, nil, 0, false // flow style, "-" alone, or unusual layout
			}
			indent = ind
			items = append(items, span{pos, next, line})
		case ind == indent && bytes.HasPrefix(trimmed, []byte("- ")):
			items[len(items)-1].end = pos
			items = append(items, span{pos, next, line})
		case ind > indent:
			items[len(items)-1].end = next
		case ind == 0:
			items[len(items)-1].end = pos
			end = pos
		default:
			return nil, nil, 0, false
		}
		pos = next
	}
	if itemsAt < 0 || len(items) == 0 {
		return nil, nil, 0, false
	}
	if end < 0 {
		end = items[len(items)-1].end
	}
	header = append(append([]byte{}, chunk[:itemsAt]...), chunk[end:]...)
	return header, items, indent, true
}

// isItemsKey matches a top-level "items:" line with nothing but a comment after it.
func isItemsKey(l []byte) bool {
	rest, ok := bytes.CutPrefix(l, []byte("items:"))
	if !ok {
		return false
	}
	r := strings.TrimSpace(string(rest))
	return r == "" || r[0] == '#'
}
