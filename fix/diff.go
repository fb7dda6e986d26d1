package fix

import (
	"io"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
)

// WriteDiff writes the changes as a unified diff, as git diff shows them: a new file comes
// from /dev/null.
func (r *Result) WriteDiff(w io.Writer) error {
	for _, c := range r.Changes {
		from := "a/" + c.Path
		if c.Old == nil {
			from = "/dev/null"
		}
		d := difflib.UnifiedDiff{
			A:        splitLines(c.Old),
			B:        splitLines(c.New),
			FromFile: from,
			ToFile:   "b/" + c.Path,
			Context:  3,
		}
		if c.Old == nil {
			d.A = nil
		}
		if err := difflib.WriteUnifiedDiff(w, d); err != nil {
			return err
		}
	}
	return nil
}

// splitLines splits text into lines that keep their newlines; a last line without one gets it.
func splitLines(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	lines := strings.SplitAfter(string(b), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	} else {
		lines[len(lines)-1] += "\n"
	}
	return lines
}
