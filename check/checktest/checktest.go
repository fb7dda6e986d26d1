// Package checktest runs checks over annotated fixture files, as analysistest does for Go
// analyzers. A fixture is a manifest whose offending lines carry what they must report:
//
//	image: nginx:latest   # want: images/latest-tag, images/not-pinned
//
// An ID may be followed by its severity and by a quoted regular expression that the
// finding's message must match, as analysistest matches diagnostics, so that a fixture pins
// what a user reads: `# want: images/latest-tag high "uses the latest tag"`.
//
// `# want-suppressed: <id>` expects a finding that an exception suppresses, and
// `# want-error: <text>` an input error on that line whose message contains text. A finding or
// error without its annotation, or an annotation without its finding, fails the test.
// A sibling file `<fixture>.config.yaml` is the fixture's .kubeharden.yaml. A fixture that is a
// snapshot (led by a ClusterFacts document) gives the checks its cluster facts. Dockerfiles are
// fixtures too; as they have no end-of-line comments, their "# want" comments stand on the
// line above the instruction they are about.
package checktest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/dockerfile"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
	"github.com/kubeharden/kubeharden/snapshot"
)

// Now is the time fixtures are judged at, so that expiry dates in fixtures stay meaningful.
var Now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

var wantRE = regexp.MustCompile(`#\s*want(-suppressed|-error)?:\s*(.*)$`)

// Run checks every fixture (*.yaml, *.yml, *.json but not *.config.yaml) in dir.
func Run(t testing.TB, dir string, checks ...*check.Check) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, ".config.yaml") || !isManifest(f) {
			continue
		}
		n++
		RunFile(t, f, checks...)
	}
	if n == 0 {
		t.Errorf("checktest: no fixtures in %s", dir)
	}
}

func isManifest(f string) bool {
	switch filepath.Ext(f) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return dockerfile.IsDockerfile(f)
}

// RunFile checks one fixture file.
func RunFile(t testing.TB, file string, checks ...*check.Check) {
	t.Helper()
	cfg := &config.Config{}
	if cf := strings.TrimSuffix(file, filepath.Ext(file)) + ".config.yaml"; exists(cf) {
		var err error
		if cfg, err = config.Load(cf); err != nil {
			t.Fatalf("%s: %v", cf, err)
		}
	}
	objs, errs := load.Files([]string{file}, load.Options{})
	// A fixture may be a snapshot: its ClusterFacts document gives the checks their facts.
	objs, snap, serrs := snapshot.Split(objs)
	var facts *inventory.Facts
	if snap != nil {
		facts = snap.Facts
	}
	inv := inventory.Build(objs)
	res := scan.Run(inv, scan.Options{Config: cfg, Facts: facts, Checks: checks, Now: Now, Errors: append(errs, serrs...)})
	Compare(t, file, res)
	CheckKinds(t, inv, res.Findings)
	CheckIncremental(t, file, objs, cfg, facts, checks)
}

// CheckIncremental tests the checks' declared inputs on a fixture: for each object, an
// Evaluator over the others that is then given the object, and one over all objects that
// then loses it, must find what a full run over the same objects finds. A check that reads a
// kind it does not declare, or of a wider scope than it declares, fails here.
func CheckIncremental(t testing.TB, file string, objs []*inventory.Object, cfg *config.Config, facts *inventory.Facts, checks []*check.Check) {
	t.Helper()
	full := func(objs []*inventory.Object) []byte {
		fs, _ := check.RunAt(inventory.Build(objs), cfg, facts, checks, Now)
		return findingsJSON(t, fs)
	}
	opts := check.EvalOptions{Config: cfg, Facts: facts, Checks: checks, Now: Now}
	// Large fixtures are sampled: every object of a kind that matters has neighbours of it.
	step := max(1, len(objs)/12)
	for i := 0; i < len(objs); i += step {
		o := objs[i]
		others := append(append([]*inventory.Object(nil), objs[:i]...), objs[i+1:]...)
		ev := check.NewEvaluator(inventory.Build(others), opts)
		ev.Apply(inventory.Change{Upsert: []*inventory.Object{o}})
		if got, want := findingsJSON(t, ev.Findings()), full(ev.Inventory().All()); !bytes.Equal(got, want) {
			t.Errorf("%s: adding %s to the others: incremental findings differ from a full run:\n got %s\nwant %s", file, o.Ref, got, want)
		}
		ev = check.NewEvaluator(inventory.Build(append([]*inventory.Object(nil), objs...)), opts)
		ev.Apply(inventory.Change{Delete: []inventory.Ref{o.Ref}})
		if got, want := findingsJSON(t, ev.Findings()), full(ev.Inventory().All()); !bytes.Equal(got, want) {
			t.Errorf("%s: deleting %s: incremental findings differ from a full run:\n got %s\nwant %s", file, o.Ref, got, want)
		}
	}
}

func findingsJSON(t testing.TB, fs []check.Finding) []byte {
	b, err := json.Marshal(fs)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// CheckKinds fails the test for a finding on an object of a kind its check does not declare
// in Kinds: the webhook and the monitor would never ask the check about that object. An
// object that carries a pod template counts as a workload, whatever its kind.
func CheckKinds(t testing.TB, inv *inventory.Inventory, findings []check.Finding) {
	t.Helper()
	workloads := map[inventory.Ref]bool{}
	for _, p := range inv.PodTemplates() {
		workloads[p.Owner.Ref] = true
	}
	for _, f := range findings {
		c := check.Lookup(f.Check)
		if c == nil || c.Reports(f.Object.Kind) {
			continue
		}
		if workloads[f.Object] && slices.Contains(c.Kinds, check.Workloads) {
			continue
		}
		t.Errorf("%s: finding on %s, a kind the check does not declare in Kinds %v", f.Check, f.Object, c.Kinds)
	}
}

// Compare matches a result against the annotations of file.
func Compare(t testing.TB, file string, res *scan.Result) {
	t.Helper()
	want, err := readWants(file)
	if err != nil {
		t.Fatal(err)
	}
	type gotFinding struct {
		key string
		f   *check.Finding
	}
	var got []gotFinding
	for i := range res.Findings {
		f := &res.Findings[i]
		if f.File != "" && f.File != file {
			continue
		}
		kind := ""
		if f.Suppressed {
			kind = "-suppressed"
		}
		got = append(got, gotFinding{fmt.Sprintf("%d: want%s %s", f.Line, kind, f.Check), f})
	}
	gotErrs := append([]check.Error(nil), res.Errors...)
	for _, w := range want {
		if w.kind != "-error" {
			continue
		}
		found := -1
		for i, e := range gotErrs {
			if e.Line == w.line && strings.Contains(e.Message, w.id) {
				found = i
				break
			}
		}
		if found < 0 {
			t.Errorf("%s:%d: missing input error containing %q", file, w.line, w.id)
			continue
		}
		gotErrs = append(gotErrs[:found], gotErrs[found+1:]...)
	}
	for _, e := range gotErrs {
		t.Errorf("%s:%d: unexpected input error: %s", file, e.Line, e.Message)
	}
	// Wants that pin a message or a severity pick their finding first; the others take any
	// finding left with their line and ID.
	used := make([]bool, len(got))
	var missing []string
	for _, pinned := range []bool{true, false} {
		for _, w := range want {
			if w.kind == "-error" || (w.msg != nil || w.sev != 0) != pinned {
				continue
			}
			key := fmt.Sprintf("%d: want%s %s", w.line, w.kind, w.id)
			found := false
			for i, g := range got {
				if used[i] || g.key != key || (w.msg != nil && !w.msg.MatchString(g.f.Message)) || (w.sev != 0 && w.sev != g.f.Severity) {
					continue
				}
				used[i], found = true, true
				break
			}
			if !found {
				m := key
				if w.msg != nil {
					m += fmt.Sprintf(" with a message matching %q", w.msg)
				}
				if w.sev != 0 {
					m += " of severity " + w.sev.String()
				}
				missing = append(missing, m)
			}
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("%s:%s — missing finding", file, m)
	}
	var extra []string
	for i, g := range got {
		if !used[i] {
			extra = append(extra, fmt.Sprintf("%s:%s — unexpected finding (%s): %s", file, g.key, g.f.Severity, g.f.Message))
		}
	}
	sort.Strings(extra)
	for _, x := range extra {
		t.Errorf("%s", x)
	}
}

type wantLine struct {
	line     int
	kind, id string
	// msg, when set, must match the finding's message; sev, when set, is its severity.
	msg *regexp.Regexp
	sev check.Severity
}

func readWants(file string) ([]wantLine, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []wantLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	// Dockerfiles have no end-of-line comments: there a "# want" comment line stands above
	// the instruction it is about.
	above := dockerfile.IsDockerfile(file)
	var pending []wantLine
	for n := 1; sc.Scan(); n++ {
		text := strings.TrimSpace(sc.Text())
		if above && len(pending) > 0 && text != "" && !strings.HasPrefix(text, "#") {
			out = append(out, wantsAt(pending, n)...)
			pending = nil
		}
		m := wantRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		ws := wants(m)
		if above && strings.HasPrefix(text, "#") {
			pending = append(pending, ws...)
			continue
		}
		out = append(out, wantsAt(ws, n)...)
	}
	return out, sc.Err()
}

// wants reads one annotation: an error's text, or a list of check IDs, each optionally
// followed by its severity and a quoted regular expression its message must match:
//
//	# want: images/latest-tag "uses the latest tag", podsecurity/privileged high
func wants(m []string) []wantLine {
	if m[1] == "-error" {
		return []wantLine{{line: 0, kind: m[1], id: strings.TrimSpace(m[2])}}
	}
	var out []wantLine
	rest := m[2]
	for {
		rest = strings.TrimLeft(rest, ", \t")
		if rest == "" {
			return out
		}
		if rest[0] == '"' || rest[0] == '`' {
			q, err := strconv.QuotedPrefix(rest)
			if err != nil {
				q = rest
			}
			rest = rest[len(q):]
			text, err := strconv.Unquote(q)
			re, rerr := regexp.Compile(text)
			if len(out) == 0 || err != nil || rerr != nil {
				// A malformed pattern fails the test as a want nothing can meet.
				out = append(out, wantLine{kind: m[1], id: "malformed-want " + q})
				continue
			}
			out[len(out)-1].msg = re
			continue
		}
		word := rest
		if i := strings.IndexAny(rest, ", \t"); i >= 0 {
			word, rest = rest[:i], rest[i:]
		} else {
			rest = ""
		}
		if sev, err := check.ParseSeverity(word); err == nil && !strings.Contains(word, "/") && len(out) > 0 {
			out[len(out)-1].sev = sev
			continue
		}
		out = append(out, wantLine{kind: m[1], id: word})
	}
}

func wantsAt(ws []wantLine, line int) []wantLine {
	for i := range ws {
		ws[i].line = line
	}
	return ws
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
