package inventory

import (
	"cmp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// LineTable maps field paths of one object to source lines. It stores a 64-bit hash of each
// path instead of the path itself, which keeps positions for every field of a large inventory
// in a few bytes per field.
type LineTable struct {
	entries []lineEntry
	sorted  bool
}

type lineEntry struct {
	hash uint64
	line int32
}

// PathHash is the running hash of a field path. Start from Root and extend it one field or
// index at a time; equal paths give equal hashes however they were built.
type PathHash uint64

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// Root is the hash of the empty path.
const Root PathHash = fnvOffset

func (h PathHash) add(s string) PathHash {
	for i := 0; i < len(s); i++ {
		h ^= PathHash(s[i])
		h *= fnvPrime
	}
	return h
}

// Field extends the path with a map key: "spec" + "template" → "spec.template".
func (h PathHash) Field(name string) PathHash {
	if h != Root {
		h ^= '.'
		h *= fnvPrime
	}
	return h.add(name)
}

// Index extends the path with a list index: "containers" + 0 → "containers[0]".
func (h PathHash) Index(i int) PathHash {
	var buf [24]byte
	b := append(buf[:0], '[')
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, ']')
	return h.add(string(b))
}

// HashPath hashes a whole path written as "a.b[0].c".
func HashPath(path string) PathHash {
	return Root.add(path)
}

// Add records that the field at h starts on line.
func (t *LineTable) Add(h PathHash, line int) {
	t.entries = append(t.entries, lineEntry{uint64(h), int32(line)})
	t.sorted = false
}

// Len is the number of recorded fields.
func (t *LineTable) Len() int { return len(t.entries) }

// Grow makes room for n more fields, so that a loader that knows how many fields an object
// has allocates its table once.
func (t *LineTable) Grow(n int) { t.entries = slices.Grow(t.entries, n) }

// Seal sorts the table for lookups; Find calls it when needed, but loaders call it so that
// lookups from concurrent checks never write.
func (t *LineTable) Seal() {
	if t.sorted {
		return
	}
	slices.SortFunc(t.entries, func(a, b lineEntry) int { return cmp.Compare(a.hash, b.hash) })
	t.sorted = true
}

// Lookup returns the line of exactly path, or 0.
func (t *LineTable) Lookup(path string) int {
	if t == nil {
		return 0
	}
	t.Seal()
	h := uint64(HashPath(path))
	i := sort.Search(len(t.entries), func(i int) bool { return t.entries[i].hash >= h })
	if i < len(t.entries) && t.entries[i].hash == h {
		return int(t.entries[i].line)
	}
	return 0
}

// Find returns the line of path or of its closest recorded ancestor, or 0.
func (t *LineTable) Find(path string) int {
	for path != "" {
		if l := t.Lookup(path); l > 0 {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return 0
		}
		path = path[:i]
	}
	return 0
}
