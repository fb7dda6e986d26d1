package report

import (
	"bytes"
	"runtime"
	"strconv"
	"testing"

	"github.com/kubeharden/kubeharden/check"
)

// TestBlocksEqualWhole: findings encoded in blocks on several cores are written in order,
// byte for byte the document encoding the whole result gives, whatever the block size.
func TestBlocksEqualWhole(t *testing.T) {
	defer func(n, p int) { findingBlock = n; runtime.GOMAXPROCS(p) }(findingBlock, runtime.GOMAXPROCS(4))
	r := fixture()
	for i := range 40 {
		f := r.Findings[i%len(r.Findings)]
		f.Message += " " + strconv.Itoa(i)
		r.Findings = append(r.Findings, f)
	}
	whole, err := marshalJSON(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 2, 3, 7, len(r.Findings), 1000} {
		findingBlock = n
		if got := render(t, r, Options{Format: "json"}); got != string(whole) {
			t.Errorf("blocks of %d: the JSON differs from the whole document:\n%s\n---\n%s", n, got, whole)
		}
	}
}

// TestBlocksError: a finding that cannot be encoded fails the report, on one core and on
// several, without leaving goroutines waiting.
func TestBlocksError(t *testing.T) {
	defer func(n, p int) { findingBlock = n; runtime.GOMAXPROCS(p) }(findingBlock, runtime.GOMAXPROCS(1))
	r := fixture()
	bad := r.Findings[0]
	bad.Fixes = []check.SuggestedFix{{Message: "m", Edits: []check.Edit{{Op: check.SetField, Path: "x", Value: make(chan int)}}}}
	r.Findings = append(r.Findings[:1], append([]check.Finding{bad}, r.Findings[1:]...)...)
	for _, procs := range []int{1, 4} {
		runtime.GOMAXPROCS(procs)
		findingBlock = 1
		if err := Write(&bytes.Buffer{}, r, Options{Format: "json"}); err == nil {
			t.Errorf("GOMAXPROCS %d: no error for a value JSON cannot encode", procs)
		}
	}
}
