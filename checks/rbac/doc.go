// Package rbac holds the checks of the RBAC practice. Unlike linters that judge each Role on
// its own, every check here asks the RBAC engine (package rbac at the module root) who
// actually holds a risky permission: which subjects, through which binding and which rule,
// and in which namespace (a RoleBinding) or everywhere (a ClusterRoleBinding). A role that no
// one is bound to grants nothing and is not reported; a RoleBinding to a ClusterRole grants
// only in its namespace; a rule limited by resourceNames is not reported as the broad
// permission (it only matches requests for those names).
//
// Findings are reported on the binding, at the line of the subject that holds the grant, one
// per binding subject and check. The message names the subject, what it can do, where, and
// the binding, role and rule that grant it.
//
// What is skipped, and why:
//
//   - bindings of the default policy every cluster starts with: those the API server creates
//     (labelled kubernetes.io/bootstrapping=rbac-defaults) and every binding named "system:…"
//     (reserved for Kubernetes components) or "kubeadm:…" (created by cluster setup). They are
//     what makes the cluster work, and cannot be changed without breaking it;
//   - subjects that are Kubernetes components: users and groups named "system:…"
//     (system:kube-scheduler, system:nodes, system:masters …), except the ones that stand
//     for everyone (system:anonymous, system:unauthenticated, system:authenticated,
//     system:serviceaccounts[:NS]), which are the riskiest subjects of all.
//
// Scanning manifests, the engine adds the default policy (cluster-admin, admin, edit,
// view …) that the manifests do not define, so that a binding to "edit" means what it means
// in a cluster. A live cluster (or a snapshot) brings its own.
package rbac

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
	engine "github.com/kubeharden/kubeharden/rbac"
)

// References shared by the checks of this practice.
const (
	refNSA       = "NSA-CISA Kubernetes Hardening Guide v1.2: Authentication and authorization"
	refRBACDocs  = "Kubernetes docs: RBAC Good Practices"
	refValidAcct = "MITRE ATT&CK T1078 Valid Accounts"
	refAcctManip = "MITRE ATT&CK T1098.006 Additional Container Cluster Roles"
	refExecCmd   = "MITRE ATT&CK T1609 Container Administration Command"
	refDeploy    = "MITRE ATT&CK T1610 Deploy Container"
	refTokens    = "MITRE ATT&CK T1528 Steal Application Access Token"
	refCredsAPI  = "MITRE ATT&CK T1552.007 Unsecured Credentials: Container API"
	refEscape    = "MITRE ATT&CK T1611 Escape to Host"
)

// Checks returns the checks of this package, for tests and for callers that run one practice.
func Checks() []*check.Check {
	return []*check.Check{
		ClusterAdmin, WildcardVerbs, WildcardResources, EscalateBind, Impersonate, PodExec, CreateWorkloads,
		NodesProxy, ServiceAccountToken, CSRApproval, WebhookConfig, AnonymousAccess, AllAuthenticated,
		MissingSubject, WorkloadServiceAccount, AutomountToken, EscalationPath,
		BuiltinRedefined, BindingMissingRole, DefaultServiceAccount,
	}
}

func init() { check.Register(Checks()...) }

// bindingKinds are what most checks of this package report on: the binding that grants.
var bindingKinds = []string{engine.RoleBindingKind, engine.ClusterRoleBindingKind}

// Engine returns the RBAC engine of the pass's inventory, built once per inventory. Manifests
// get the default policy of a cluster; a live cluster or a snapshot (which carry facts) have
// their own.
func Engine(p *check.Pass) *engine.Engine { return engines.RBAC.Of(p) }

// Probe is one request that exercises a risky permission. Requests for cluster-scoped
// resources are granted only by ClusterRoleBindings.
type Probe struct {
	engine.Attributes
	Cluster bool
}

// Holding is a subject that holds some probes of a permission through one binding.
type Holding struct {
	Subject      engine.Subject
	Binding      *engine.Binding
	SubjectIndex int
	Grants       []engine.Grant // one per probe that is allowed, in probe order
	Probes       []Probe        // the probes allowed
}

// ClusterWide reports whether the holding comes from a ClusterRoleBinding.
func (h *Holding) ClusterWide() bool { return h.Binding.Kind == engine.ClusterRoleBindingKind }

// Reportable reports whether findings about the subject of a binding are worth reporting:
// not a binding of the default policy, not a Kubernetes component subject, and read from the
// input (built-in defaults have no file to point at).
func Reportable(b *engine.Binding, s engine.Subject) bool {
	return b.Object != nil && !b.Default() && !s.IsSystem()
}

// Holders returns who holds any of the probes, one Holding per binding subject, in binding
// order. Only reportable bindings and subjects are returned, and not those whose role allows
// everything: rbac/cluster-admin reports them once rather than every check once each.
func Holders(e *engine.Engine, probes []Probe) []*Holding {
	return holders(e, probes, false, nil)
}

// HoldersIn is Holders for the RoleBindings of the namespaces in alone, or for every
// binding when in is nil: what a check partitioned by binding (ByBinding) judges when the
// Evaluator re-runs it for some namespaces (check.Pass.Namespaces).
func HoldersIn(e *engine.Engine, probes []Probe, in map[string]bool) []*Holding {
	return holders(e, probes, false, in)
}

func holders(e *engine.Engine, probes []Probe, admins bool, in map[string]bool) []*Holding {
	type key struct {
		b *engine.Binding
		i int
	}
	by := map[key]*Holding{}
	var out []*Holding
	for _, pr := range probes {
		var grants []engine.Grant
		switch {
		case pr.Cluster && in != nil:
			continue // only ClusterRoleBindings grant requests for cluster-scoped resources
		case pr.Cluster:
			a := pr.Attributes
			a.Namespace = ""
			grants = e.WhoCan(a)
		case in != nil:
			grants = e.HoldersIn(pr.Attributes, in)
		default:
			grants = e.Holders(pr.Attributes)
		}
		for _, g := range grants {
			if !Reportable(g.Binding, g.Subject) || (!admins && adminEquivalent(g.Role)) {
				continue
			}
			k := key{g.Binding, g.SubjectIndex}
			h := by[k]
			if h == nil {
				h = &Holding{Subject: g.Subject, Binding: g.Binding, SubjectIndex: g.SubjectIndex}
				by[k] = h
				out = append(out, h)
			}
			h.Grants = append(h.Grants, g)
			h.Probes = append(h.Probes, pr)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Binding.Object, out[j].Binding.Object
		if a.Source.File != b.Source.File {
			return a.Source.File < b.Source.File
		}
		if a.Source.Line != b.Source.Line {
			return a.Source.Line < b.Source.Line
		}
		return out[i].SubjectIndex < out[j].SubjectIndex
	})
	return out
}

// SubjectPath is the field path of subject i of a binding.
func SubjectPath(i int) string { return fmt.Sprintf("subjects[%d]", i) }

// Where says where a binding grants: "in all namespaces" (or "cluster-wide" for cluster-scoped
// requests) for a ClusterRoleBinding, "in namespace NS" for a RoleBinding.
func Where(b *engine.Binding, clusterScoped bool) string {
	switch {
	case b.Kind == engine.RoleBindingKind:
		return "in namespace " + b.Namespace
	case clusterScoped:
		return "cluster-wide"
	}
	return "in all namespaces"
}

// Via renders the grant: "via RoleBinding/dev/x → ClusterRole/edit rules[2]".
func Via(g *engine.Grant) string {
	return fmt.Sprintf("via %s → %s rules[%d]", g.Binding, g.Role, g.Rule)
}

// Actions renders the allowed probes as "get, list secrets; create pods/exec".
func Actions(probes []Probe) string {
	var order []string
	verbs := map[string][]string{}
	for _, p := range probes {
		res := engine.Resource{Group: p.APIGroup, Resource: p.Resource, Subresource: p.Subresource}.String()
		if p.Name != "" {
			res += " " + p.Name
		}
		if _, ok := verbs[res]; !ok {
			order = append(order, res)
		}
		if !contains(verbs[res], p.Verb) {
			verbs[res] = append(verbs[res], p.Verb)
		}
	}
	parts := make([]string, len(order))
	for i, res := range order {
		parts[i] = strings.Join(verbs[res], ", ") + " " + res
	}
	return strings.Join(parts, "; ")
}

// reportHolding reports a holding on its binding with the standard message:
// "User alice can get, list secrets in namespace dev via RoleBinding/dev/r → ClusterRole/edit rules[0]".
func reportHolding(p *check.Pass, h *Holding, sev check.Severity, clusterScoped bool, what string) {
	if what == "" {
		what = Actions(h.Probes)
	}
	p.Report(check.Diagnostic{
		Object:   h.Binding.Object,
		Path:     SubjectPath(h.SubjectIndex),
		Message:  fmt.Sprintf("%s can %s %s %s", h.Subject, what, Where(h.Binding, clusterScoped), Via(&h.Grants[0])),
		Severity: sev,
	})
}

// probes builds the probes of verbs on resources ("pods/exec", "deployments.apps").
func probes(cluster bool, verbs []string, resources ...string) []Probe {
	var out []Probe
	for _, r := range resources {
		res, err := engine.ParseResource(r)
		if err != nil {
			panic(err) // a literal in this package
		}
		for _, v := range verbs {
			out = append(out, Probe{Attributes: engine.Attributes{Verb: v, APIGroup: res.Group, Resource: res.Resource, Subresource: res.Subresource}, Cluster: cluster})
		}
	}
	return out
}

func contains(set []string, s string) bool {
	for _, x := range set {
		if x == s {
			return true
		}
	}
	return false
}

// lower is one severity level below s (not below Low).
func lower(s check.Severity) check.Severity {
	if s > check.Low {
		return s - 1
	}
	return s
}

// bySeverity reports each holding at sev for ClusterRoleBindings and one level lower for
// RoleBindings.
func bySeverity(p *check.Pass, hs []*Holding, sev check.Severity, clusterScoped bool) {
	for _, h := range hs {
		s := sev
		if !h.ClusterWide() {
			s = lower(sev)
		}
		reportHolding(p, h, s, clusterScoped, "")
	}
}
