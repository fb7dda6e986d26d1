package monitor

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func result(policy, name, msg string) Result {
	return Result{Source: Source, Policy: policy, Result: resultFail, Scored: true, Severity: "high",
		Timestamp: metav1.Timestamp{Seconds: 1}, Resources: []ObjectReference{{Kind: "Deployment", Namespace: "a", Name: name}},
		Message: msg, Properties: map[string]string{PropPractice: "podsecurity", PropSuppressed: "false"}}
}

func report(rv string, rs ...Result) *Report {
	reps := buildReports(PolicyReportAPI, map[string][]Result{"a": rs}, 0)
	r := reps[reportKey{"a", ReportName}]
	r.ResourceVersion = rv
	return r
}

// TestDiffApplies applies the JSON patch diff makes to the old report, as the API server
// does, and expects the new report's results and summary.
func TestDiffApplies(t *testing.T) {
	a, b, c, d := result("p/a", "x", "1"), result("p/b", "x", "2"), result("p/c", "y", "3"), result("p/d", "z", "4")
	changed := c
	changed.Result, changed.Properties = resultSkip, map[string]string{PropPractice: "podsecurity", PropSuppressed: "true"}
	cases := []struct {
		name     string
		old, new []Result
		maxOps   int // results ops, besides test and summary
	}{
		{"add one", []Result{a, c}, []Result{a, b, c}, 1},
		{"remove one", []Result{a, b, c}, []Result{a, c}, 1},
		{"replace one", []Result{a, b, c}, []Result{a, b, changed}, 1},
		{"mixed", []Result{a, b, d}, []Result{b, c, d}, 2},
		{"to empty", []Result{a, b}, nil, 1},
		{"from empty", nil, []Result{a, d}, 1},
		{"all different", []Result{a}, []Result{b, c, d}, 4},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old, want := report("7", tc.old...), report("", tc.new...)
			ops := diff(old, want)
			if n := len(ops) - 2; n > tc.maxOps {
				t.Errorf("%d result operations, want at most %d: %+v", n, tc.maxOps, ops)
			}
			patch, _ := json.Marshal(ops)
			doc, _ := json.Marshal(old)
			p, err := jsonpatch.DecodePatch(patch)
			if err != nil {
				t.Fatal(err)
			}
			out, err := p.Apply(doc)
			if err != nil {
				t.Fatalf("apply %s: %v", patch, err)
			}
			var got Report
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatal(err)
			}
			if len(got.Results) == 0 {
				got.Results = nil
			}
			if !reflect.DeepEqual(got.Results, want.Results) || got.Summary != want.Summary {
				t.Errorf("patched report:\n%+v %+v\nwant\n%+v %+v", got.Results, got.Summary, want.Results, want.Summary)
			}
			// A report someone else changed since fails the patch's test.
			old.ResourceVersion = "8"
			doc, _ = json.Marshal(old)
			if _, err := p.Apply(doc); err == nil {
				t.Error("patch applied to a report of another resourceVersion")
			}
		})
	}
}

// TestSplit splits a namespace's results into reports under the size limit, in order, losing
// none.
func TestSplit(t *testing.T) {
	var rs []Result
	for i := range 200 {
		rs = append(rs, result("p/a", fmt.Sprintf("w%03d", i), "message"))
	}
	max := reportOverhead + 20*(sizeOf(&rs[0])+1)
	reps := buildReports(PolicyReportAPI, map[string][]Result{"a": rs}, max)
	if len(reps) != 10 {
		t.Fatalf("%d reports, want 10", len(reps))
	}
	var all []Result
	for i := range len(reps) {
		name := ReportName
		if i > 0 {
			name = fmt.Sprintf("%s-%d", ReportName, i+1)
		}
		r := reps[reportKey{"a", name}]
		if r == nil {
			t.Fatalf("report %s missing", name)
		}
		b, _ := json.Marshal(r)
		if len(b) > max {
			t.Errorf("report %s is %d bytes, limit %d", name, len(b), max)
		}
		if r.Summary.Fail != len(r.Results) {
			t.Errorf("report %s: summary fail %d, results %d", name, r.Summary.Fail, len(r.Results))
		}
		all = append(all, r.Results...)
	}
	if !reflect.DeepEqual(all, rs) {
		t.Error("the split reports do not hold the results in order")
	}
}
