package rbac

import (
	"fmt"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
	engine "github.com/kubeharden/kubeharden/rbac"
)

// AnonymousAccess reports grants to anonymous callers.
var AnonymousAccess = &check.Check{
	ID:    "rbac/anonymous-access",
	Title: "Anonymous callers are granted permissions",
	Doc: "A binding to the user system:anonymous or the group system:unauthenticated grants its " +
		"role to every request that carries no credentials — to anyone who can reach the API " +
		"server. The default policy grants them only health and version endpoints; anything more " +
		"is public. Bind the role to the users or groups that need it.",
	Severity:    check.High,
	References:  []string{refNSA, refRBACDocs, "MITRE ATT&CK T1190 Exploit Public-Facing Application"},
	Remediation: "Remove system:anonymous and system:unauthenticated from the binding's subjects.",
	Kinds:       bindingKinds,
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.RBAC},
	Run: func(p *check.Pass) {
		everyone(p, func(s engine.Subject) bool {
			return s.Name == engine.Anonymous || s.Name == engine.AllUnauthenticated
		}, "every unauthenticated request")
	},
}

// AllAuthenticated reports grants to every authenticated user or every service account.
var AllAuthenticated = &check.Check{
	ID:    "rbac/all-authenticated",
	Title: "Every authenticated user or service account is granted permissions",
	Doc: "A binding to system:authenticated grants its role to every user and every service " +
		"account of the cluster (in a cloud cluster, possibly to every account of the provider " +
		"that can get a token); system:serviceaccounts to every service account, and " +
		"system:serviceaccounts:NS to every service account of NS, including those of pods that " +
		"never asked for it. Bind the role to the subjects that need it.",
	Severity:    check.Medium,
	References:  []string{refNSA, refRBACDocs, refValidAcct},
	Remediation: "Replace the group with the users, groups or service accounts that need the role.",
	Kinds:       bindingKinds,
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.RBAC},
	Run: func(p *check.Pass) {
		everyone(p, func(s engine.Subject) bool {
			return s.Kind == engine.GroupKind && s.Everyone() && s.Name != engine.AllUnauthenticated
		}, "")
	},
}

// everyone reports the reportable bindings that grant a role with rules to a subject is
// selects.
func everyone(p *check.Pass, is func(engine.Subject) bool, who string) {
	for _, b := range Engine(p).Bindings() {
		r := b.Role()
		if r == nil || len(r.Rules) == 0 {
			continue
		}
		for i := range b.Subjects {
			s, ok := b.Subject(i)
			if !ok || !Reportable(b, s) || !is(s) {
				continue
			}
			desc := who
			if desc == "" {
				desc = describeGroup(s.Name)
			}
			sev := check.Severity(0)
			if b.Kind == engine.RoleBindingKind {
				sev = lower(p.Check.Severity)
			}
			p.Report(check.Diagnostic{Object: b.Object, Path: SubjectPath(i), Severity: sev,
				Message: fmt.Sprintf("%s (%s) is granted %s %s via %s (%d rules)", s, desc, r, Where(b, false), b, len(r.Rules))})
		}
	}
}

func describeGroup(g string) string {
	switch g {
	case engine.AllAuthenticated:
		return "every authenticated user and service account"
	case engine.AllServiceAccounts:
		return "every service account"
	}
	return "every service account of namespace " + g[len(engine.ServiceAccountGroupPrefix):]
}

// MissingSubject reports binding subjects that match no one, or a service account that does
// not exist.
var MissingSubject = &check.Check{
	ID:    "rbac/missing-subject",
	Title: "Binding names a subject that does not exist",
	Doc: "A binding to a service account that does not exist grants nothing today, but whoever " +
		"later creates a service account of that name — anyone who can create service accounts " +
		"in the namespace — receives the role. A ServiceAccount subject without namespace in a " +
		"ClusterRoleBinding, or a subject of unknown kind, matches no one and hides the intent. " +
		"A service account is known not to exist when the input holds the namespace's service " +
		"accounts (a live cluster, or manifests that declare some in that namespace) but not " +
		"this one; users and groups live outside the cluster and cannot be checked.",
	Severity:    check.Medium,
	References:  []string{refRBACDocs, refAcctManip},
	Remediation: "Remove the subject from the binding, or fix its name, kind or namespace.",
	Kinds:       bindingKinds,
	Reads:       []string{"ServiceAccount"},
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.RBAC},
	Run: func(p *check.Pass) {
		known := map[string]bool{} // namespaces whose service accounts the input holds
		for _, o := range p.Inv.ByKind("ServiceAccount") {
			if o.APIVersion == "v1" {
				known[o.EffectiveNamespace()] = true
			}
		}
		for _, b := range Engine(p).Bindings() {
			if b.Object == nil || b.Default() {
				continue
			}
			for i, rs := range b.Subjects {
				s, ok := b.Subject(i)
				var msg string
				switch {
				case !ok && rs.Kind == engine.ServiceAccountKind && rs.Name != "":
					msg = fmt.Sprintf("ServiceAccount %s has no namespace: in a ClusterRoleBinding it matches no one", rs.Name)
				case !ok:
					msg = fmt.Sprintf("subject of kind %q named %q matches no one (kinds are User, Group and ServiceAccount)", rs.Kind, rs.Name)
				case s.Kind == engine.ServiceAccountKind && s.Name != "default" && known[s.Namespace] &&
					p.Inv.Get("ServiceAccount", s.Namespace, s.Name) == nil:
					msg = fmt.Sprintf("%s does not exist: whoever creates it receives %s", s, b.RoleRefString())
				default:
					continue
				}
				p.Reportf(b.Object, SubjectPath(i), "%s", msg)
			}
		}
	},
}
