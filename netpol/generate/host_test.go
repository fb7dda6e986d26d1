package generate

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestTokensAsRegexp holds the hand-written tokenizer and host test to the regular
// expressions they replace, on random configuration text.
func TestTokensAsRegexp(t *testing.T) {
	seps := regexp.MustCompile("[\\s\"'`,;(){}<>|=]+")
	host := regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
	alphabet := []rune("ab09-.:/ \t\n\f\r\v\"'`,;(){}<>|=_A@é\u00a0")
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		// Half the strings are made of host characters only, so that many are hosts.
		al := alphabet
		if r.IntN(2) == 0 {
			al = []rune("ab0-.")
		}
		b := make([]rune, r.IntN(16))
		for i := range b {
			b[i] = al[r.IntN(len(al))]
		}
		s := string(b)
		want := slices.DeleteFunc(seps.Split(s, -1), func(x string) bool { return x == "" })
		got := stringsFields(s)
		if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("tokens of %q: got %q, want %q", s, got, want)
		}
		if g, w := isHost(s), host.MatchString(s); g != w {
			t.Fatalf("isHost(%q) = %v, the expression says %v", s, g, w)
		}
	}
}

func stringsFields(s string) []string { return strings.FieldsFunc(s, separator) }
