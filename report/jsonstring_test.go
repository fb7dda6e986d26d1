package report

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestAppendStringEqualsEncoder holds appendString to encoding/json's bytes for strings
// that need every kind of escape at every position of the eight-byte scan, and for every
// byte and every rune near the ones that are escaped.
func TestAppendStringEqualsEncoder(t *testing.T) {
	var want bytes.Buffer
	enc := newEncoder(&want, "")
	check := func(s string) {
		t.Helper()
		want.Reset()
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if got, w := appendString([]byte("x"), s), append([]byte("x"), bytes.TrimSuffix(want.Bytes(), []byte("\n"))...); !bytes.Equal(got, w) {
			t.Fatalf("%q: got %s, encoding/json %s", s, got, w)
		}
	}
	odd := []string{"\"", "\\", "\x00", "\x1f", "\x20", "\x7f", "\x80", "\xff", "\b", "\f", "\n", "\r", "\t",
		"<", ">", "&", "!", "#", "[", "]", "ü", "✓", "日本", "\u2028", "\u2029", "\u2027", "\u202a", "\xe2\x80", "\xc3", "\U0001F600", "\xed\xa0\x80"}
	for c := range 256 {
		odd = append(odd, string([]byte{byte(c)}))
	}
	for _, r := range []rune{0x7ff, 0x800, 0xfffd, 0xffff, 0x10000, utf8.MaxRune} {
		odd = append(odd, string(r))
	}
	check("")
	for _, o := range odd {
		for n := range 18 {
			pad := strings.Repeat("a", n)
			check(pad + o)
			check(o + pad)
			check(pad + o + pad + o)
		}
	}
	// Strings of bytes next to those that are escaped, plain or not, at random.
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("\x00\x01\x1f !\"#[\\]a~\x7f\x80\xbf\xc3\xe2\xff")
	for range 20_000 {
		s := make([]byte, rng.IntN(40))
		for i := range s {
			s[i] = alphabet[rng.IntN(len(alphabet))]
		}
		check(string(s))
	}
}

// BenchmarkAppendString: the strings of a report, most of them plain.
func BenchmarkAppendString(b *testing.B) {
	ss := []string{"network/unselected-workload", "payments-0-auth-1", "networking.k8s.io/v1", "NetworkPolicy",
		"Pod payments-0-auth-1 is selected by none of the 10 policies of namespace \"payments-0\", so all ingress and egress is allowed for its pods",
		"Add a default-deny policy (`podSelector: {}`) to the namespace, or fix the labels or selector so that the workload's own policy selects it.",
		"4 steps: internet → Ingress payments", "app.kubernetes.io/managed-by", "TCP"}
	n := 0
	for _, s := range ss {
		n += len(s)
	}
	b.SetBytes(int64(n))
	var buf []byte
	for b.Loop() {
		buf = buf[:0]
		for _, s := range ss {
			buf = appendString(buf, s)
		}
	}
}
