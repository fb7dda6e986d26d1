package report

import (
	"io"
	"testing"
	"time"

	"github.com/kubeharden/kubeharden/internal/gen"
	"github.com/kubeharden/kubeharden/scan"
)

// BenchmarkJSON writes the JSON report of a generated multitenant cluster of 1,000
// workloads (about 10,000 findings, a tenth of the scale table's largest report, with the
// same mix of checks and shared fix values); scanning is not measured.
func BenchmarkJSON(b *testing.B) {
	r := scan.Run((gen.Options{Profile: "multitenant"}).Inventory(1000, 1), scan.Options{Now: time.Unix(1_800_000_000, 0)})
	n, err := writeCount(r)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(n)
	for b.Loop() {
		if err := writeJSON(io.Discard, r, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(r.Findings)), "findings")
}

// writeCount is the size of r's JSON report.
func writeCount(r *scan.Result) (int64, error) {
	var c countWriter
	err := writeJSON(&c, r, Options{})
	return int64(c), err
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}
