package audit_test

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubeharden/kubeharden/audit"
	"github.com/kubeharden/kubeharden/audit/audittest"
)

func readAll(t *testing.T, paths []string, opts audit.Options) ([]audit.Request, audit.Stats, []audit.Error) {
	t.Helper()
	var mu sync.Mutex
	var out []audit.Request
	st, errs := audit.Read(paths, opts, func(_ int, r *audit.Request) {
		mu.Lock()
		out = append(out, *r)
		mu.Unlock()
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out, st, errs
}

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func at(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }

const sa = "system:serviceaccount:shop:api"

var saGroups = []string{"system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated"}

func TestAttributes(t *testing.T) {
	lines := [][]byte{
		// get a named pod
		audittest.Line(audittest.Event{User: sa, Groups: saGroups, Verb: "get", Resource: "pods", NS: "shop", Name: "web-1",
			URI: "/api/v1/namespaces/shop/pods/web-1", Decision: "allow", Time: at(1)}),
		// create: the objectRef names the object, the authorizer saw no name
		audittest.Line(audittest.Event{User: sa, Groups: saGroups, Verb: "create", Group: "apps", Resource: "deployments", NS: "shop", Name: "web",
			URI: "/apis/apps/v1/namespaces/shop/deployments?fieldManager=kubectl", Decision: "allow", Code: 201, Time: at(2)}),
		// a subresource create keeps its name
		audittest.Line(audittest.Event{User: sa, Groups: saGroups, Verb: "create", Resource: "pods", Subresource: "exec", NS: "shop", Name: "web-1",
			URI: "/api/v1/namespaces/shop/pods/web-1/exec?command=sh&stdin=true", Decision: "allow", Code: 101, Time: at(3)}),
		// non-resource
		audittest.Line(audittest.Event{User: "alice", Groups: []string{"system:authenticated"}, Verb: "get", URI: "/healthz?verbose", Decision: "allow", Time: at(4)}),
		// denied by the authorizer
		audittest.Line(audittest.Event{User: "alice", Groups: []string{"system:authenticated"}, Verb: "list", Resource: "secrets",
			URI: "/api/v1/secrets?limit=500", Decision: "forbid", Code: 403, Time: at(5)}),
		// refused by admission after the authorizer allowed it
		audittest.Line(audittest.Event{User: "alice", Groups: []string{"system:authenticated"}, Verb: "create", Resource: "pods", NS: "shop",
			URI: "/api/v1/namespaces/shop/pods", Decision: "allow", Code: 403, Time: at(6)}),
		// impersonation
		audittest.Line(audittest.Event{User: "admin", Groups: []string{"system:masters"}, ImpersonatedUser: sa, ImpersonatedGroups: saGroups,
			Verb: "watch", Resource: "configmaps", NS: "shop", URI: "/api/v1/namespaces/shop/configmaps?watch=true", Decision: "allow", Time: at(7)}),
		// the first stage of a request is not counted
		audittest.Line(audittest.Event{User: sa, Groups: saGroups, Verb: "get", Resource: "pods", NS: "shop", Name: "x",
			URI: "/api/v1/namespaces/shop/pods/x", Stage: "RequestReceived", Time: at(8)}),
		// a 403 without decision annotation (an older server) is a denial
		audittest.Line(audittest.Event{User: "bob", Verb: "delete", Resource: "nodes", Name: "n1", URI: "/api/v1/nodes/n1", Code: 403, Time: at(9)}),
		// a namespace is authorized in itself, as the API server's RequestInfo has it
		audittest.Line(audittest.Event{User: "bob", Verb: "get", Resource: "namespaces", Name: "shop", URI: "/api/v1/namespaces/shop", Time: at(10)}),
		// no URI: the objectRef, without the name of a create
		audittest.Line(audittest.Event{User: "bob", Verb: "create", Group: "apps", Resource: "deployments", NS: "shop", Name: "web", Time: at(11)}),
	}
	f := filepath.Join(t.TempDir(), "audit.log")
	if err := os.WriteFile(f, bytes.Join(lines, nil), 0o600); err != nil {
		t.Fatal(err)
	}
	got, st, errs := readAll(t, []string{f}, audit.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := []struct {
		user, imp string
		a         audit.Attributes
		denied    bool
	}{
		{sa, "", audit.Attributes{Verb: "get", Resource: "pods", Namespace: "shop", Name: "web-1"}, false},
		{sa, "", audit.Attributes{Verb: "create", APIGroup: "apps", Resource: "deployments", Namespace: "shop"}, false},
		{sa, "", audit.Attributes{Verb: "create", Resource: "pods", Subresource: "exec", Namespace: "shop", Name: "web-1"}, false},
		{"alice", "", audit.Attributes{Verb: "get", Path: "/healthz"}, false},
		{"alice", "", audit.Attributes{Verb: "list", Resource: "secrets"}, true},
		{"alice", "", audit.Attributes{Verb: "create", Resource: "pods", Namespace: "shop"}, false},
		{sa, "admin", audit.Attributes{Verb: "watch", Resource: "configmaps", Namespace: "shop"}, false},
		{"bob", "", audit.Attributes{Verb: "delete", Resource: "nodes", Name: "n1"}, true},
		{"bob", "", audit.Attributes{Verb: "get", Resource: "namespaces", Namespace: "shop", Name: "shop"}, false},
		{"bob", "", audit.Attributes{Verb: "create", APIGroup: "apps", Resource: "deployments", Namespace: "shop"}, false},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d requests, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.User != w.user || g.Impersonator != w.imp || g.Attributes != w.a || g.Denied != w.denied {
			t.Errorf("request %d: got user %q impersonator %q %+v denied=%v; want %q %q %+v denied=%v",
				i, g.User, g.Impersonator, g.Attributes, g.Denied, w.user, w.imp, w.a, w.denied)
		}
	}
	if g := got[6]; strings.Join(g.Groups, ",") != strings.Join(saGroups, ",") || g.ImpersonatorGroups[0] != "system:masters" {
		t.Errorf("impersonation groups: %v by %v", g.Groups, g.ImpersonatorGroups)
	}
	if st.Requests != 10 || st.Partial != 1 || st.Denied != 2 || !st.First.Equal(at(1)) || !st.Last.Equal(at(11)) {
		t.Errorf("stats %+v", st)
	}
}

// TestFiles reads a directory of rotated files, one gzipped, with bad lines, a line over
// the limit and a last line without newline, and a window.
func TestFiles(t *testing.T) {
	dir := t.TempDir()
	ev := func(s int) []byte {
		return audittest.Line(audittest.Event{User: "u", Verb: "list", Resource: "pods", URI: "/api/v1/pods", Time: at(s)})
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(ev(1))
	zw.Write(ev(2))
	zw.Close()
	os.WriteFile(filepath.Join(dir, "audit-2026-12-01T10-00-05.000.log.gz"), gz.Bytes(), 0o600)
	long := `{"kind":"Event","x":"` + strings.Repeat("a", 3<<20) + `"}` + "\n"
	rotated := string(ev(3)) + "not json\n" + long + `{"apiVersion":"v1","kind":"Pod"}` + "\n" + string(ev(4))
	os.WriteFile(filepath.Join(dir, "audit-2026-12-01T10-00-09.000.log"), []byte(rotated), 0o600)
	os.WriteFile(filepath.Join(dir, "audit.log"), append(ev(5), ev(6)[:len(ev(6))-1]...), 0o600)
	os.WriteFile(filepath.Join(dir, ".hidden"), []byte("junk\n"), 0o600)

	got, st, errs := readAll(t, []string{dir}, audit.Options{MaxLine: 1 << 20})
	if len(got) != 6 || st.Files != 3 {
		t.Fatalf("read %d requests from %d files, want 6 from 3: %+v", len(got), st.Files, errs)
	}
	var es []string
	for _, e := range errs {
		es = append(es, filepath.Base(e.File)+":"+strconv.Itoa(e.Line)+": "+e.Message[:min(len(e.Message), 28)])
	}
	wantErrs := []string{
		"audit-2026-12-01T10-00-09.000.log:2: not a JSON audit event: inva",
		"audit-2026-12-01T10-00-09.000.log:3: line longer than 1048576 byt",
		"audit-2026-12-01T10-00-09.000.log:4: not an audit event (apiVersi",
	}
	if strings.Join(es, "\n") != strings.Join(wantErrs, "\n") {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(es, "\n"), strings.Join(wantErrs, "\n"))
	}
	if st.Lines != 2+5+2 {
		t.Errorf("lines %d, want 9", st.Lines)
	}
	got, st, _ = readAll(t, []string{dir}, audit.Options{Since: at(3), Until: at(5)})
	if len(got) != 3 || st.OutOfWindow != 3 {
		t.Errorf("window: %d requests, %d outside, want 3 and 3", len(got), st.OutOfWindow)
	}
	if _, _, errs := readAll(t, []string{filepath.Join(dir, "missing")}, audit.Options{}); len(errs) != 1 {
		t.Errorf("missing file: %v", errs)
	}
}
