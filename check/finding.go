package check

import (
	"sort"

	"github.com/kubeharden/kubeharden/inventory"
)

// Finding is one problem on one object: the JSON shape of `kubeharden scan -o json` (a
// contract; see docs).
type Finding struct {
	Check    string        `json:"check"`
	Severity Severity      `json:"severity"`
	Practice string        `json:"practice"`
	Object   inventory.Ref `json:"object"`
	// Cluster names the cluster (kubeconfig context) of a live object when one scan read
	// several; empty otherwise.
	Cluster     string `json:"cluster,omitempty"`
	File        string `json:"file,omitempty"`
	Line        int    `json:"line,omitempty"`
	Path        string `json:"path,omitempty"`
	Message     string `json:"message"`
	Remediation string `json:"remediation,omitempty"`
	Suppressed  bool   `json:"suppressed"`
	// Fixes are the changes `kubeharden fix` can make to resolve the finding.
	Fixes []SuggestedFix `json:"fixes,omitempty"`
	// Suppression says why a suppressed finding is suppressed (or, for a finding whose
	// exception expired, which exception it was). Not part of the JSON contract.
	Suppression *Suppression `json:"-"`
	// Rendered says that Line counts lines of File's rendered output (a Helm template), not
	// of the file as written.
	Rendered bool `json:"rendered,omitempty"`

	object *inventory.Object
}

// Detach drops the links of fs to the inventory's objects. Only Suppress and the Evaluator
// follow them; a scan whose findings are only reported detaches them once suppressed, so
// that the inventory need not outlive the checks while the report is written.
func Detach(fs []Finding) {
	for i := range fs {
		fs[i].object = nil
	}
}

// Error is input that could not be read. It lives in package inventory, with the objects
// it is about, so that loaders need not import the check framework.
type Error = inventory.Error

// SortFindings orders findings by file, line, object, then check, so output is stable.
func SortFindings(fs []Finding) {
	// Sorting a permutation keeps large result sets cheap: the comparisons do not copy
	// findings.
	idx := make([]int, len(fs))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return compareFindings(&fs[idx[i]], &fs[idx[j]]) < 0 })
	permute(fs, idx)
}
