package rbac

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
	"github.com/kubeharden/kubeharden/inventory"
	engine "github.com/kubeharden/kubeharden/rbac"
)

// ReadSecretsProbes read Secrets (the secrets practice reports who holds them).
var ReadSecretsProbes = probes(false, []string{"get", "list", "watch"}, "secrets")

// Capability is a risky permission, by the requests that exercise it.
type Capability struct {
	Name   string
	Probes []Probe
}

// Risky are the permissions the checks of this package (and secrets/rbac-read-secrets)
// report, in decreasing order of power.
var Risky = []Capability{
	{"do anything (cluster-admin)", AdminProbes},
	{"escalate or bind roles", EscalateBindProbes},
	{"impersonate", ImpersonateProbes},
	{"proxy to kubelets (nodes/proxy)", NodesProxyProbes},
	{"approve certificate requests", CSRApprovalProbes},
	{"change admission webhooks or policies", WebhookProbes},
	{"create service account tokens", TokenProbes},
	{"read secrets", ReadSecretsProbes},
	{"exec into pods", PodExecProbes},
	{"create pods or workloads", WorkloadProbes},
}

// Held is a risky capability a caller holds, with where and through which grant.
type Held struct {
	Capability string
	Where      string
	Grant      engine.Grant
	Cluster    bool // through a ClusterRoleBinding
}

// RiskyHeld returns the risky capabilities a caller holds through reportable bindings: for
// each capability, the first grant found, cluster-wide grants first. A caller that is
// cluster-admin is reported as that alone; a role that allows everything in a namespace is
// reported once, as cluster-admin of that namespace, rather than once per capability.
func RiskyHeld(e *engine.Engine, user string, groups []string) []Held {
	scopes := e.Scopes(user, groups) // "" (cluster-wide) first
	if len(scopes) == 0 {
		return nil
	}
	var out []Held
	for _, c := range Risky {
		admin := c.Name == Risky[0].Name
		keep := func(g *engine.Grant) bool {
			return Reportable(g.Binding, g.Subject) && (admin || !adminEquivalent(g.Role))
		}
	probes:
		for _, pr := range c.Probes {
			for _, ns := range scopes {
				if pr.Cluster && ns != "" {
					break
				}
				a := pr.Attributes
				a.Namespace = ns
				if g, ok := e.FirstReason(user, groups, a, keep); ok {
					cluster := g.Binding.Kind == engine.ClusterRoleBindingKind
					where := Where(g.Binding, pr.Cluster)
					out = append(out, Held{Capability: c.Name, Where: where, Grant: g, Cluster: cluster})
					break probes
				}
			}
		}
		if len(out) > 0 && c.Name == Risky[0].Name && out[0].Cluster {
			return out
		}
	}
	return out
}

func describeHeld(hs []Held) string {
	parts := make([]string, len(hs))
	for i, h := range hs {
		parts[i] = fmt.Sprintf("%s %s (%s)", h.Capability, h.Where, Via(&h.Grant))
	}
	return strings.Join(parts, "; ")
}

// saKey identifies a service account.
type saKey struct{ ns, name string }

// WorkloadServiceAccount reports workloads whose service account holds risky permissions.
var WorkloadServiceAccount = &check.Check{
	ID:    "rbac/workload-risky-serviceaccount",
	Title: "Workload runs as a service account with risky permissions",
	Doc: "A pod that mounts its service account's token hands that account's permissions to " +
		"whoever compromises any of its containers. The check reports each workload whose " +
		"service account (or its groups, system:serviceaccounts and system:serviceaccounts:NS) " +
		"holds a permission the other RBAC checks report — cluster-admin, escalate/bind, " +
		"impersonation, nodes/proxy, certificate approval, webhook writes, token creation, " +
		"reading Secrets, exec, or creating workloads — through a binding outside the default " +
		"policy. Pods with automountServiceAccountToken: false are skipped. Give each workload " +
		"its own service account with the least it needs, and turn the token off where the " +
		"application does not call the API.",
	Severity:    check.High,
	References:  []string{"CIS Kubernetes Benchmark 5.1.6", refNSA, refRBACDocs, refCredsAPI, refTokens},
	Remediation: "Run the workload as a dedicated service account with only the permissions it needs, or set automountServiceAccountToken: false.",
	Kinds:       []string{check.Workloads},
	Reads:       []string{"ServiceAccount"},
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.RBAC},
	Partition:   ByServiceAccount,
	Run: func(p *check.Pass) {
		e := Engine(p)
		memo := map[saKey][]Held{}
		byCaller := map[string][]Held{} // service accounts named by the same bindings hold the same
		for _, t := range p.PodTemplates() {
			if !engine.Automounts(t, p.Inv) {
				continue
			}
			k := saKey{t.Namespace(), t.ServiceAccount()}
			held, ok := memo[k]
			if !ok {
				user, groups := engine.Subject{Kind: engine.ServiceAccountKind, Namespace: k.ns, Name: k.name}.Principal()
				ck := e.CallerKey(user, groups)
				if held, ok = byCaller[ck]; !ok {
					held = RiskyHeld(e, user, groups)
					byCaller[ck] = held
				}
				memo[k] = held
			}
			if len(held) == 0 {
				continue
			}
			sev := check.High
			if held[0].Capability == Risky[0].Name && held[0].Cluster {
				sev = check.Critical
			}
			p.Report(check.Diagnostic{
				Object:   t.Owner,
				Path:     t.Path + ".serviceAccountName",
				Severity: sev,
				Message: fmt.Sprintf("%s runs as ServiceAccount %s/%s with its token mounted, which can %s",
					ownerName(t), k.ns, k.name, describeHeld(held)),
			})
		}
	},
}

// AutomountToken reports pods that mount a token with API permissions they may not use.
var AutomountToken = &check.Check{
	ID:    "rbac/automount-token",
	Title: "Pods mount a service account token that has API permissions",
	Doc: "Unless automountServiceAccountToken is false (on the pod or its service account), " +
		"every container gets a token for the pod's service account. When that account is " +
		"granted permissions outside the default policy, any code running in the pod can use " +
		"them. The check reports such pods when the permissions are not among the risky ones " +
		"(rbac/workload-risky-serviceaccount reports those). If the application does not call " +
		"the Kubernetes API, turn the token off; if it does, keep the grant to what it calls.",
	Severity:    check.Low,
	References:  []string{"CIS Kubernetes Benchmark 5.1.6", refNSA, refCredsAPI},
	Remediation: "Set automountServiceAccountToken: false on the pod (or its service account) unless the application calls the Kubernetes API.",
	Kinds:       []string{check.Workloads},
	Reads:       []string{"ServiceAccount"},
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.RBAC},
	Partition:   ByServiceAccount,
	Run: func(p *check.Pass) {
		e := Engine(p)
		type result struct {
			grant *engine.Grant
			risky bool
		}
		memo := map[saKey]result{}
		byCaller := map[string]result{} // service accounts named by the same bindings hold the same
		for _, t := range p.PodTemplates() {
			if !engine.Automounts(t, p.Inv) {
				continue
			}
			k := saKey{t.Namespace(), t.ServiceAccount()}
			r, ok := memo[k]
			if !ok {
				user, groups := engine.Subject{Kind: engine.ServiceAccountKind, Namespace: k.ns, Name: k.name}.Principal()
				ck := e.CallerKey(user, groups)
				if r, ok = byCaller[ck]; !ok {
					r.risky = len(RiskyHeld(e, user, groups)) > 0
					if !r.risky {
						r.grant = firstReportable(e.PermissionsOf(user, groups))
					}
					byCaller[ck] = r
				}
				memo[k] = r
			}
			if r.risky || r.grant == nil {
				continue
			}
			p.Reportf(t.Owner, t.Path+".automountServiceAccountToken",
				"%s mounts the token of ServiceAccount %s/%s, which is granted %s %s via %s",
				ownerName(t), k.ns, k.name, r.grant.Role, Where(r.grant.Binding, false), r.grant.Binding)
		}
	},
}

// firstReportable returns the first grant through a reportable binding, cluster-wide first.
func firstReportable(perms map[string][]engine.Grant) *engine.Grant {
	scopes := make([]string, 0, len(perms))
	for ns := range perms {
		scopes = append(scopes, ns)
	}
	sort.Strings(scopes)
	for _, ns := range scopes {
		for i := range perms[ns] {
			if g := &perms[ns][i]; Reportable(g.Binding, g.Subject) {
				return g
			}
		}
	}
	return nil
}

func ownerName(t inventory.PodTemplate) string {
	return t.Owner.Kind + " " + t.Owner.Name
}

// EscalationPath reports subjects that can make themselves cluster-admin.
var EscalationPath = &check.Check{
	ID:    "rbac/escalation-path",
	Title: "Subject can escalate to cluster-admin",
	Doc: "A subject that is not cluster-admin may still become one in a few steps: create a pod " +
		"in a namespace and run it as a service account there that is more powerful; mint a " +
		"token for one; read or create its token Secret; exec into a pod that runs as one; " +
		"impersonate a user or group (system:masters is cluster-admin); bind or escalate a " +
		"role; approve a client certificate naming system:masters. The check searches these " +
		"steps over the effective permissions (kubeharden rbac paths --from SUBJECT prints the " +
		"same path) and reports the shortest path, on the binding that enables its first step. " +
		"Break the path at any step — usually by taking cluster-admin from the service account " +
		"at its end, or the first step from the subject.",
	Severity:    check.Critical,
	References:  []string{refNSA, refRBACDocs, refAcctManip, refValidAcct},
	Remediation: "Remove the grant that enables the first step, or the cluster-admin grant at the end of the path.",
	Kinds:       bindingKinds,
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.Escalation},
	Run: func(p *check.Pass) {
		e := engines.Escalation.Of(p)
		s := e.Searcher(engine.ToClusterAdmin)
		seen := map[engine.Subject]bool{}
		for _, b := range e.Bindings() {
			for i := range b.Subjects {
				sub, ok := b.Subject(i)
				if !ok || !Reportable(b, sub) || seen[sub] {
					continue
				}
				seen[sub] = true
				path := s.Find(sub)
				if path == nil || len(path.Hops) < 2 {
					continue // no path, or cluster-admin already (rbac/cluster-admin)
				}
				obj, idx := b.Object, i
				if gs := path.Hops[0].Grants; len(gs) > 0 && Reportable(gs[0].Binding, gs[0].Subject) {
					obj, idx = gs[0].Binding.Object, gs[0].SubjectIndex
				}
				p.Reportf(obj, SubjectPath(idx), "%s can become cluster-admin in %d steps: %s", sub, len(path.Hops), path)
			}
		}
	},
}
