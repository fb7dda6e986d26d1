// Package audittest writes audit.k8s.io/v1 Event lines shaped like kube-apiserver's, for
// tests and benchmarks of package audit and of the RBAC review.
package audittest

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"strconv"
	"strings"
	"time"

	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// Event is one request to write.
type Event struct {
	User   string
	Groups []string
	// ImpersonatedUser and ImpersonatedGroups, when set, make User the impersonator.
	ImpersonatedUser   string
	ImpersonatedGroups []string
	Verb               string
	// URI is the request URI; ObjectRef fields are derived from Resource etc. when set.
	URI                                             string
	Group, Version, Resource, Subresource, NS, Name string
	Code                                            int
	// Decision is the authorization.k8s.io/decision annotation: "allow", "forbid" or ""
	// (none).
	Decision string
	Stage    string // default ResponseComplete
	Level    string // default Metadata
	Time     time.Time
	ID       string
}

// Line renders e as one JSON line (with its newline).
func Line(e Event) []byte {
	if e.Stage == "" {
		e.Stage = "ResponseComplete"
	}
	if e.Level == "" {
		e.Level = "Metadata"
	}
	if e.Time.IsZero() {
		e.Time = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	}
	if e.Code == 0 {
		e.Code = 200
	}
	if e.ID == "" {
		e.ID = fmt.Sprintf("%08x-0000-4000-8000-%012x", e.Time.UnixNano()&0xffffffff, e.Time.UnixNano())
	}
	// The API server's own Event type, so the lines have exactly its field names and shapes.
	ev := auditv1.Event{TypeMeta: metav1.TypeMeta{Kind: "Event", APIVersion: "audit.k8s.io/v1"},
		Level: auditv1.Level(e.Level), AuditID: types.UID(e.ID), Stage: auditv1.Stage(e.Stage),
		RequestURI: e.URI, Verb: e.Verb,
		User:      authnv1.UserInfo{Username: e.User, UID: "2b0b7f4e-8d3c-4a59-9c65-" + fmt.Sprintf("%012d", len(e.User)), Groups: e.Groups},
		SourceIPs: []string{"10.244.0.17"}, UserAgent: "kubectl/v1.37.2 (linux/amd64) kubernetes/5f3c1a2",
		RequestReceivedTimestamp: metav1.NewMicroTime(e.Time),
		StageTimestamp:           metav1.NewMicroTime(e.Time.Add(7 * time.Millisecond)),
	}
	if strings.HasPrefix(e.User, "system:serviceaccount:") {
		ev.User.Extra = map[string]authnv1.ExtraValue{
			"authentication.kubernetes.io/credential-id": {"JTI=0c4e1f0a-7d1b-4e6a-9a43-2f7c1d5e9b80"},
			"authentication.kubernetes.io/node-name":     {"worker-3"},
			"authentication.kubernetes.io/pod-name":      {"app-7d9c8b6f5-x2x7q"},
		}
	}
	if e.ImpersonatedUser != "" {
		ev.ImpersonatedUser = &authnv1.UserInfo{Username: e.ImpersonatedUser, Groups: e.ImpersonatedGroups}
	}
	if e.Resource != "" {
		v := e.Version
		if v == "" {
			v = "v1"
		}
		ev.ObjectRef = &auditv1.ObjectReference{Resource: e.Resource, Namespace: e.NS, Name: e.Name, APIGroup: e.Group, APIVersion: v, Subresource: e.Subresource}
	}
	if e.Stage != "RequestReceived" {
		ev.ResponseStatus = &metav1.Status{Code: int32(e.Code)}
	}
	switch e.Decision {
	case "allow":
		ev.Annotations = map[string]string{"authorization.k8s.io/decision": "allow",
			"authorization.k8s.io/reason": `RBAC: allowed by RoleBinding "app" of Role "app" to ServiceAccount "app/shop"`}
	case "forbid":
		ev.Annotations = map[string]string{"authorization.k8s.io/decision": "forbid", "authorization.k8s.io/reason": ""}
	}
	b, err := json.Marshal(ev)
	if err != nil {
		panic(err) // only plain strings and maps: cannot fail
	}
	return append(b, '\n')
}

// URI builds the request URI of a resource request as clients send it.
func URI(group, version, resource, sub, ns, name string, watch bool) string {
	var b strings.Builder
	if group == "" {
		b.WriteString("/api/")
	} else {
		b.WriteString("/apis/" + group + "/")
	}
	if version == "" {
		version = "v1"
	}
	b.WriteString(version)
	if ns != "" {
		b.WriteString("/namespaces/" + ns)
	}
	b.WriteString("/" + resource)
	if name != "" {
		b.WriteString("/" + name)
	}
	if sub != "" {
		b.WriteString("/" + sub)
	}
	if watch {
		b.WriteString("?watch=true&resourceVersion=12345&timeoutSeconds=412")
	} else if name == "" {
		b.WriteString("?limit=500")
	}
	return b.String()
}

// Generator writes a realistic mix of requests: service accounts and users of a few
// namespaces reading, watching and writing common resources, some impersonating, some denied,
// and the RequestReceived stage of a share of them, as a default audit policy logs.
type Generator struct {
	rnd   *rand.Rand
	t     time.Time
	Users int
	n     int
}

// NewGenerator returns a generator with seed and users distinct callers.
func NewGenerator(seed int64, users int) *Generator {
	return &Generator{rnd: rand.New(rand.NewSource(seed)), t: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), Users: users}
}

var genResources = []struct{ group, version, resource, sub string }{
	{"", "v1", "pods", ""}, {"", "v1", "pods", "log"}, {"", "v1", "pods", "exec"}, {"", "v1", "configmaps", ""},
	{"", "v1", "secrets", ""}, {"", "v1", "services", ""}, {"", "v1", "endpoints", ""}, {"", "v1", "events", ""},
	{"apps", "v1", "deployments", ""}, {"apps", "v1", "deployments", "scale"}, {"apps", "v1", "replicasets", ""},
	{"batch", "v1", "jobs", ""}, {"coordination.k8s.io", "v1", "leases", ""}, {"networking.k8s.io", "v1", "ingresses", ""},
}

var genVerbs = []string{"get", "get", "get", "list", "list", "watch", "create", "update", "patch", "delete"}

// Next returns the next event line.
func (g *Generator) Next() []byte {
	g.n++
	g.t = g.t.Add(time.Duration(g.rnd.Intn(2000)) * time.Microsecond)
	u := g.rnd.Intn(g.Users)
	ns := "ns-" + strconv.Itoa(u%40)
	e := Event{Time: g.t, Decision: "allow", ID: fmt.Sprintf("a%07x-1b2c-4d3e-8f40-%012x", g.n&0xfffffff, g.n)}
	if u%5 == 0 {
		e.User, e.Groups = "user-"+strconv.Itoa(u)+"@example.com", []string{"developers", "system:authenticated"}
	} else {
		e.User = "system:serviceaccount:" + ns + ":sa-" + strconv.Itoa(u)
		e.Groups = []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}
	}
	if g.rnd.Intn(50) == 0 {
		e.ImpersonatedUser = "system:serviceaccount:" + ns + ":deployer"
		e.ImpersonatedGroups = []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"}
	}
	if g.rnd.Intn(20) == 0 {
		e.Verb, e.URI = "get", []string{"/healthz", "/version", "/api", "/apis", "/metrics"}[g.rnd.Intn(5)]
		return Line(e)
	}
	r := genResources[g.rnd.Intn(len(genResources))]
	e.Group, e.Version, e.Resource, e.Subresource, e.NS = r.group, r.version, r.resource, r.sub, ns
	e.Verb = genVerbs[g.rnd.Intn(len(genVerbs))]
	if r.sub != "" {
		e.Verb = []string{"get", "create", "update"}[g.rnd.Intn(3)]
	}
	name := r.resource[:len(r.resource)-1] + "-" + strconv.Itoa(g.rnd.Intn(5000))
	switch e.Verb {
	case "list", "watch":
		if r.sub != "" {
			e.Verb = "get"
			e.Name = name
		}
	case "create":
		if r.sub == "" {
			e.Name = name // the objectRef names what was created; the URI does not
		} else {
			e.Name = name
		}
	default:
		e.Name = name
	}
	uriName := e.Name
	if e.Verb == "create" && r.sub == "" {
		uriName = ""
	}
	e.URI = URI(r.group, r.version, r.resource, r.sub, ns, uriName, e.Verb == "watch")
	if g.rnd.Intn(40) == 0 {
		e.Code, e.Decision = 403, "forbid"
	}
	if g.rnd.Intn(4) == 0 {
		// The RequestReceived stage of the same request comes first.
		rr := e
		rr.Stage = "RequestReceived"
		return append(Line(rr), Line(e)...)
	}
	return Line(e)
}

// WriteN writes events until at least size bytes were written, and returns the count of
// lines.
func (g *Generator) WriteN(w io.Writer, size int64) (int, error) {
	var written int64
	lines := 0
	for written < size {
		b := g.Next()
		n, err := w.Write(b)
		written += int64(n)
		if err != nil {
			return lines, err
		}
		lines += strings.Count(string(b), "\n")
	}
	return lines, nil
}
