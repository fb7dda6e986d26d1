package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kubeharden/kubeharden/check"
	_ "github.com/kubeharden/kubeharden/checks/images"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
)

// The official OASIS SARIF 2.1.0 schema (errata01) is not vendored here: the gosec module,
// a test-only requirement in go.mod, ships an unmodified copy in its test data, and the go
// command fetches and verifies it like any other module.
const (
	schemaModule = "github.com/securego/gosec/v2"
	schemaFile   = "report/sarif/testdata/sarif-schema-2.1.0.json"
	schemaID     = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

// sarifSchema compiles the schema from the module cache, downloading the module at the
// version go.mod requires if needed.
func sarifSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	schemaOnce.Do(func() {
		cmd := exec.Command("go", "mod", "download", "-json", schemaModule)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		var mod struct{ Dir, Version, Error string }
		if jerr := json.Unmarshal(out, &mod); jerr != nil || mod.Error != "" || mod.Dir == "" {
			schemaErr = &schemaError{err, mod.Error, stderr.String()}
			return
		}
		f, err := os.Open(filepath.Join(mod.Dir, filepath.FromSlash(schemaFile)))
		if err != nil {
			schemaErr = err
			return
		}
		defer f.Close()
		doc, err := jsonschema.UnmarshalJSON(f)
		if err != nil {
			schemaErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.AssertFormat() // uri, uri-reference and date-time are checked too
		if schemaErr = c.AddResource(schemaID, doc); schemaErr != nil {
			return
		}
		schema, schemaErr = c.Compile(schemaID)
	})
	if schemaErr != nil {
		t.Fatalf("SARIF schema: %v", schemaErr)
	}
	return schema
}

type schemaError struct {
	err            error
	modErr, stderr string
}

func (e *schemaError) Error() string {
	return "cannot find " + schemaFile + " in module " + schemaModule +
		" (it must stay required in go.mod: `go get " + schemaModule + "@v2.27.1`; `go mod tidy` drops it): " +
		strings.TrimSpace(e.modErr+" "+e.stderr) + " " + errString(e.err)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func validateSARIF(t *testing.T, doc string) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	return sarifSchema(t).Validate(v)
}

// TestSARIFValidatesAgainstSchema: what `scan -o sarif` writes is valid SARIF 2.1.0, for a
// result with every kind of finding, for an empty one, and for absolute paths.
func TestSARIFValidatesAgainstSchema(t *testing.T) {
	abs := fixture()
	abs.Findings[len(abs.Findings)-1].File = "/repo/deploy/web.yaml"
	for name, tc := range map[string]struct {
		r    *scan.Result
		opts Options
	}{
		"fixture":       {fixture(), Options{Format: "sarif", ToolVersion: "v0.1.0"}},
		"empty":         {&scan.Result{}, Options{Format: "sarif"}},
		"absolute":      {abs, Options{Format: "sarif"}},
		"absolute+root": {abs, Options{Format: "sarif", SourceRoot: "/repo"}},
	} {
		out := render(t, tc.r, tc.opts)
		if err := validateSARIF(t, out); err != nil {
			t.Errorf("%s: invalid SARIF: %v\n%s", name, err, out)
		}
	}
}

// TestSARIFSchemaRejectsInvalid proves the validation can fail: each broken variant of a
// valid document must be rejected.
func TestSARIFSchemaRejectsInvalid(t *testing.T) {
	good := render(t, fixture(), Options{Format: "sarif", ToolVersion: "v0.1.0"})
	if err := validateSARIF(t, good); err != nil {
		t.Fatalf("the valid document is rejected: %v", err)
	}
	for name, edit := range map[string]func(m map[string]any){
		"no version":       func(m map[string]any) { delete(m, "version") },
		"wrong version":    func(m map[string]any) { m["version"] = "2.0.0" },
		"unknown property": func(m map[string]any) { m["extra"] = true },
		"bad level":        func(m map[string]any) { result(m, 0)["level"] = "fatal" },
		"line 0":           func(m map[string]any) { region(m)["startLine"] = 0 },
		"no message":       func(m map[string]any) { delete(result(m, 0), "message") },
		"no driver name":   func(m map[string]any) { delete(driver(m), "name") },
		// What go-sarif writes for a suppression with unset fields: the reason this package
		// fills every one of them.
		"null suppression status": func(m map[string]any) {
			for i := range m["runs"].([]any)[0].(map[string]any)["results"].([]any) {
				if s, ok := result(m, i)["suppressions"].([]any); ok {
					s[0].(map[string]any)["status"] = nil
					return
				}
			}
			panic("no suppressed result")
		},
	} {
		var m map[string]any
		if err := json.Unmarshal([]byte(good), &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		b, _ := json.Marshal(m)
		if err := validateSARIF(t, string(b)); err == nil {
			t.Errorf("%s: broken SARIF passed validation", name)
		}
	}
}

func run0(m map[string]any) map[string]any { return m["runs"].([]any)[0].(map[string]any) }
func driver(m map[string]any) map[string]any {
	return run0(m)["tool"].(map[string]any)["driver"].(map[string]any)
}
func result(m map[string]any, i int) map[string]any {
	return run0(m)["results"].([]any)[i].(map[string]any)
}
func region(m map[string]any) map[string]any {
	for i := range run0(m)["results"].([]any) {
		locs, _ := result(m, i)["locations"].([]any)
		for _, l := range locs {
			if pl, ok := l.(map[string]any)["physicalLocation"].(map[string]any); ok {
				if r, ok := pl["region"].(map[string]any); ok {
					return r
				}
			}
		}
	}
	panic("no region")
}

// sarifDoc is the part of SARIF the content test reads.
type sarifDoc struct {
	Schema  string `json:"$schema"`
	Version string
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name, Version, InformationURI string
				Rules                         []struct {
					ID, Name                          string
					ShortDescription, FullDescription struct{ Text string }
					Help                              struct{ Text, Markdown string }
					DefaultConfiguration              struct{ Level string }
					Properties                        map[string]any
				}
			}
		}
		Results []struct {
			RuleID    string
			RuleIndex int
			Level     string
			Message   struct{ Text string }
			Locations []struct {
				PhysicalLocation *struct {
					ArtifactLocation struct {
						URI       string
						URIBaseID string `json:"uriBaseId"`
					}
					Region *struct{ StartLine int }
				}
				LogicalLocations []struct{ Name, FullyQualifiedName, Kind string }
			}
			PartialFingerprints map[string]string
			Suppressions        []struct{ Kind, Status, Justification, GUID string }
			Properties          map[string]any
		}
		Invocations []struct {
			ExecutionSuccessful        bool
			ToolExecutionNotifications []struct {
				Level     string
				Message   struct{ Text string }
				Locations []struct {
					PhysicalLocation *struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
					LogicalLocations []struct{ FullyQualifiedName string }
				}
			}
		}
	}
}

func readSARIF(t *testing.T, out string) sarifDoc {
	t.Helper()
	var d sarifDoc
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(d.Runs))
	}
	return d
}

func TestSARIFContent(t *testing.T) {
	r := fixture()
	for i := range r.Findings {
		if r.Findings[i].Object == debug {
			r.Findings[i].Remediation = "Delete the debug pod."
		}
	}
	out := render(t, r, Options{Format: "sarif", ToolVersion: "v0.1.0"})
	d := readSARIF(t, out)
	run := d.Runs[0]
	drv := run.Tool.Driver
	if d.Version != "2.1.0" || !strings.Contains(d.Schema, "sarif-schema-2.1.0.json") ||
		drv.Name != "kubeharden" || drv.Version != "v0.1.0" || drv.InformationURI != InformationURI {
		t.Errorf("header: version %q schema %q driver %q %q %q", d.Version, d.Schema, drv.Name, drv.Version, drv.InformationURI)
	}

	// One rule per check that ran, in practice order, documented.
	var ids []string
	for _, r := range drv.Rules {
		ids = append(ids, r.ID)
	}
	wantIDs := "network/no-default-deny podsecurity/privileged rbac/wildcard-verbs images/latest-tag images/not-pinned resources/missing-requests"
	if strings.Join(ids, " ") != wantIDs {
		t.Fatalf("rules = %v, want %s", ids, wantIDs)
	}
	priv := drv.Rules[1]
	if priv.Name != "PodsecurityPrivileged" || priv.ShortDescription.Text != "Privileged containers" ||
		!strings.HasPrefix(priv.FullDescription.Text, "A privileged container") ||
		priv.DefaultConfiguration.Level != "error" {
		t.Errorf("rule = %+v", priv)
	}
	for _, want := range []string{"Remediation: Set securityContext.privileged to false.", "References: PSS baseline; CIS 5.2.1"} {
		if !strings.Contains(priv.Help.Text, want) {
			t.Errorf("help text lacks %q: %q", want, priv.Help.Text)
		}
	}
	for _, want := range []string{"**Privileged containers**", "**Remediation:** Set securityContext.privileged to false.", "\n- PSS baseline\n- CIS 5.2.1"} {
		if !strings.Contains(priv.Help.Markdown, want) {
			t.Errorf("help markdown lacks %q: %q", want, priv.Help.Markdown)
		}
	}
	if tags := priv.Properties["tags"].([]any); len(tags) != 2 || tags[0] != "podsecurity" || tags[1] != "security" {
		t.Errorf("tags = %v", tags)
	}
	wantSev := map[string]string{"network/no-default-deny": "8.0", "podsecurity/privileged": "9.5",
		"images/latest-tag": "5.5", "images/not-pinned": "3.0", "resources/missing-requests": "5.5"}
	wantLevel := map[string]string{"network/no-default-deny": "error", "images/latest-tag": "warning", "images/not-pinned": "note"}
	for _, r := range drv.Rules {
		if w, ok := wantSev[r.ID]; ok && r.Properties["security-severity"] != w {
			t.Errorf("%s security-severity = %v, want %s", r.ID, r.Properties["security-severity"], w)
		}
		if w, ok := wantLevel[r.ID]; ok && r.DefaultConfiguration.Level != w {
			t.Errorf("%s level = %s, want %s", r.ID, r.DefaultConfiguration.Level, w)
		}
	}

	// Every finding is a result, suppressed ones included.
	if len(run.Results) != 8 {
		t.Fatalf("%d results, want 8", len(run.Results))
	}
	seenFP := map[string]bool{}
	var file, live, annotated, configured, expired int
	for _, r := range run.Results {
		if drv.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s points at rule %d (%s)", r.RuleID, r.RuleIndex, drv.Rules[r.RuleIndex].ID)
		}
		fp := r.PartialFingerprints[fingerprintKey]
		if len(fp) != 32 || seenFP[fp] {
			t.Errorf("fingerprint %q missing or repeated", fp)
		}
		seenFP[fp] = true
		loc := r.Locations[0]
		if len(loc.LogicalLocations) != 1 || loc.LogicalLocations[0].Kind != "resource" {
			t.Errorf("%s: logical locations %+v", r.RuleID, loc.LogicalLocations)
		}
		switch {
		case strings.Contains(r.Message.Text, `container "api" runs privileged`):
			file++
			pl := loc.PhysicalLocation
			if r.Level != "error" || pl == nil || pl.ArtifactLocation.URI != "deploy/api.yaml" ||
				pl.ArtifactLocation.URIBaseID != "%SRCROOT%" || pl.Region == nil || pl.Region.StartLine != 23 {
				t.Errorf("file result: level %s location %+v", r.Level, pl)
			}
			// The check's own remediation is in the rule's help, not repeated here.
			if r.Message.Text != `shop/Deployment/api: container "api" runs privileged` {
				t.Errorf("message = %q", r.Message.Text)
			}
			if loc.LogicalLocations[0].FullyQualifiedName != "shop/Deployment/api" {
				t.Errorf("logical location = %+v", loc.LogicalLocations)
			}
		case strings.Contains(r.Message.Text, "busybox"):
			live++
			if loc.PhysicalLocation != nil {
				t.Errorf("live object has a physical location: %+v", loc.PhysicalLocation)
			}
			if r.Message.Text != "shop/Pod/debug: image busybox has no tag, so it means latest Remediation: Delete the debug pod." {
				t.Errorf("message = %q", r.Message.Text)
			}
			if l := loc.LogicalLocations[0]; l.FullyQualifiedName != "shop/Pod/debug" || l.Name != "debug" {
				t.Errorf("live logical location = %+v", l)
			}
		case strings.Contains(r.Message.Text, "has no digest") && strings.Contains(r.Message.Text, "nginx"):
			annotated++
			if len(r.Suppressions) != 1 || r.Suppressions[0].Kind != "inSource" || r.Suppressions[0].Status != "accepted" ||
				r.Suppressions[0].Justification != "internal mirror pins by policy" {
				t.Errorf("annotation suppression = %+v", r.Suppressions)
			}
		case strings.Contains(r.Message.Text, "grants every verb"):
			configured++
			if len(r.Suppressions) != 1 || r.Suppressions[0].Kind != "external" ||
				r.Suppressions[0].Justification != "break-glass role (until 2099-12-31)" ||
				!regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(r.Suppressions[0].GUID) {
				t.Errorf("config suppression = %+v", r.Suppressions)
			}
			if loc.LogicalLocations[0].FullyQualifiedName != "ClusterRole/ops-admin" {
				t.Errorf("cluster-scoped logical location = %+v", loc.LogicalLocations)
			}
		case strings.Contains(r.Message.Text, "expired 2024-01-31"):
			expired++
			if len(r.Suppressions) != 0 || r.Properties["exceptionExpired"] != "2024-01-31" || r.Level != "warning" {
				t.Errorf("expired exception: suppressions %+v properties %v", r.Suppressions, r.Properties)
			}
		default:
			if len(r.Suppressions) != 0 {
				t.Errorf("%s: unexpected suppression", r.Message.Text)
			}
		}
	}
	if file != 1 || live != 1 || annotated != 1 || configured != 1 || expired != 1 {
		t.Errorf("results seen: file %d live %d annotated %d configured %d expired %d", file, live, annotated, configured, expired)
	}

	// Input errors are tool notifications with their location.
	inv := run.Invocations
	if len(inv) != 1 || !inv[0].ExecutionSuccessful || len(inv[0].ToolExecutionNotifications) != 2 {
		t.Fatalf("invocations = %+v", inv)
	}
	n := inv[0].ToolExecutionNotifications
	if pl := n[0].Locations[0].PhysicalLocation; n[0].Level != "error" || pl == nil ||
		pl.ArtifactLocation.URI != "deploy/bad.yaml" || pl.Region.StartLine != 3 {
		t.Errorf("file error notification = %+v", n[0])
	}
	if n[1].Locations[0].LogicalLocations[0].FullyQualifiedName != "shop/Secret/db" {
		t.Errorf("resource error notification = %+v", n[1])
	}
}

// TestSARIFFingerprintStable: moving a finding to another line keeps its fingerprint; a
// different object or field changes it.
func TestSARIFFingerprintStable(t *testing.T) {
	base := fixture().Findings[0]
	fp := fingerprint(&base)
	moved := base
	moved.Line += 40
	moved.Message = "reworded"
	if fingerprint(&moved) != fp {
		t.Error("fingerprint changed with line and message")
	}
	other := base
	other.Object.Name = "other"
	field := base
	field.Path = "spec.other"
	if fingerprint(&other) == fp || fingerprint(&field) == fp {
		t.Error("fingerprint ignores object or path")
	}
	a := render(t, fixture(), Options{Format: "sarif"})
	if b := render(t, fixture(), Options{Format: "sarif"}); a != b {
		t.Error("two renderings of one result differ")
	}
}

func TestSARIFPaths(t *testing.T) {
	r := fixture()
	r.Findings = []check.Finding{{Check: "images/latest-tag", Severity: check.Medium, Practice: "images", Object: web,
		File: "/repo/deploy/web app.yaml", Line: 4, Message: "m"}}
	for root, want := range map[string][2]string{
		"/repo":      {"deploy/web%20app.yaml", "%SRCROOT%"},
		"":           {"file:///repo/deploy/web%20app.yaml", ""},
		"/elsewhere": {"file:///repo/deploy/web%20app.yaml", ""},
	} {
		d := readSARIF(t, render(t, r, Options{Format: "sarif", SourceRoot: root}))
		al := d.Runs[0].Results[0].Locations[0].PhysicalLocation.ArtifactLocation
		if al.URI != want[0] || al.URIBaseID != want[1] {
			t.Errorf("root %q: uri %q base %q, want %q %q", root, al.URI, al.URIBaseID, want[0], want[1])
		}
	}
}

// TestSARIFFromScan loads a manifest, runs a real check and validates the SARIF: each result
// sits on the line of the offending field, and the bad document is a notification.
func TestSARIFFromScan(t *testing.T) {
	c := check.Lookup("images/latest-tag")
	if c == nil {
		t.Fatal("images/latest-tag is not registered")
	}
	const file = "testdata/scan.yaml"
	objs, errs := load.Files([]string{file}, load.Options{})
	r := scan.Run(inventory.Build(objs), scan.Options{Checks: []*check.Check{c}, Errors: errs})
	out := render(t, r, Options{Format: "sarif", ToolVersion: "v0.1.0"})
	if err := validateSARIF(t, out); err != nil {
		t.Fatalf("invalid SARIF: %v\n%s", err, out)
	}

	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{} // line → "" or "suppressed"
	for i, l := range strings.Split(string(src), "\n") {
		if _, w, ok := strings.Cut(l, "# want: images/latest-tag"); ok {
			want[i+1] = strings.Trim(strings.TrimSpace(w), "()")
		}
	}
	d := readSARIF(t, out)
	got := map[int]string{}
	for _, res := range d.Runs[0].Results {
		pl := res.Locations[0].PhysicalLocation
		if res.RuleID != c.ID || pl == nil || pl.ArtifactLocation.URI != file || pl.ArtifactLocation.URIBaseID != "%SRCROOT%" || pl.Region == nil {
			t.Fatalf("result %+v", res)
		}
		got[pl.Region.StartLine] = ""
		if len(res.Suppressions) == 1 && res.Suppressions[0].Kind == "inSource" && res.Suppressions[0].Justification == "debugging only" {
			got[pl.Region.StartLine] = "suppressed"
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("results by line = %v, want %v", got, want)
	}
	n := d.Runs[0].Invocations[0].ToolExecutionNotifications
	// The error, then the warning that the scan is incomplete because of it.
	if len(n) != 2 || n[0].Locations[0].PhysicalLocation.ArtifactLocation.URI != file || n[0].Locations[0].PhysicalLocation.Region.StartLine < 29 ||
		n[1].Level != "warning" || !strings.HasPrefix(n[1].Message.Text, "INCOMPLETE: 1 input") {
		t.Errorf("input error notification = %+v", n)
	}
}

// TestSARIFStreamedEqualsWhole: the log written result by result is byte for byte the log
// built and encoded at once, with and without results, errors and unknown checks.
func TestSARIFStreamedEqualsWhole(t *testing.T) {
	unknown := fixture()
	unknown.Checks = unknown.Checks[:1] // the other findings' checks are found in the registry or made up
	unknown.Summary.Incomplete, unknown.Summary.IncompletePractices = true, []string{"rbac"}
	for name, r := range map[string]*scan.Result{"fixture": fixture(), "unknown checks": unknown, "empty": {}} {
		opts := Options{Format: "sarif", ToolVersion: "v1.2.3"}
		log, err := buildSARIF(r, opts)
		if err != nil {
			t.Fatal(err)
		}
		var whole bytes.Buffer
		if err := newEncoder(&whole, "").Encode(log); err != nil {
			t.Fatal(err)
		}
		if got := render(t, r, opts); got != whole.String() {
			t.Errorf("%s: streamed SARIF differs from the whole log:\n%s\n---\n%s", name, got, whole.String())
		}
	}
}
