// Package check is the framework every kubeharden check plugs into: what a check is, how it
// reports, how findings are suppressed, and the registry that lists them all.
//
// A check is a small documented unit, like an analyzer of golang.org/x/tools/go/analysis: it
// reads the inventory through a Pass and reports findings; it never touches the network.
package check

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Practices are the eight hardening practices, in the order reports present them, then
// "attack": attack paths, which chain the weaknesses the others find.
var Practices = []string{"network", "podsecurity", "secrets", "rbac", "ingress", "images", "versions", "resources", "attack"}

// Derived practices report chains of what the other practices already report (an attack
// path crosses an exposed Service, a missing policy, a binding): their findings cap the
// overall score as any finding does, but add no weight to it, so that one weakness is not
// counted twice. They still get a practice score of their own.
var Derived = map[string]bool{"attack": true}

// PracticeTitles names each practice for humans.
var PracticeTitles = map[string]string{
	"network":     "Network policies",
	"podsecurity": "Pod Security",
	"secrets":     "Secrets",
	"rbac":        "RBAC",
	"ingress":     "Ingress and exposure",
	"images":      "Images",
	"versions":    "Kubernetes versions",
	"resources":   "Resource limits",
	"attack":      "Attack paths",
}

// Check is one rule. ID is stable once released: "<practice>/<slug>".
type Check struct {
	ID    string
	Title string
	// Doc is one paragraph: why it matters and how to fix it.
	Doc        string
	Severity   Severity
	References []string // "CIS 5.2.2", "NSA-CISA: Pod security", "PSS restricted", "MITRE T1610"
	// Remediation is the default fix shown with each finding; a finding may give its own.
	Remediation string
	// Fixable says that the check offers SuggestedFixes on (some of) its findings, which
	// `kubeharden fix` applies.
	Fixable bool
	// CEL is the check as ValidatingAdmissionPolicy validations; nil when it cannot be
	// expressed in CEL on a single object.
	CEL *CEL

	// Kinds are the kinds the check reports on (Workloads for every pod-carrying kind).
	Kinds []string
	// Reads are other kinds whose objects can change the check's findings, besides those its
	// engines read (LimitRange for resource defaults, Namespace for Pod Security labels).
	Reads []string
	// Scope is how far beyond the reported object the check reads.
	Scope Scope
	// Requires are the engines the check uses; it gets each with Engine.Of.
	Requires []Requirement
	// PerObject, for a check of ScopeNamespace, says that its findings on an object follow
	// from that object and, of its namespace, the objects of Reads alone (its Namespace, its
	// LimitRanges), not from the other objects of Kinds there: a change of objects of Kinds
	// alone re-runs it on those objects, not on their whole namespaces.
	PerObject bool
	// FromEngines says the findings follow from the engines of Requires alone, the objects
	// they are reported on included: a change in place that every one of those engines
	// keeps (Engine.Keeps), and that touches none of Reads, leaves them as they were, though
	// it changes kinds the check reports on. The Evaluator then re-runs nothing and points
	// the findings at the objects as changed.
	FromEngines bool
	// Partition, for a check of ScopeCluster, says how its findings split by namespace, so
	// that a change re-runs it for the namespaces the change can affect alone.
	Partition *Partition

	// Run inspects the pass's inventory and reports findings.
	Run func(*Pass)
}

// Practice is the part of the ID before the slash.
func (c *Check) Practice() string {
	p, _, _ := strings.Cut(c.ID, "/")
	return p
}

type jsonCheck struct {
	ID          string   `json:"id"`
	Practice    string   `json:"practice"`
	Title       string   `json:"title"`
	Severity    Severity `json:"severity"`
	Doc         string   `json:"doc"`
	Remediation string   `json:"remediation,omitempty"`
	References  []string `json:"references,omitempty"`
	Fixable     bool     `json:"fixable"`
	// The declared inputs (see Check).
	Kinds      []string `json:"kinds"`
	Reads      []string `json:"reads,omitempty"`
	Scope      string   `json:"scope"`
	Engines    []string `json:"engines,omitempty"`
	ObjectOnly bool     `json:"objectOnly"`
	VAP        bool     `json:"vap"`
}

// MarshalJSON writes the check's metadata (not its code).
func (c *Check) MarshalJSON() ([]byte, error) {
	var engines []string
	for _, r := range c.Requires {
		engines = append(engines, r.EngineName())
	}
	return json.Marshal(&jsonCheck{c.ID, c.Practice(), c.Title, c.Severity, c.Doc, c.Remediation, c.References, c.Fixable,
		c.Kinds, c.Reads, c.Scope.String(), engines, c.ObjectOnly(), c.CEL != nil})
}

var (
	regMu    sync.Mutex
	registry = map[string]*Check{}
)

// Register adds checks to the registry. It panics on a malformed or duplicate ID: both are
// programming errors caught by the first test that imports the package.
func Register(cs ...*Check) {
	regMu.Lock()
	defer regMu.Unlock()
	for _, c := range cs {
		if err := validate(c); err != nil {
			panic(err)
		}
		if _, dup := registry[c.ID]; dup {
			panic("check: duplicate ID " + c.ID)
		}
		registry[c.ID] = c
	}
}

func validate(c *Check) error {
	p, slug, ok := strings.Cut(c.ID, "/")
	if !ok || slug == "" || PracticeTitles[p] == "" {
		return fmt.Errorf("check: ID %q is not <practice>/<slug> with a known practice", c.ID)
	}
	if c.Title == "" || c.Doc == "" || c.Severity == 0 || c.Run == nil {
		return fmt.Errorf("check %s: title, doc, severity and run are required", c.ID)
	}
	if len(c.Kinds) == 0 {
		return fmt.Errorf("check %s: Kinds (the kinds it reports on) is required", c.ID)
	}
	if c.Scope < ScopeObject || c.Scope > ScopeCluster {
		return fmt.Errorf("check %s: Scope (object, namespace or cluster) is required", c.ID)
	}
	if c.PerObject && c.Scope != ScopeNamespace {
		return fmt.Errorf("check %s: PerObject is for checks of namespace scope", c.ID)
	}
	if c.Partition != nil && (c.Scope != ScopeCluster || c.Partition.Affected == nil) {
		return fmt.Errorf("check %s: a Partition (with Affected) is for checks of cluster scope", c.ID)
	}
	for _, r := range c.Requires {
		if r == nil {
			return fmt.Errorf("check %s: nil engine in Requires", c.ID)
		}
		// An engine that indexes objects is built over the objects the check runs on; for a
		// check of a narrower scope those are only the object or its namespace.
		if c.Scope != ScopeCluster && len(r.EngineReads()) > 0 {
			return fmt.Errorf("check %s: scope %s cannot require engine %q, which reads %v: its scope is cluster",
				c.ID, c.Scope, r.EngineName(), r.EngineReads())
		}
	}
	return nil
}

// All returns every registered check, sorted by practice order, then ID.
func All() []*Check {
	regMu.Lock()
	defer regMu.Unlock()
	out := make([]*Check, 0, len(registry))
	for _, c := range registry {
		out = append(out, c)
	}
	SortChecks(out)
	return out
}

// Lookup returns the registered check with id, or nil.
func Lookup(id string) *Check {
	regMu.Lock()
	defer regMu.Unlock()
	return registry[id]
}

// PracticeIndex is the position of a practice in Practices, or len(Practices) if unknown.
func PracticeIndex(p string) int {
	for i, q := range Practices {
		if q == p {
			return i
		}
	}
	return len(Practices)
}

// SortChecks orders checks by practice, then ID.
func SortChecks(cs []*Check) {
	sort.Slice(cs, func(i, j int) bool {
		pi, pj := PracticeIndex(cs[i].Practice()), PracticeIndex(cs[j].Practice())
		if pi != pj {
			return pi < pj
		}
		return cs[i].ID < cs[j].ID
	})
}
