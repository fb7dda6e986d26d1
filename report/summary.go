package report

import (
	"fmt"
	"strings"

	"github.com/kubeharden/kubeharden/scan"
)

// incompleteNote says why a summary is incomplete, or "" when it is not: a score computed on
// part of the input must not read like a clean bill of health.
func incompleteNote(r *scan.Result) string {
	s := r.Summary
	if !s.Incomplete {
		return ""
	}
	var why []string
	if s.Unread > 0 {
		why = append(why, plural(s.Unread, "input", "inputs")+" could not be read (see input errors)")
	}
	if len(s.IncompletePractices) > 0 {
		why = append(why, strings.Join(s.IncompletePractices, ", ")+" could not be read completely")
	}
	if s.Objects == 0 {
		what := "no Kubernetes object was read"
		if s.Skipped > 0 {
			what += fmt.Sprintf(" (%s skipped as not Kubernetes)", plural(s.Skipped, "file", "files"))
		}
		why = append(why, what)
	}
	return "INCOMPLETE: " + strings.Join(why, "; ") + ", so the scores may be too high"
}

// scoreText is the overall score as the summaries print it: when input is missing, the score
// of what could be read is named as such, never as a plain N/100.
func scoreText(s scan.Summary) string {
	switch {
	case !s.Incomplete:
		return fmt.Sprintf("Score %d/100", s.Score)
	case s.Objects == 0:
		return "Score: none (nothing read)"
	}
	return fmt.Sprintf("Score: incomplete (what could be read scores %d)", s.Score)
}

// readLine says what was built as a chart or kustomization and what was skipped, or "".
func readLine(r *scan.Result) string {
	var parts []string
	for _, b := range r.Builds {
		parts = append(parts, b.Path+" as a "+b.As)
	}
	line := ""
	if len(parts) > 0 {
		line = "Read " + strings.Join(parts, ", ")
	}
	if n := len(r.Skipped); n > 0 {
		if line != "" {
			line += "; skipped"
		} else {
			line = "Skipped"
		}
		line += fmt.Sprintf(" %s that are not Kubernetes (-v lists them)", plural(n, "file", "files"))
	}
	return line
}
