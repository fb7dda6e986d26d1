package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/scan"
)

func day(s string) config.Date {
	d, err := config.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func noop(*check.Pass) {}

// fixtureChecks are the checks that "ran": every one with findings, plus
// resources/missing-requests, which found nothing.
func fixtureChecks() []*check.Check {
	return []*check.Check{
		{ID: "podsecurity/privileged", Title: "Privileged containers", Severity: check.Critical,
			Doc:         "A privileged container has every capability and the host's devices; escaping it is trivial.",
			Remediation: "Set securityContext.privileged to false.", References: []string{"PSS baseline", "CIS 5.2.1"},
			Fixable: true, Run: noop},
		{ID: "images/latest-tag", Title: "Mutable image tag", Severity: check.Medium,
			Doc: "A :latest or missing tag changes under you.", Remediation: "Pin a version tag.", Run: noop},
		{ID: "images/not-pinned", Title: "Image without digest", Severity: check.Low,
			Doc: "Tags can be moved; digests cannot.", Remediation: "Add @sha256:<digest>.", Run: noop},
		{ID: "network/no-default-deny", Title: "No default-deny NetworkPolicy", Severity: check.High,
			Doc: "Without a default deny, every pod accepts traffic from everywhere.", References: []string{"NSA-CISA: Network separation"}, Run: noop},
		{ID: "rbac/wildcard-verbs", Title: "Wildcard verbs", Severity: check.High,
			Doc: "A rule with verbs: [\"*\"] grants verbs that do not exist yet.", Run: noop},
		{ID: "resources/missing-requests", Title: "Missing requests", Severity: check.Medium,
			Doc: "Without requests the scheduler packs pods blindly.", Run: noop},
	}
}

var (
	api    = inventory.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "api"}
	web    = inventory.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"}
	shopNS = inventory.Ref{APIVersion: "v1", Kind: "Namespace", Name: "shop"}
	debug  = inventory.Ref{APIVersion: "v1", Kind: "Pod", Namespace: "shop", Name: "debug"}
	ops    = inventory.Ref{APIVersion: "rbac.authorization.k8s.io/v1", Kind: "ClusterRole", Name: "ops-admin"}
)

// fixture is a result with file and live findings, two findings of one check on one object,
// an annotation and a config suppression, an expired exception and two input errors.
func fixture() *scan.Result {
	fs := []check.Finding{
		{Check: "podsecurity/privileged", Severity: check.Critical, Practice: "podsecurity", Object: api,
			File: "deploy/api.yaml", Line: 23, Path: "spec.template.spec.containers[0].securityContext.privileged",
			Message: `container "api" runs privileged`, Remediation: "Set securityContext.privileged to false."},
		{Check: "podsecurity/privileged", Severity: check.Critical, Practice: "podsecurity", Object: api,
			File: "deploy/api.yaml", Line: 31, Path: "spec.template.spec.containers[1].securityContext.privileged",
			Message: `container "sidecar" runs privileged`, Remediation: "Set securityContext.privileged to false."},
		{Check: "network/no-default-deny", Severity: check.High, Practice: "network", Object: shopNS,
			Message: "namespace shop has no default-deny NetworkPolicy"},
		{Check: "images/latest-tag", Severity: check.Medium, Practice: "images", Object: api,
			File: "deploy/api.yaml", Line: 20, Path: "spec.template.spec.containers[0].image",
			Message:     "image nginx uses the mutable tag `latest` | pin a version (exception from .kubeharden.yaml expired 2024-01-31: migration)",
			Suppression: &check.Suppression{Source: ".kubeharden.yaml", Reason: "migration", Expires: day("2024-01-31"), Expired: true}},
		{Check: "images/not-pinned", Severity: check.Low, Practice: "images", Object: api,
			File: "deploy/api.yaml", Line: 20, Path: "spec.template.spec.containers[0].image",
			Message: "image nginx:latest has no digest", Suppressed: true,
			Suppression: &check.Suppression{Source: "annotation", Reason: "internal mirror pins by policy"}},
		{Check: "images/not-pinned", Severity: check.Low, Practice: "images", Object: web,
			File: "deploy/web.yaml", Line: 9, Path: "spec.template.spec.containers[0].image",
			Message: "image web:1.2 has no digest"},
		{Check: "images/latest-tag", Severity: check.Medium, Practice: "images", Object: debug,
			Message: "image busybox has no tag, so it means latest"},
		{Check: "rbac/wildcard-verbs", Severity: check.High, Practice: "rbac", Object: ops,
			Path: "rules[0].verbs", Message: "rule 0 grants every verb", Suppressed: true,
			Suppression: &check.Suppression{Source: ".kubeharden.yaml", Reason: "break-glass role", Expires: day("2099-12-31")}},
	}
	check.SortFindings(fs)
	r := &scan.Result{
		Findings: fs,
		Errors: []check.Error{
			{File: "deploy/bad.yaml", Line: 3, Message: "yaml: mapping values are not allowed in this context"},
			{Resource: "shop/Secret/db", Message: "secrets is forbidden: cannot list"},
		},
		Checks: fixtureChecks(),
	}
	r.Summary = summary(12, fs, r.Checks)
	r.Summary.Incomplete = false
	return r
}

// summary mirrors scan's summary with its exported Score, so the fixture stays consistent.
func summary(objects int, fs []check.Finding, cs []*check.Check) scan.Summary {
	s := scan.Summary{Objects: objects, BySeverity: map[string]int{}, Practices: map[string]int{}}
	per := map[string]float64{}
	for _, c := range cs {
		per[c.Practice()] += 0
	}
	total := 0.0
	for _, f := range fs {
		if f.Suppression != nil && f.Suppression.Expired {
			s.Expired++
		}
		if f.Suppressed {
			s.Suppressed++
			continue
		}
		s.Findings++
		s.BySeverity[f.Severity.String()]++
		total += scan.Weights[f.Severity]
		per[f.Practice] += scan.Weights[f.Severity]
	}
	for p, w := range per {
		s.Practices[p] = scan.Score(objects, w)
	}
	s.Score = scan.Score(objects, total)
	return s
}

func render(t *testing.T, r *scan.Result, opts Options) string {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, r, opts); err != nil {
		t.Fatalf("Write(%s): %v", opts.Format, err)
	}
	return b.String()
}

func TestFixtureSummary(t *testing.T) {
	s := fixture().Summary
	// 12 objects; weights 2×10 + 5 + 2×2 + 1 = 30 → 100·12/42 = 28.6.
	if s.Score != 29 || s.Findings != 6 || s.Suppressed != 2 || s.Expired != 1 {
		t.Fatalf("fixture summary = %+v, want score 29, 6 findings, 2 suppressed, 1 expired", s)
	}
	want := map[string]int{"podsecurity": 38, "network": 71, "images": 71, "rbac": 100, "resources": 100}
	for p, v := range want {
		if s.Practices[p] != v {
			t.Errorf("practice %s score = %d, want %d", p, s.Practices[p], v)
		}
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	err := Write(&bytes.Buffer{}, fixture(), Options{Format: "xml"})
	if err == nil {
		t.Fatal("Write with format xml: no error")
	}
	for _, want := range append([]string{`"xml"`}, Formats...) {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if err := Write(&bytes.Buffer{}, nil, Options{Format: "json"}); err == nil {
		t.Error("Write(nil result): no error")
	}
}

// TestEveryFormat writes the fixture and an empty result in every format: none may fail, and
// none may change the result it renders.
func TestEveryFormat(t *testing.T) {
	for _, format := range Formats {
		for name, r := range map[string]*scan.Result{"fixture": fixture(), "empty": {}} {
			t.Run(format+"/"+name, func(t *testing.T) {
				before := render(t, r, Options{Format: "json"})
				out := render(t, r, Options{Format: format, ShowSuppressed: true, Color: true, Width: 80})
				if strings.TrimSpace(out) == "" {
					t.Fatal("empty output")
				}
				if after := render(t, r, Options{Format: "json"}); after != before {
					t.Errorf("writing %s changed the result", format)
				}
			})
		}
	}
	if render(t, fixture(), Options{}) != render(t, fixture(), Options{Format: "table"}) {
		t.Error("the empty format is not the table")
	}
}

func TestSourceURI(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file, root, uri string
		rel             bool
	}{
		{"deploy/api.yaml", "", "deploy/api.yaml", true},
		{"./deploy/../deploy/api.yaml", "", "deploy/api.yaml", true},
		{"deploy/my app.yaml", "", "deploy/my%20app.yaml", true},
		{"a:b.yaml", "", "./a:b.yaml", true},
		{"/repo/deploy/api.yaml", "/repo", "deploy/api.yaml", true},
		{"/elsewhere/api.yaml", "/repo", "file:///elsewhere/api.yaml", false},
		{"/repo/api.yaml", "", "file:///repo/api.yaml", false},
		{"deploy/api.yaml", wd, "deploy/api.yaml", true},
		{"deploy/api.yaml", filepath.Dir(wd), filepath.Base(wd) + "/deploy/api.yaml", true},
		{"../x.yaml", wd, "file://" + filepath.ToSlash(filepath.Join(filepath.Dir(wd), "x.yaml")), false},
	} {
		uri, rel := sourceURI(tc.file, tc.root)
		if uri != tc.uri || rel != tc.rel {
			t.Errorf("sourceURI(%q, %q) = %q, %v; want %q, %v", tc.file, tc.root, uri, rel, tc.uri, tc.rel)
		}
	}
}

func scanRef(ns, name string) inventory.Ref {
	return inventory.Ref{APIVersion: "apps/v1", Kind: "Deployment", Namespace: ns, Name: name}
}
