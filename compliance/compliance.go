// Package compliance maps checks to the controls of compliance frameworks: the CIS Kubernetes
// Benchmark, the NSA-CISA Kubernetes Hardening Guide, the Pod Security Standards and MITRE
// ATT&CK for Containers. The mapping is data, embedded from mapping.csv (one row per check)
// and frameworks.yaml (the controls each framework has), so that reviewers read and change a
// table, not code; a test holds every registered check to a row and every row to real
// controls.
//
// `scan --framework` keeps the findings of the checks a framework maps and summarises them by
// control; `checks --framework` prints the mapping.
package compliance

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"

	"sigs.k8s.io/yaml"

	"github.com/kubeharden/kubeharden/check"
)

var (
	//go:embed mapping.csv
	mappingCSV []byte
	//go:embed frameworks.yaml
	frameworksYAML []byte
)

// None in a mapping cell says that a check maps to no control of that framework.
const None = "none"

// Framework is a compliance framework and the controls it has.
type Framework struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Version  string    `json:"version"`
	Pattern  string    `json:"pattern"`
	Controls []Control `json:"controls"`

	pattern *regexp.Regexp
	byID    map[string]*Control
}

// Control is one control (a recommendation, section, standard control or technique).
type Control struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	// Containers is false for ATT&CK techniques outside the Containers platform.
	Containers *bool `json:"containers,omitempty"`
}

// Control returns the framework's control with this ID, or nil.
func (f *Framework) Control(id string) *Control { return f.byID[id] }

// Data is the whole mapping: the frameworks, in the order the table's columns list them, and
// for each check the control IDs per framework (an empty list where the table says none).
type Data struct {
	Frameworks []*Framework
	Checks     map[string]map[string][]string
	// Rows are the check IDs in the table's order, with the line each was read from.
	Rows  []string
	Lines map[string]int
}

var (
	once    sync.Once
	data    *Data
	dataErr error
)

// Load parses the embedded tables once. An error is a defect of the tables, which the
// package's test catches.
func Load() (*Data, error) {
	once.Do(func() { data, dataErr = parse(mappingCSV, frameworksYAML) })
	return data, dataErr
}

// Frameworks lists the framework IDs, in the table's order.
func Frameworks() []string {
	d, err := Load()
	if err != nil {
		return nil
	}
	var out []string
	for _, f := range d.Frameworks {
		out = append(out, f.ID)
	}
	return out
}

// Get returns a framework by ID.
func (d *Data) Get(id string) *Framework {
	for _, f := range d.Frameworks {
		if f.ID == id {
			return f
		}
	}
	return nil
}

// Lookup returns the framework with this ID, or an error that lists the known ones.
func Lookup(id string) (*Data, *Framework, error) {
	d, err := Load()
	if err != nil {
		return nil, nil, err
	}
	if f := d.Get(id); f != nil {
		return d, f, nil
	}
	return nil, nil, fmt.Errorf("unknown framework %q (want one of %s)", id, strings.Join(Frameworks(), ", "))
}

// Controls returns the controls of framework fw that check id maps to.
func (d *Data) Controls(id, fw string) []string { return d.Checks[id][fw] }

func parse(table, frameworks []byte) (*Data, error) {
	d := &Data{Checks: map[string]map[string][]string{}, Lines: map[string]int{}}
	if err := yaml.UnmarshalStrict(frameworks, &d.Frameworks); err != nil {
		return nil, fmt.Errorf("frameworks.yaml: %v", err)
	}
	for _, f := range d.Frameworks {
		re, err := regexp.Compile(f.Pattern)
		if err != nil {
			return nil, fmt.Errorf("frameworks.yaml: %s: pattern: %v", f.ID, err)
		}
		f.pattern, f.byID = re, map[string]*Control{}
		for i := range f.Controls {
			c := &f.Controls[i]
			if !re.MatchString(c.ID) {
				return nil, fmt.Errorf("frameworks.yaml: %s: control %q does not match %s", f.ID, c.ID, f.Pattern)
			}
			if f.byID[c.ID] != nil {
				return nil, fmt.Errorf("frameworks.yaml: %s: control %q listed twice", f.ID, c.ID)
			}
			f.byID[c.ID] = c
		}
	}
	r := csv.NewReader(bytes.NewReader(table))
	r.Comment = '#'
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("mapping.csv: %v", err)
	}
	if len(head) != len(d.Frameworks)+1 || head[0] != "check" {
		return nil, fmt.Errorf("mapping.csv: header %v: want check and one column per framework", head)
	}
	for i, f := range d.Frameworks {
		if head[i+1] != f.ID {
			return nil, fmt.Errorf("mapping.csv: column %d is %q, frameworks.yaml lists %q there", i+2, head[i+1], f.ID)
		}
	}
	for {
		rec, err := r.Read()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, fmt.Errorf("mapping.csv: %v", err)
		}
		line, _ := r.FieldPos(0)
		id := rec[0]
		if d.Checks[id] != nil {
			return nil, fmt.Errorf("mapping.csv:%d: %s has a second row", line, id)
		}
		d.Checks[id] = map[string][]string{}
		d.Rows = append(d.Rows, id)
		d.Lines[id] = line
		for i, f := range d.Frameworks {
			cell := strings.TrimSpace(rec[i+1])
			switch cell {
			case "":
				return nil, fmt.Errorf("mapping.csv:%d: %s: the %s cell is empty; write %q when no control applies", line, id, f.ID, None)
			case None:
				continue
			}
			for _, c := range strings.Split(cell, ";") {
				c = strings.TrimSpace(c)
				if !f.pattern.MatchString(c) {
					return nil, fmt.Errorf("mapping.csv:%d: %s: %s control %q is not well-formed (%s)", line, id, f.ID, c, f.Pattern)
				}
				if f.byID[c] == nil {
					return nil, fmt.Errorf("mapping.csv:%d: %s: %s has no control %q (frameworks.yaml)", line, id, f.ID, c)
				}
				d.Checks[id][f.ID] = append(d.Checks[id][f.ID], c)
			}
		}
	}
	return d, nil
}

// Filter keeps the checks that framework fw maps to at least one control. Checks without a
// row (custom checks from the config) are left out: nothing says which control they serve.
func (d *Data) Filter(cs []*check.Check, fw string) []*check.Check {
	var out []*check.Check
	for _, c := range cs {
		if len(d.Checks[c.ID][fw]) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// Summary is a scan judged control by control: a control fails while an unsuppressed finding
// of a check mapped to it remains, and passes when its checks ran and found nothing.
type Summary struct {
	Framework string          `json:"framework"`
	Name      string          `json:"name"`
	Version   string          `json:"version"`
	Passed    int             `json:"passed"`
	Failed    int             `json:"failed"`
	Controls  []ControlResult `json:"controls"`
}

// ControlResult is one control's verdict.
type ControlResult struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Checks   []string `json:"checks"`
	Findings int      `json:"findings"`
	// Worst is the highest severity among its unsuppressed findings; empty when it passed.
	Worst  string `json:"worst,omitempty"`
	Passed bool   `json:"passed"`
}

// Summarize judges the controls of framework fw that the checks that ran map to, in the
// framework's order.
func (d *Data) Summarize(fw string, ran []*check.Check, findings []check.Finding) *Summary {
	f := d.Get(fw)
	if f == nil {
		return nil
	}
	s := &Summary{Framework: f.ID, Name: f.Name, Version: f.Version}
	checks := map[string][]string{}
	for _, c := range ran {
		for _, ctl := range d.Checks[c.ID][fw] {
			checks[ctl] = append(checks[ctl], c.ID)
		}
	}
	count := map[string]int{}
	worst := map[string]check.Severity{}
	for _, fd := range findings {
		if fd.Suppressed {
			continue
		}
		for _, ctl := range d.Checks[fd.Check][fw] {
			count[ctl]++
			worst[ctl] = max(worst[ctl], fd.Severity)
		}
	}
	for _, c := range f.Controls {
		ids := checks[c.ID]
		if len(ids) == 0 {
			continue
		}
		sort.Strings(ids)
		r := ControlResult{ID: c.ID, Title: c.Title, Checks: ids, Findings: count[c.ID], Passed: count[c.ID] == 0}
		if !r.Passed {
			r.Worst = worst[c.ID].String()
			s.Failed++
		} else {
			s.Passed++
		}
		s.Controls = append(s.Controls, r)
	}
	return s
}
