package fix

import (
	"fmt"
	"strconv"
	"strings"
)

// seg is one step of a field path: a map key, or a list index when key is "" and index ≥ 0.
type seg struct {
	key   string
	index int
}

func (s seg) isIndex() bool { return s.key == "" && s.index >= 0 }

func (s seg) String() string {
	if s.isIndex() {
		return "[" + strconv.Itoa(s.index) + "]"
	}
	return s.key
}

// mapOfStrings are the fields whose keys may hold dots ("pod-security.kubernetes.io/enforce"):
// in a path, everything after them is one key.
var mapOfStrings = map[string]bool{"labels": true, "annotations": true, "matchLabels": true, "nodeSelector": true, "data": true, "stringData": true}

// parsePath splits a finding path ("spec.containers[0].securityContext",
// "metadata.labels.pod-security.kubernetes.io/enforce", `a["b.c"]`) into steps.
func parsePath(p string) ([]seg, error) {
	var out []seg
	for i := 0; i < len(p); {
		switch p[i] {
		case '.':
			i++
			if i == len(p) || p[i] == '.' || p[i] == '[' {
				return nil, fmt.Errorf("path %q: empty field name", p)
			}
			continue
		case '[':
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("path %q: unclosed [", p)
			}
			inner := p[i+1 : i+end]
			if q, err := strconv.Unquote(inner); err == nil {
				out = append(out, seg{key: q, index: -1})
			} else if n, err := strconv.Atoi(inner); err == nil && n >= 0 {
				out = append(out, seg{index: n})
			} else {
				return nil, fmt.Errorf("path %q: bad index %q", p, inner)
			}
			i += end + 1
			continue
		}
		if len(out) > 0 && !out[len(out)-1].isIndex() && mapOfStrings[out[len(out)-1].key] {
			out = append(out, seg{key: p[i:], index: -1})
			break
		}
		end := strings.IndexAny(p[i:], ".[")
		if end < 0 {
			end = len(p) - i
		}
		out = append(out, seg{key: p[i : i+end], index: -1})
		i += end
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("empty path")
	}
	return out, nil
}
