package scan

import (
	"encoding/json"
	"fmt"
	"os"

	"sigs.k8s.io/yaml"

	"github.com/kubeharden/kubeharden/check"
)

// Baseline counts the findings of an earlier report by check.Fingerprint, so that a scan
// can report only what is new: a team adopts kubeharden on an old repository without fixing
// everything first, and CI fails only on findings a change brings in.
type Baseline map[string]int

// ReadBaseline reads the findings of a report written by `scan -o json` (or -o yaml).
func ReadBaseline(path string) (Baseline, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if b, err = yaml.YAMLToJSON(b); err != nil {
		return nil, fmt.Errorf("%s: not a kubeharden JSON or YAML report: %v", path, err)
	}
	var r struct {
		Findings *[]check.Finding `json:"findings"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: not a kubeharden JSON or YAML report: %v", path, err)
	}
	if r.Findings == nil {
		return nil, fmt.Errorf("%s: not a kubeharden report (no findings list); write one with scan -o json", path)
	}
	base := Baseline{}
	for _, f := range *r.Findings {
		base[check.Fingerprint(f)]++
	}
	return base, nil
}

// filter drops the findings the baseline holds (each baseline entry matches one finding)
// and returns how many it dropped.
func (b Baseline) filter(fs []check.Finding) ([]check.Finding, int) {
	left := make(map[string]int, len(b))
	for k, v := range b {
		left[k] = v
	}
	out := fs[:0]
	for _, f := range fs {
		if fp := check.Fingerprint(f); left[fp] > 0 {
			left[fp]--
			continue
		}
		out = append(out, f)
	}
	return out, len(fs) - len(out)
}
