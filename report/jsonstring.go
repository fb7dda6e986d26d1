package report

import (
	"math/bits"
	"unicode/utf8"
)

// appendString appends s as encoding/json writes a string with HTML escaping off (as
// newEncoder does): quotes, backslashes and control bytes escaped, invalid UTF-8 as
// \ufffd, and U+2028 and U+2029 escaped (TestAppendStringEqualsEncoder). Nearly every
// byte of a report's strings is printable ASCII, so runs of plain bytes are found eight
// bytes at a time and copied whole.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start, i := 0, 0
	for {
		if i = plainTo(s, i); i == len(s) {
			break
		}
		b = append(b, s[start:i]...)
		if c := s[i]; c < utf8.RuneSelf {
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
		} else {
			r, size := utf8.DecodeRuneInString(s[i:])
			switch {
			case r == utf8.RuneError && size == 1:
				b = append(b, `\ufffd`...)
			case r == '\u2028' || r == '\u2029':
				// JSONP cannot hold line and paragraph separators.
				b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			default:
				b = append(b, s[i:i+size]...)
			}
			i += size
		}
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// load8 reads the first eight bytes of s as a little-endian word (the compiler makes it one
// load).
func load8(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// plainTo returns the index of the first byte of s at or after i that is not plain, or
// len(s).
func plainTo(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		if m := notPlain(load8(s[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	switch {
	case i == len(s):
		return i
	case len(s) >= 8:
		// The bytes left, shifted out of the last eight bytes and followed by spaces.
		k := uint(8 - (len(s) - i))
		if m := notPlain(load8(s[len(s)-8:])>>(8*k) | 0x2020202020202020<<(64-8*k)); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
		return len(s)
	}
	for i < len(s) && plain[s[i]] {
		i++
	}
	return i
}

// notPlain has the high bit of the first byte in x (the lowest) that is not plain set, and
// none below it: a byte is not plain at or above 0x80 (its high bit), below 0x20 (it
// borrows into its high bit when 0x20 is subtracted), or equal to a quote or a backslash
// (XORed with it, it borrows when one is subtracted). Borrows run upwards, from bytes that
// are not plain, so the bits above the first one mean nothing.
func notPlain(x uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	return (x | (x - 0x20*ones) | ((x ^ '"'*ones) - ones) | ((x ^ '\\'*ones) - ones)) & highs
}

// plain marks the bytes that encoding/json writes in a string as they are (with HTML
// escaping off): printable ASCII, and DEL, but quotes and backslashes.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()
