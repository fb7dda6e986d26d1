package audit

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/kubeharden/kubeharden/audit/audittest"
)

// checkFast: for a line encoding/json accepts, the fast decoder gives the same event or
// declines (errSlow); it never gives a different answer.
func checkFast(t *testing.T, line []byte) (fast bool) {
	var want, got event
	jerr := json.Unmarshal(line, &want)
	ferr := decodeFast(line, &got)
	if ferr != nil {
		return false
	}
	if jerr != nil {
		// The fast decoder does not validate what it skips: it may accept a line whose
		// skipped parts are malformed, but never one malformed where it reads.
		var probe any
		if json.Unmarshal(line, &probe) == nil {
			t.Errorf("fast accepted what encoding/json refuses into an event (%v): %s", jerr, line)
		}
		return true
	}
	if !reflect.DeepEqual(normal(want), normal(got)) {
		t.Errorf("fast decoder differs on %s:\n json %+v\n fast %+v", line, want, got)
	}
	return true
}

// normal keeps of the annotations only the one both decoders read.
func normal(e event) event {
	if e.Annotations != nil {
		d, ok := e.Annotations[decisionAnnotation]
		e.Annotations = nil
		if ok {
			e.Annotations = map[string]string{decisionAnnotation: d}
		}
	}
	return e
}

func TestDecodeFastEqualsJSON(t *testing.T) {
	g := audittest.NewGenerator(7, 50)
	fast := 0
	for i := 0; i < 3000; i++ {
		for _, l := range bytes.Split(bytes.TrimSpace(g.Next()), []byte("\n")) {
			if checkFast(t, l) {
				fast++
			}
		}
	}
	if fast == 0 {
		t.Error("the fast decoder declined every generated line")
	}
	for _, l := range []string{
		`{"kind":"Event","Verb":"get"}`,
		`{"kind":"Event","verb":null,"user":{"username":"a\u0041","groups":["x","y"]}}`,
		`{"kind":"Event","objectRef":{"name":"a"},"objectRef":{"resource":"b"}}`,
		`{"kind":"Event","responseStatus":{"code":200.5}}`,
		`{"kind":"Event","user":{"username":"é"}}`,
		`{"kind":"Event","extra":{"a":[1,2,{"b":"}"}]},"stage":"ResponseComplete"}`,
		`{"kind":"Event","annotations":{"authorization.k8s.io/decision":"forbid","x":"y"}}`,
		`{"kind":"Event","stage":"ResponseComplete"`,
		`{"kind":"Event"} x`,
	} {
		checkFast(t, []byte(l))
	}
}

func FuzzDecodeFast(f *testing.F) {
	g := audittest.NewGenerator(3, 10)
	for i := 0; i < 20; i++ {
		f.Add(bytes.TrimSpace(g.Next()))
	}
	f.Add([]byte(`{"kind":"Event","objectRef":null,"impersonatedUser":{"username":"u","groups":null}}`))
	f.Fuzz(func(t *testing.T, line []byte) { checkFast(t, line) })
}
