// Package drift compares two scan reports (kubeharden scan -o json) finding by finding: what
// is new, what was fixed and what is unchanged between a review and the next, matched by
// check.Fingerprint. New risky grants (RBAC) and new exposure (ingress and network) come
// first, as a reviewer reads them first.
package drift

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/scan"
)

// Categories of a finding, in the order a review reads them.
const (
	RiskyGrant = "risky-grant"
	Exposure   = "exposure"
	Other      = "other"
)

// Entry is a finding with its fingerprint and category.
type Entry struct {
	Fingerprint string `json:"fingerprint"`
	Category    string `json:"category"`
	check.Finding
}

// Diff is the comparison of two reports.
type Diff struct {
	Old string `json:"oldReport"`
	New string `json:"newReport"`
	// Added are findings of the new report that the old one did not have.
	Added []Entry `json:"new"`
	// Fixed are findings of the old report gone from the new one.
	Fixed []Entry `json:"fixed"`
	// Suppressed are findings of the old report that the new one has, but suppressed.
	Suppressed []Entry `json:"suppressed"`
	// Unchanged are findings both reports have.
	Unchanged []Entry `json:"unchanged"`
	// Errors are the input errors each scan reported: the reports cover only what they read.
	OldErrors []check.Error `json:"oldErrors,omitempty"`
	NewErrors []check.Error `json:"newErrors,omitempty"`
}

// ReadReport reads a report written by kubeharden scan -o json.
func ReadReport(path string) (*scan.Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return DecodeReport(f, path)
}

// DecodeReport reads a report from r; name is used in errors.
func DecodeReport(r io.Reader, name string) (*scan.Result, error) {
	var res struct {
		Findings *[]check.Finding `json:"findings"`
		Errors   []check.Error    `json:"errors"`
	}
	dec := json.NewDecoder(r)
	if err := dec.Decode(&res); err != nil {
		return nil, fmt.Errorf("%s: not a scan report (kubeharden scan -o json): %w", name, err)
	}
	if res.Findings == nil {
		return nil, fmt.Errorf("%s: not a scan report (kubeharden scan -o json): no findings list", name)
	}
	return &scan.Result{Findings: *res.Findings, Errors: res.Errors}, nil
}

// Category sorts a finding for the review: grants of RBAC (and Secrets readable through
// RBAC), exposure (ingress and network policies), or other.
func Category(f *check.Finding) string {
	switch {
	case f.Practice == "rbac" || f.Check == "secrets/rbac-read-secrets":
		return RiskyGrant
	case f.Practice == "ingress" || f.Practice == "network":
		return Exposure
	}
	return Other
}

var categoryRank = map[string]int{RiskyGrant: 0, Exposure: 1, Other: 2}

// Compare matches the findings of two reports by fingerprint. A fingerprint that occurs n
// times in one report and m in the other counts min(n, m) times as unchanged. Suppressed
// findings of the old report are left out: they were not open.
func Compare(old, cur []check.Finding) *Diff {
	d := &Diff{Added: []Entry{}, Fixed: []Entry{}, Suppressed: []Entry{}, Unchanged: []Entry{}}
	open := map[string][]int{} // fingerprint → indexes into old
	for i := range old {
		if !old[i].Suppressed {
			fp := check.Fingerprint(old[i])
			open[fp] = append(open[fp], i)
		}
	}
	entry := func(f check.Finding, fp string) Entry {
		return Entry{Fingerprint: fp, Category: Category(&f), Finding: f}
	}
	matched := map[int]bool{}
	for _, f := range cur {
		fp := check.Fingerprint(f)
		idx := open[fp]
		switch {
		case len(idx) > 0 && f.Suppressed:
			open[fp] = idx[1:]
			matched[idx[0]] = true
			d.Suppressed = append(d.Suppressed, entry(f, fp))
		case len(idx) > 0:
			open[fp] = idx[1:]
			matched[idx[0]] = true
			d.Unchanged = append(d.Unchanged, entry(f, fp))
		case !f.Suppressed:
			d.Added = append(d.Added, entry(f, fp))
		}
	}
	for i := range old {
		if !old[i].Suppressed && !matched[i] {
			d.Fixed = append(d.Fixed, entry(old[i], check.Fingerprint(old[i])))
		}
	}
	for _, es := range [][]Entry{d.Added, d.Fixed, d.Suppressed, d.Unchanged} {
		sortEntries(es)
	}
	return d
}

// sortEntries orders risky grants first, then exposure, then the rest; within each,
// highest severity first, then check and object.
func sortEntries(es []Entry) {
	sort.SliceStable(es, func(i, j int) bool {
		a, b := &es[i], &es[j]
		if ra, rb := categoryRank[a.Category], categoryRank[b.Category]; ra != rb {
			return ra < rb
		}
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.Check != b.Check {
			return a.Check < b.Check
		}
		if x, y := a.Object.String(), b.Object.String(); x != y {
			return x < y
		}
		return a.Fingerprint < b.Fingerprint
	})
}
