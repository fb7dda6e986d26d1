package report

import "unicode/utf8"

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
		for i+8 <= len(s) && !needsEscape(load8(s[i:])) {
			i += 8
		}
		// At most eight bytes to the one that is not plain, or to the end.
		for i < len(s) && plain[s[i]] {
			i++
		}
		if i == len(s) {
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

// needsEscape says whether any of the eight bytes in x is not plain: at or above 0x80 (its
// high bit), below 0x20, a quote or a backslash. Once no byte has its high bit set, a byte
// minus 0x20 (or a byte equal to c, XORed with c, minus one) borrows into its high bit
// exactly when it is below 0x20 (equal to c); a borrow from a lower byte only happens when
// that byte already answered yes.
func needsEscape(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	return (x|(x-0x20*ones)|((x^'"'*ones)-ones)|((x^'\\'*ones)-ones))&highs != 0
}

// plain marks the bytes that encoding/json writes in a string as they are (with HTML
// escaping off): printable ASCII, and DEL, but quotes and backslashes.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()
