package suggest

import "testing"

func TestClosest(t *testing.T) {
	ids := []string{"images/latest-tag", "images/not-pinned", "podsecurity/privileged"}
	for _, tc := range []struct{ name, want string }{
		{"images/lastest-tag", "images/latest-tag"},
		{"podsecurity/priviledged", "podsecurity/privileged"},
		{"images/latest-tga", "images/latest-tag"},
		{"network/whatever", ""},
	} {
		if got := Closest(tc.name, ids); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
	if d := Distance("outptu", "output"); d != 1 {
		t.Errorf("Distance(outptu, output) = %d, want 1 (a swap)", d)
	}
}
