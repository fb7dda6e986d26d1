package monitor

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// ReportAPI is the API reports are written as.
type ReportAPI struct {
	// Group and Version of both kinds.
	Group, Version string
	// Kind is the namespaced report, ClusterKind the cluster-scoped one; Resource and
	// ClusterResource their plural resource names.
	Kind, ClusterKind         string
	Resource, ClusterResource string
}

// The two report APIs: the Policy WG's PolicyReport, which kubectl users, Policy Reporter and
// Kyverno read, and its successor OpenReports. Their documents have the same shape.
var (
	PolicyReportAPI = ReportAPI{Group: "wgpolicyk8s.io", Version: "v1alpha2",
		Kind: "PolicyReport", ClusterKind: "ClusterPolicyReport",
		Resource: "policyreports", ClusterResource: "clusterpolicyreports"}
	OpenReportsAPI = ReportAPI{Group: "openreports.io", Version: "v1alpha1",
		Kind: "Report", ClusterKind: "ClusterReport",
		Resource: "reports", ClusterResource: "clusterreports"}
)

// ReportAPIs are the APIs by their --report-api names.
var ReportAPIs = map[string]ReportAPI{"wgpolicyk8s": PolicyReportAPI, "openreports": OpenReportsAPI}

// GVR is the resource of the namespaced (cluster=false) or cluster-scoped report kind.
func (a ReportAPI) GVR(cluster bool) schema.GroupVersionResource {
	r := a.Resource
	if cluster {
		r = a.ClusterResource
	}
	return schema.GroupVersionResource{Group: a.Group, Version: a.Version, Resource: r}
}

// Labels on every report kubeharden writes; the monitor owns the reports that carry them.
const (
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedBy      = "kubeharden"
	// ReportName is the name of a namespace's report (and of the cluster report); a report
	// split for size continues as ReportName-2, ReportName-3...
	ReportName = "kubeharden"
	// Source is the result's source: the engine that produced it.
	Source = "kubeharden"
)

// Report is a PolicyReport or ClusterPolicyReport (or their OpenReports twins).
type Report struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Summary           Summary  `json:"summary"`
	Results           []Result `json:"results,omitempty"`
}

// Summary counts the results by outcome.
type Summary struct {
	Pass  int `json:"pass"`
	Fail  int `json:"fail"`
	Warn  int `json:"warn"`
	Error int `json:"error"`
	Skip  int `json:"skip"`
}

// Result is one finding.
type Result struct {
	Source     string            `json:"source"`
	Policy     string            `json:"policy"`
	Rule       string            `json:"rule,omitempty"`
	Category   string            `json:"category,omitempty"`
	Severity   string            `json:"severity,omitempty"`
	Timestamp  metav1.Timestamp  `json:"timestamp"`
	Result     string            `json:"result"`
	Scored     bool              `json:"scored"`
	Resources  []ObjectReference `json:"resources,omitempty"`
	Message    string            `json:"message,omitempty"`
	Properties map[string]string `json:"properties,omitempty"`
}

// ObjectReference names the object a result is about.
type ObjectReference struct {
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name,omitempty"`
	UID        string `json:"uid,omitempty"`
}

// Result values. A suppressed finding is a skip: the policy was not applied to the object by
// the user's choice, and it does not count as a failure, as in scan's summary.
const (
	resultFail = "fail"
	resultSkip = "skip"
)

// Properties of a result.
const (
	PropPractice          = "practice"
	PropPath              = "path"
	PropSuppressed        = "suppressed"
	PropSuppressionReason = "suppressionReason"
	PropSuppressionSource = "suppressionSource"
)

// interner builds results that share what many of them hold alike: the properties (the
// practice, the suppression state, the path) and the reference of an object with several
// findings. Reports are kept for as long as the monitor runs, and a map and a slice of
// their own per result were a third of their memory. Nothing changes a result's properties
// or resources once it is built, so sharing them is safe.
type interner struct {
	props map[[5]string]map[string]string
	refs  map[ObjectReference][]ObjectReference
}

func newInterner() *interner {
	return &interner{props: map[[5]string]map[string]string{}, refs: map[ObjectReference][]ObjectReference{}}
}

// result turns a finding into a result; uid is the object's UID when known.
func (s *interner) result(f *check.Finding, uid string) Result {
	r := Result{
		Source:   Source,
		Policy:   f.Check,
		Category: check.PracticeTitles[f.Practice],
		Severity: f.Severity.String(),
		Result:   resultFail,
		Scored:   true,
		Message:  f.Message,
	}
	if _, slug, ok := strings.Cut(f.Check, "/"); ok {
		r.Rule = slug
	}
	ref := ObjectReference{APIVersion: f.Object.APIVersion, Kind: f.Object.Kind,
		Namespace: f.Object.Namespace, Name: f.Object.Name, UID: uid}
	if r.Resources = s.refs[ref]; r.Resources == nil {
		r.Resources = []ObjectReference{ref}
		s.refs[ref] = r.Resources
	}
	pk := [5]string{f.Practice, strconv.FormatBool(f.Suppressed), f.Path}
	if f.Suppressed {
		r.Result = resultSkip
		if sup := f.Suppression; sup != nil {
			pk[3], pk[4] = sup.Reason, sup.Source
		}
	}
	if r.Properties = s.props[pk]; r.Properties == nil {
		r.Properties = map[string]string{PropPractice: pk[0], PropSuppressed: pk[1]}
		if f.Path != "" {
			r.Properties[PropPath] = f.Path
		}
		if f.Suppressed && f.Suppression != nil {
			r.Properties[PropSuppressionReason] = pk[3]
			r.Properties[PropSuppressionSource] = pk[4]
		}
		s.props[pk] = r.Properties
	}
	return r
}

// resultKey identifies a result within its report, for patches: the check, the object, the
// path and the message. It is compared field by field (compare), not built as one string: a
// change rebuilds its namespace's report, and the keys were most of what that allocated.
func resultKey(r *Result) rkey {
	var ref ObjectReference
	if len(r.Resources) > 0 {
		ref = r.Resources[0]
	}
	return rkey{r.Policy, ref.Kind, ref.Namespace, ref.Name, r.Properties[PropPath], r.Message}
}

type rkey struct{ policy, kind, ns, name, path, message string }

// compare orders keys field by field, in the order of the fields.
func (k rkey) compare(o rkey) int {
	return cmp.Or(strings.Compare(k.policy, o.policy), strings.Compare(k.kind, o.kind),
		strings.Compare(k.ns, o.ns), strings.Compare(k.name, o.name),
		strings.Compare(k.path, o.path), strings.Compare(k.message, o.message))
}

func summarize(rs []Result) Summary {
	var s Summary
	for i := range rs {
		switch rs[i].Result {
		case resultFail:
			s.Fail++
		case resultSkip:
			s.Skip++
		}
	}
	return s
}

// DefaultMaxReportBytes keeps a report well below the API server's request limit (3 MiB) and
// etcd's default object limit (1.5 MiB): a larger report is split.
const DefaultMaxReportBytes = 1 << 20

// namespaceOf is the report namespace of a finding: its object's namespace, "" (the cluster
// report) for cluster-scoped objects.
func namespaceOf(r inventory.Ref) string {
	if r.Namespace != "" {
		return r.Namespace
	}
	if inventory.ClusterScoped(r.APIVersion, r.Kind) {
		return ""
	}
	return inventory.DefaultNamespace
}

// reportKey names one report: its namespace ("" for the cluster report) and name.
type reportKey struct{ ns, name string }

func (k reportKey) String() string {
	if k.ns == "" {
		return k.name
	}
	return k.ns + "/" + k.name
}

// buildReports groups results by namespace into reports, sorted, and splits those whose
// JSON would exceed maxBytes into ReportName, ReportName-2, ...
func buildReports(api ReportAPI, byNS map[string][]Result, maxBytes int) map[reportKey]*Report {
	out := map[reportKey]*Report{}
	for ns, rs := range byNS {
		sortResults(rs)
		for i, chunk := range split(rs, maxBytes) {
			name := ReportName
			if i > 0 {
				name = fmt.Sprintf("%s-%d", ReportName, i+1)
			}
			r := &Report{Results: chunk, Summary: summarize(chunk)}
			r.APIVersion = api.Group + "/" + api.Version
			r.Kind = api.Kind
			if ns == "" {
				r.Kind = api.ClusterKind
			}
			r.Name, r.Namespace = name, ns
			r.Labels = map[string]string{ManagedByLabel: ManagedBy}
			out[reportKey{ns, name}] = r
		}
	}
	return out
}

// sortResults orders rs by resultKey, computing each key once: a namespace may hold tens of
// thousands of results.
func sortResults(rs []Result) {
	keys := make([]rkey, len(rs))
	idx := make([]int, len(rs))
	for i := range rs {
		keys[i], idx[i] = resultKey(&rs[i]), i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return keys[a].compare(keys[b]) })
	sorted := make([]Result, len(rs))
	for i, j := range idx {
		sorted[i] = rs[j]
	}
	copy(rs, sorted)
}

// reportOverhead is room for the metadata and summary of a report.
const reportOverhead = 2048

// sizeOf bounds the JSON size of r from above without encoding it (a namespace may hold
// tens of thousands of results, re-split at every change): the keys and punctuation of a
// result take under 320 bytes, and escaping at most doubles a string (\u escapes of control
// characters aside, which messages do not hold).
func sizeOf(r *Result) int {
	n := 320 + len(r.Source) + len(r.Policy) + len(r.Rule) + len(r.Category) + len(r.Severity) + len(r.Result)
	for _, ref := range r.Resources {
		n += 80 + len(ref.APIVersion) + len(ref.Kind) + len(ref.Namespace) + len(ref.Name) + len(ref.UID)
	}
	n += 2 * len(r.Message)
	for k, v := range r.Properties {
		n += 6 + len(k) + 2*len(v)
	}
	return n
}

// split cuts rs into chunks whose encoded results fit maxBytes.
func split(rs []Result, maxBytes int) [][]Result {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxReportBytes
	}
	var out [][]Result
	start, size := 0, reportOverhead
	for i := range rs {
		n := sizeOf(&rs[i]) + 1
		if i > start && size+n > maxBytes {
			out = append(out, rs[start:i])
			start, size = i, reportOverhead
		}
		size += n
	}
	if start < len(rs) || len(out) == 0 {
		out = append(out, rs[start:])
	}
	return out
}
