package report

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/scan"
)

// InformationURI is where SARIF viewers send people who want to know about the tool.
const InformationURI = "https://github.com/kubeharden/kubeharden"

// srcRoot is the conventional base for paths relative to the checkout; code scanning resolves
// it to the repository root.
const srcRoot = "%SRCROOT%"

// fingerprintKey names kubeharden's partial fingerprint; bump the version if its inputs change.
const fingerprintKey = "kubeharden/v1"

// securitySeverity is the CVSS-like score GitHub code scanning ranks security results by
// (critical ≥ 9.0, high ≥ 7.0, medium ≥ 4.0, low > 0).
var securitySeverity = map[check.Severity]string{
	check.Critical: "9.5", check.High: "8.0", check.Medium: "5.5", check.Low: "3.0", check.Info: "1.0",
}

// sarifLevel maps severities to SARIF levels: only critical and high break a build that
// gates on errors.
func sarifLevel(s check.Severity) string {
	switch {
	case s >= check.High:
		return "error"
	case s == check.Medium:
		return "warning"
	}
	return "note"
}

// writeSARIF writes a SARIF 2.1.0 log with one run: a rule for every check that ran (with its
// docs as help) and a result for every finding, suppressed ones included and marked. Results
// are encoded one at a time, as JSON findings are (see writeJSON).
func writeSARIF(w io.Writer, r *scan.Result, opts Options) error {
	s, err := newSARIF(r, opts)
	if err != nil {
		return err
	}
	var doc bytes.Buffer
	if err := newEncoder(&doc, "").Encode(s.log); err != nil {
		return err
	}
	const marker, indent = `"results": [`, "\n        "
	head, tail, found := bytes.Cut(doc.Bytes(), []byte(marker))
	if !found {
		return fmt.Errorf("report: no %q in the SARIF log", marker)
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(head)
	bw.WriteString(marker)
	var buf bytes.Buffer
	enc := newEncoder(&buf, indent[1:])
	for i := range r.Findings {
		buf.Reset()
		if err := enc.Encode(s.result(&r.Findings[i])); err != nil {
			return err
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString(indent)
		bw.Write(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
	}
	if len(r.Findings) > 0 {
		bw.WriteString(indent[:len(indent)-2])
	}
	bw.Write(tail)
	return bw.Flush()
}

// sarifLog is a SARIF log without its results, and what turns findings into them.
type sarifLog struct {
	log       *sarif.Report
	run       *sarif.Run
	idx       checkIndex
	ruleIndex map[string]int
	opts      Options
}

// buildSARIF is the whole log at once, for tests: the streamed log must equal it.
func buildSARIF(r *scan.Result, opts Options) (*sarif.Report, error) {
	s, err := newSARIF(r, opts)
	if err != nil {
		return nil, err
	}
	for i := range r.Findings {
		s.run.AddResult(s.result(&r.Findings[i]))
	}
	return s.log, nil
}

// newSARIF builds the log's rules (every check that ran, in ID order, then checks known
// only from their findings), invocation and notifications.
func newSARIF(r *scan.Result, opts Options) (*sarifLog, error) {
	log, err := sarif.New(sarif.Version210)
	if err != nil {
		return nil, err
	}
	driver := sarif.NewDriver("kubeharden").WithInformationURI(InformationURI)
	if opts.ToolVersion != "" {
		driver.WithVersion(opts.ToolVersion)
	}
	run := sarif.NewRun(sarif.Tool{Driver: driver})
	run.Results = []*sarif.Result{}
	s := &sarifLog{log: log, run: run, idx: indexChecks(r), ruleIndex: map[string]int{}, opts: opts}

	addRule := func(c *check.Check) {
		if _, ok := s.ruleIndex[c.ID]; ok {
			return
		}
		s.ruleIndex[c.ID] = len(driver.Rules)
		driver.AddRule(sarifRule(c))
	}
	var checks []*check.Check
	for _, c := range s.idx {
		checks = append(checks, c)
	}
	check.SortChecks(checks)
	for _, c := range checks {
		addRule(c)
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		if _, ok := s.ruleIndex[f.Check]; !ok {
			// A finding of a check the result does not list: describe it as well as we can.
			c := s.idx.get(f.Check)
			if c == nil {
				c = &check.Check{ID: f.Check, Title: f.Check, Doc: f.Check, Severity: f.Severity}
			}
			addRule(c)
		}
	}

	inv := run.AddInvocation(true)
	for _, e := range r.Errors {
		n := sarif.NewNotification().WithLevel("error").WithTextMessage(e.Error())
		if e.File != "" {
			n.AddLocation(fileLocation(e.File, e.Line, opts))
		} else if e.Resource != "" {
			n.AddLocation(sarif.NewLocation().WithLogicalLocations([]*sarif.LogicalLocation{
				sarif.NewLogicalLocation().WithFullyQualifiedName(e.Resource).WithKind("resource"),
			}))
		}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
	if note := incompleteNote(r); note != "" {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarif.NewNotification().
			WithLevel("warning").WithTextMessage(note))
	}
	log.AddRun(run)
	return s, nil
}

func (s *sarifLog) result(f *check.Finding) *sarif.Result {
	return sarifResult(f, s.idx.get(f.Check), s.ruleIndex[f.Check], s.opts)
}

func sarifRule(c *check.Check) *sarif.ReportingDescriptor {
	rule := sarif.NewRule(c.ID).
		WithName(ruleName(c.ID)).
		WithShortDescription(sarif.NewMultiformatMessageString(c.Title)).
		WithFullDescription(sarif.NewMultiformatMessageString(c.Doc)).
		WithTextHelp(helpText(c)).
		WithMarkdownHelp(helpMarkdown(c)).
		WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(sarifLevel(c.Severity)))
	props := sarif.Properties{
		"tags":              []string{c.Practice(), "security"},
		"security-severity": securitySeverity[c.Severity],
		"severity":          c.Severity.String(),
	}
	if c.Fixable {
		props["fixable"] = true
	}
	return rule.WithProperties(props)
}

// ruleName is the ID as an identifier-like name, as SARIF suggests: "images/latest-tag" →
// "ImagesLatestTag".
func ruleName(id string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(id, func(r rune) bool { return r == '/' || r == '-' || r == '_' || r == '.' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

func helpText(c *check.Check) string {
	s := c.Doc
	if c.Remediation != "" {
		s += "\n\nRemediation: " + c.Remediation
	}
	if len(c.References) > 0 {
		s += "\n\nReferences: " + strings.Join(c.References, "; ")
	}
	return s
}

func helpMarkdown(c *check.Check) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** (`%s`, %s)\n\n%s", mdEscape(c.Title), c.ID, c.Severity, mdEscape(c.Doc))
	if c.Remediation != "" {
		fmt.Fprintf(&b, "\n\n**Remediation:** %s", mdEscape(c.Remediation))
	}
	if len(c.References) > 0 {
		b.WriteString("\n\n**References:**\n")
		for _, ref := range c.References {
			fmt.Fprintf(&b, "\n- %s", mdEscape(ref))
		}
	}
	return b.String()
}

// sarifResult describes one finding; c is its check, if known. The message names the object,
// as code-scanning views show it without the logical location, and adds the remediation when
// it is specific to the finding (the check's own is in the rule's help).
func sarifResult(f *check.Finding, c *check.Check, ruleIdx int, opts Options) *sarif.Result {
	msg := f.Message
	if f.Object.Name != "" {
		msg = f.Object.String() + ": " + msg
	}
	if f.Remediation != "" && (c == nil || f.Remediation != c.Remediation) {
		msg += " Remediation: " + f.Remediation
	}
	res := sarif.NewRuleResult(f.Check).
		WithRuleIndex(ruleIdx).
		WithLevel(sarifLevel(f.Severity)).
		WithMessage(sarif.NewTextMessage(msg))

	obj := objectLogicalLocation(f)
	if f.File != "" || obj != nil {
		loc := sarif.NewLocation()
		if f.File != "" {
			loc = fileLocation(f.File, f.Line, opts)
		}
		if obj != nil {
			loc.WithLogicalLocations([]*sarif.LogicalLocation{obj})
		}
		res.AddLocation(loc)
	}

	fp := fingerprint(f)
	res.WithPartialFingerPrints(map[string]any{fingerprintKey: fp})
	props := sarif.Properties{"severity": f.Severity.String(), "practice": f.Practice}
	if f.Path != "" {
		props["path"] = f.Path
	}
	if isExpired(f) {
		props["exceptionExpired"] = f.Suppression.Expires.String()
	}
	res.Properties = props

	if f.Suppressed {
		res.AddSuppression(sarifSuppression(f, fp, opts))
	}
	return res
}

// fileLocation points at a line of a file under %SRCROOT% (or an absolute file URI).
func fileLocation(file string, line int, opts Options) *sarif.Location {
	uri, rel := sourceURI(file, opts.SourceRoot)
	al := sarif.NewSimpleArtifactLocation(uri)
	if rel {
		al.WithUriBaseId(srcRoot)
	}
	pl := sarif.NewPhysicalLocation().WithArtifactLocation(al)
	if line > 0 {
		pl.WithRegion(sarif.NewRegion().WithStartLine(line))
	}
	return sarif.NewLocationWithPhysicalLocation(pl)
}

// objectLogicalLocation names the Kubernetes object: "ns/Kind/name", or "Kind/name" when it
// is cluster-scoped.
func objectLogicalLocation(f *check.Finding) *sarif.LogicalLocation {
	if f.Object.Kind == "" && f.Object.Name == "" {
		return nil
	}
	return sarif.NewLogicalLocation().
		WithName(f.Object.Name).
		WithFullyQualifiedName(f.Object.String()).
		WithKind("resource")
}

// fingerprint identifies a finding across runs: the check, the object and the field, but not
// the line or the message, so that edits elsewhere in the file do not make it look new.
func fingerprint(f *check.Finding) string {
	h := sha256.Sum256([]byte(strings.Join([]string{
		f.Check, f.Object.APIVersion, f.Object.Kind, f.Object.Namespace, f.Object.Name, f.Path,
	}, "\x00")))
	return hex.EncodeToString(h[:16])
}

// sarifSuppression says why a finding is suppressed: "inSource" for the object's own
// annotation, "external" for a config-file exception. go-sarif writes every field of a
// suppression even when unset, and the schema rejects nulls, so all of them are filled.
func sarifSuppression(f *check.Finding, fp string, opts Options) *sarif.Suppression {
	s := f.Suppression
	if s == nil {
		s = &check.Suppression{}
	}
	kind := "external"
	loc := sarif.NewLocation()
	switch {
	case s.Source == "annotation":
		kind = "inSource"
		if f.File != "" {
			loc = fileLocation(f.File, 0, opts)
		}
		loc.WithDescriptionText("annotation " + check.IgnoreAnnotation + " on " + f.Object.String())
	case s.Source != "":
		loc = fileLocation(s.Source, 0, opts)
		loc.WithDescriptionText("exception in " + s.Source)
	default:
		loc.WithDescriptionText("exception in the kubeharden configuration")
	}
	reason := s.Reason
	if reason == "" {
		reason = "suppressed"
	}
	if !s.Expires.IsZero() {
		reason += " (until " + s.Expires.String() + ")"
	}
	return sarif.NewSuppression(kind).
		WithStatus("accepted").
		WithJustifcation(reason).
		WithLocation(loc).
		WithGuid(guid(fp + "\x00" + kind + "\x00" + s.Source))
}

// guid derives a stable version-5-style UUID from s, so repeated runs give the same GUID.
func guid(s string) string {
	h := sha256.Sum256([]byte(s))
	b := h[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	x := hex.EncodeToString(b)
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}
