package versions

import (
	"fmt"
	"strconv"
	"strings"
)

// Version is a Kubernetes version: 1.minor.patch. Vendors' suffixes ("-eks-1a2b3c",
// "+k3s1", "-gke.1200") are kept in Suffix; a pre-release ("-rc.1", "-alpha.2") sets Pre.
type Version struct {
	Major, Minor int
	// Patch is -1 when the version names only a minor ("1.33").
	Patch  int
	Pre    bool
	Suffix string
}

// ParseVersion reads "v1.33.4", "1.33.4", "1.33", "v1.29.3-eks-adc7111", "v1.37.0-rc.1".
func ParseVersion(s string) (Version, error) {
	in := s
	s = strings.TrimPrefix(strings.TrimSpace(s), "v")
	v := Version{Patch: -1}
	if i := strings.IndexAny(s, "-+"); i >= 0 {
		v.Suffix = s[i:]
		s = s[:i]
		for _, pre := range []string{"-alpha", "-beta", "-rc"} {
			if strings.HasPrefix(v.Suffix, pre) {
				v.Pre = true
			}
		}
	}
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return Version{}, fmt.Errorf("version %q is not MAJOR.MINOR[.PATCH]", in)
	}
	nums := make([]int, len(parts))
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || (len(p) > 1 && p[0] == '0') {
			return Version{}, fmt.Errorf("version %q is not MAJOR.MINOR[.PATCH]", in)
		}
		nums[i] = n
	}
	v.Major, v.Minor = nums[0], nums[1]
	if len(nums) == 3 {
		v.Patch = nums[2]
	}
	return v, nil
}

// MinorString is "1.33".
func (v Version) MinorString() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// String is "1.33.4", or "1.33" without a patch.
func (v Version) String() string {
	if v.Patch < 0 {
		return v.MinorString()
	}
	return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
}

// minorIndex orders minors across majors.
func (v Version) minorIndex() int { return v.Major*1000 + v.Minor }

// MinorsBehind is how many minor releases v is older than w (negative when newer).
func (v Version) MinorsBehind(w Version) int { return w.minorIndex() - v.minorIndex() }
