package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/scan"
)

// The findings chart: one horizontal bar per practice, split by severity, for the unsuppressed
// findings. Bars share one scale, so their lengths compare across practices.
const (
	chLabelW = 170
	chBarW   = 440
	chRowH   = 26
	chBarH   = 16
	chTotalW = 60
)

type htmlChart struct {
	Width, Height int
	Rows          []htmlChartRow
	Title         string
}

type htmlChartRow struct {
	Practice, Title string
	Y, TextY        int
	Total, TotalX   int
	Segments        []htmlChartSegment
}

type htmlChartSegment struct {
	X, W     int
	Severity string
	Count    int
}

// chartView is nil when nothing is open.
func chartView(r *scan.Result) *htmlChart {
	counts := map[string]map[check.Severity]int{}
	most := 0
	for _, f := range r.Findings {
		if f.Suppressed {
			continue
		}
		if counts[f.Practice] == nil {
			counts[f.Practice] = map[check.Severity]int{}
		}
		counts[f.Practice][f.Severity]++
	}
	if len(counts) == 0 {
		return nil
	}
	for _, c := range counts {
		most = max(most, sum(c))
	}
	v := &htmlChart{Width: chLabelW + chBarW + chTotalW, Title: "Unsuppressed findings by practice and severity"}
	for i, p := range practiceOrder(counts) {
		row := htmlChartRow{Practice: p, Title: practiceTitle(p), Y: apPad + i*chRowH, Total: sum(counts[p])}
		row.TextY = row.Y + chBarH - 3
		x := chLabelW
		// Highest severity first, from the left, as the tables order them.
		for _, s := range check.Severities {
			n := counts[p][s]
			if n == 0 {
				continue
			}
			w := max(int(math.Round(float64(n)*chBarW/float64(most))), 2)
			row.Segments = append(row.Segments, htmlChartSegment{X: x, W: w, Severity: s.String(), Count: n})
			x += w
		}
		row.TotalX = x + 6
		v.Rows = append(v.Rows, row)
	}
	v.Height = 2*apPad + len(v.Rows)*chRowH
	return v
}

// scoreExplanation is the line under the overall score: the formula with this scan's numbers.
func scoreExplanation(r *scan.Result) string {
	s := r.Summary
	w, worst := 0.0, check.Severity(0)
	for _, f := range r.Findings {
		if f.Suppressed {
			continue
		}
		if !check.Derived[f.Practice] {
			w += scan.Weights[f.Severity]
		}
		worst = max(worst, f.Severity)
	}
	if w == 0 && worst == 0 {
		return "100: no unsuppressed findings."
	}
	n := max(s.Objects, 1)
	raw := scan.Score(s.Objects, w)
	attack := false
	for p := range check.Derived {
		attack = attack || s.Practices[p] < 100 && s.Practices[p] > 0
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d = 100·N/(N+W): N = %d objects, W = %s (every unsuppressed finding weighed together: critical 10, high 5, medium 2, low 1, info 0",
		s.Score, n, trimFloat(w))
	if attack {
		b.WriteString(", attack paths 0")
	}
	fmt.Fprintf(&b, ") gives 100·%d/%s = %s → %d", n, trimFloat(float64(n)+w), trimFloat(math.Round(1000*float64(n)/(float64(n)+w))/10), raw)
	if c, ok := scan.Caps[worst]; ok && raw > c {
		fmt.Fprintf(&b, ", capped at %d while a %s finding remains", c, worst)
	}
	if lo, hi, ok := practiceRange(s.Practices); ok {
		fmt.Fprintf(&b, ". Practice scores (%s) use the same N and only their own findings, so the overall score is not their average.", spanText(lo, hi))
	} else {
		b.WriteString(".")
	}
	return b.String()
}

func practiceRange(ps map[string]int) (lo, hi int, ok bool) {
	lo, hi = 101, -1
	for p, v := range ps {
		if check.Derived[p] {
			continue
		}
		lo, hi = min(lo, v), max(hi, v)
	}
	return lo, hi, hi >= 0
}

func spanText(lo, hi int) string {
	if lo == hi {
		return strconv.Itoa(lo)
	}
	return strconv.Itoa(lo) + "–" + strconv.Itoa(hi)
}

func trimFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
