package inventory

import (
	"hash/maphash"
	"slices"
	"strconv"
	"strings"
	"unsafe"
)

// LineTable maps field paths of one object to source lines. It keeps a hash of each path
// instead of the path, packed with the line into one 64-bit word: the hash's top 48 bits,
// then the line as an offset from the table's first line. That is 8 bytes per field of a large
// inventory; a collision among one object's fields has a chance of about n²/2⁴⁹.
type LineTable struct {
	entries []uint64
	base    int32
	// wide holds the rare lines that do not fit an offset: before base, or 65,535 or more
	// lines after it (a huge ConfigMap). Their entries carry wideOffset.
	wide   map[uint64]int32
	sorted bool
}

const (
	offsetBits = 16
	offsetMask = 1<<offsetBits - 1
	wideOffset = offsetMask
)

func lineKey(h PathHash) uint64 { return uint64(h) &^ offsetMask }

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
	if len(t.entries) == 0 && t.wide == nil {
		t.base = int32(line)
	}
	k, off := lineKey(h), int64(line)-int64(t.base)
	if off < 0 || off >= wideOffset {
		if t.wide == nil {
			t.wide = map[uint64]int32{}
		}
		t.wide[k] = int32(line)
		off = wideOffset
	}
	t.entries = append(t.entries, k|uint64(off))
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
	slices.Sort(t.entries)
	t.sorted = true
}

// Lookup returns the line of exactly path, or 0.
func (t *LineTable) Lookup(path string) int {
	if t == nil {
		return 0
	}
	t.Seal()
	k := lineKey(HashPath(path))
	i, _ := slices.BinarySearch(t.entries, k)
	if i == len(t.entries) || t.entries[i]&^offsetMask != k {
		return 0
	}
	if off := t.entries[i] & offsetMask; off != wideOffset {
		return int(t.base) + int(off)
	}
	return int(t.wide[k])
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

// LineShare makes sealed tables with equal entries use one array of them. Objects written
// alike (the workloads of one chart, the replicas of a cluster dump) have the same fields at
// the same distances from their first line, and so equal entries: in a generated cluster of
// 36,000 objects one table in five is distinct, and the entries are a tenth of the
// inventory. Sealed entries are only read; a table that grows again (Add) copies them first,
// since the arrays shared are full (length = capacity).
//
// The zero LineShare is not usable; make one with NewLineShare. It is not safe for
// concurrent use.
type LineShare struct {
	seed  maphash.Seed
	known map[uint64][][]uint64
}

// NewLineShare returns an empty LineShare.
func NewLineShare() *LineShare {
	return &LineShare{seed: maphash.MakeSeed(), known: map[uint64][][]uint64{}}
}

// Share makes t use the entries of the first table shared that had the same entries, or
// keeps t's for the tables to come. Unsealed tables are left alone: Seal sorts in place.
func (s *LineShare) Share(t *LineTable) {
	if t == nil || !t.sorted || len(t.entries) == 0 {
		return
	}
	sum := maphash.Bytes(s.seed, unsafe.Slice((*byte)(unsafe.Pointer(&t.entries[0])), len(t.entries)*8))
	for _, c := range s.known[sum] {
		if slices.Equal(c, t.entries) {
			t.entries = c
			return
		}
	}
	t.entries = slices.Clip(t.entries)
	s.known[sum] = append(s.known[sum], t.entries)
}
