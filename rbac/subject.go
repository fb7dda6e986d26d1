package rbac

import (
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Well-known users and groups the API server's authenticators assign.
const (
	Anonymous                 = "system:anonymous"
	AllAuthenticated          = "system:authenticated"
	AllUnauthenticated        = "system:unauthenticated"
	AllServiceAccounts        = "system:serviceaccounts"
	ServiceAccountGroupPrefix = "system:serviceaccounts:"
	ServiceAccountUserPrefix  = "system:serviceaccount:"
	// Masters is the group the API server authorizes for everything before RBAC is asked.
	Masters = "system:masters"
)

// Subject kinds, as RBAC bindings spell them.
const (
	UserKind           = rbacv1.UserKind
	GroupKind          = rbacv1.GroupKind
	ServiceAccountKind = rbacv1.ServiceAccountKind
)

// Subject is who a binding names: a User, a Group, or a ServiceAccount (with its namespace).
type Subject struct {
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// String renders the subject as "User alice", "Group dev", "ServiceAccount ns/name".
func (s Subject) String() string {
	if s.Kind == ServiceAccountKind {
		return s.Kind + " " + s.Namespace + "/" + s.Name
	}
	return s.Kind + " " + s.Name
}

// IsSystem reports whether the subject is a Kubernetes component or built-in group
// ("system:kube-scheduler", "system:nodes"), which are granted by the default policy. The
// groups that stand for everyone (system:authenticated, system:unauthenticated,
// system:serviceaccounts[:ns]) and system:anonymous are not system subjects in this sense:
// granting them anything grants it to every caller.
func (s Subject) IsSystem() bool {
	if s.Kind == ServiceAccountKind {
		return false
	}
	if !strings.HasPrefix(s.Name, "system:") || s.Everyone() {
		return false
	}
	return !strings.HasPrefix(s.Name, ServiceAccountUserPrefix)
}

// Everyone reports whether the subject stands for a whole population of callers: anonymous
// requests, all authenticated or unauthenticated callers, or all service accounts (of a
// namespace).
func (s Subject) Everyone() bool {
	switch {
	case s.Kind == UserKind:
		return s.Name == Anonymous
	case s.Kind == GroupKind:
		return s.Name == AllAuthenticated || s.Name == AllUnauthenticated || s.Name == AllServiceAccounts ||
			strings.HasPrefix(s.Name, ServiceAccountGroupPrefix)
	}
	return false
}

// Principal returns the user name and groups of a caller who is this subject, as the API
// server's authenticators would set them: a ServiceAccount is the user
// system:serviceaccount:NS:NAME in groups system:serviceaccounts, system:serviceaccounts:NS and
// system:authenticated; a User is also in system:authenticated (system:anonymous in
// system:unauthenticated instead). A Group has no user name and only that group.
func (s Subject) Principal() (user string, groups []string) {
	switch s.Kind {
	case ServiceAccountKind:
		return ServiceAccountUser(s.Namespace, s.Name), ServiceAccountGroups(s.Namespace)
	case UserKind:
		return Impersonate(s.Name, nil)
	case GroupKind:
		return "", []string{s.Name}
	}
	return "", nil
}

// Matches reports whether a caller with this user name and groups is the subject.
func (s Subject) Matches(user string, groups []string) bool {
	switch s.Kind {
	case UserKind:
		return user == s.Name && user != ""
	case ServiceAccountKind:
		return user == ServiceAccountUser(s.Namespace, s.Name)
	case GroupKind:
		for _, g := range groups {
			if g == s.Name {
				return true
			}
		}
	}
	return false
}

// ServiceAccountUser is the user name of a service account's tokens.
func ServiceAccountUser(namespace, name string) string {
	return ServiceAccountUserPrefix + namespace + ":" + name
}

// ServiceAccountGroups are the groups of a service account's tokens.
func ServiceAccountGroups(namespace string) []string {
	return []string{AllServiceAccounts, ServiceAccountGroupPrefix + namespace, AllAuthenticated}
}

// SplitServiceAccountUser parses "system:serviceaccount:NS:NAME".
func SplitServiceAccountUser(user string) (namespace, name string, ok bool) {
	rest, found := strings.CutPrefix(user, ServiceAccountUserPrefix)
	if !found {
		return "", "", false
	}
	namespace, name, ok = strings.Cut(rest, ":")
	if !ok || namespace == "" || name == "" || strings.Contains(name, ":") {
		return "", "", false
	}
	return namespace, name, true
}

// Impersonate returns the user and groups the API server gives a request impersonating user
// with groups (kubectl --as USER --as-group G): a service account user without explicit
// groups gets its service account groups; every user but system:anonymous is added to
// system:authenticated unless system:authenticated or system:unauthenticated was given;
// system:anonymous is added to system:unauthenticated.
func Impersonate(user string, groups []string) (string, []string) {
	out := append([]string(nil), groups...)
	if len(groups) == 0 {
		if ns, _, ok := SplitServiceAccountUser(user); ok {
			out = []string{AllServiceAccounts, ServiceAccountGroupPrefix + ns}
		}
	}
	if user != Anonymous {
		if !contains(out, AllAuthenticated) && !contains(out, AllUnauthenticated) {
			out = append(out, AllAuthenticated)
		}
	} else if !contains(out, AllUnauthenticated) {
		out = append(out, AllUnauthenticated)
	}
	return user, out
}

// ParseSubject reads a subject written as on the command line: "User:alice" (or just
// "alice"), "Group:dev", "ServiceAccount:ns:name", "ns:name" after "sa:", or a service
// account's user name "system:serviceaccount:ns:name". Kinds are case-insensitive and may be
// abbreviated u, g and sa.
func ParseSubject(s string) (Subject, error) {
	if ns, name, ok := SplitServiceAccountUser(s); ok {
		return Subject{Kind: ServiceAccountKind, Namespace: ns, Name: name}, nil
	}
	kind, rest, ok := strings.Cut(s, ":")
	if !ok {
		if s == "" {
			return Subject{}, fmt.Errorf("empty subject")
		}
		return Subject{Kind: UserKind, Name: s}, nil
	}
	switch strings.ToLower(kind) {
	case "user", "u":
		if rest == "" {
			break
		}
		return Subject{Kind: UserKind, Name: rest}, nil
	case "group", "g":
		if rest == "" {
			break
		}
		return Subject{Kind: GroupKind, Name: rest}, nil
	case "serviceaccount", "sa":
		ns, name, ok := strings.Cut(rest, ":")
		if !ok {
			ns, name, ok = strings.Cut(rest, "/")
		}
		if !ok || ns == "" || name == "" {
			return Subject{}, fmt.Errorf("subject %q: want ServiceAccount:NAMESPACE:NAME", s)
		}
		return Subject{Kind: ServiceAccountKind, Namespace: ns, Name: name}, nil
	default:
		// A user name with a colon ("system:kube-scheduler", "oidc:alice").
		return Subject{Kind: UserKind, Name: s}, nil
	}
	return Subject{}, fmt.Errorf("subject %q: empty name", s)
}

func contains(set []string, s string) bool {
	for _, x := range set {
		if x == s {
			return true
		}
	}
	return false
}
