package rbac_test

import (
	"testing"

	"github.com/kubeharden/kubeharden/rbac"
	"github.com/kubeharden/kubeharden/rbac/rbactest"
)

// The benchmark cluster: 2,000 roles and 10,000 bindings over 200 namespaces (docs/performance.md).
const (
	benchRoles      = 2000
	benchBindings   = 10000
	benchNamespaces = 200
)

func benchEngine(b *testing.B) (*rbac.Engine, *rbactest.Gen) {
	b.Helper()
	objs := rbactest.Large(1, benchRoles, benchBindings, benchNamespaces)
	return rbac.New(objs), rbactest.New(2)
}

func BenchmarkBuild(b *testing.B) {
	objs := rbactest.Large(1, benchRoles, benchBindings, benchNamespaces)
	b.ReportAllocs()
	for b.Loop() {
		rbac.New(objs)
	}
}

func BenchmarkAllowed(b *testing.B) {
	e, g := benchEngine(b)
	type req struct {
		user   string
		groups []string
		a      rbac.Attributes
	}
	subjects := e.Subjects()
	reqs := make([]req, 1024)
	for i := range reqs {
		user, groups, a := mixedRequest(e, g, subjects)
		reqs[i] = req{user, groups, a}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		r := &reqs[i%len(reqs)]
		e.Allowed(r.user, r.groups, r.a)
		i++
	}
}

func BenchmarkWhoCan(b *testing.B) {
	e, g := benchEngine(b)
	reqs := make([]rbac.Attributes, 1024)
	for i := range reqs {
		reqs[i] = g.RealAttributes(benchNamespaces)
	}
	b.ReportAllocs()
	i, n := 0, 0
	for b.Loop() {
		n += len(e.WhoCan(reqs[i%len(reqs)]))
		i++
	}
	b.ReportMetric(float64(n)/float64(i), "subjects/op")
}

func BenchmarkWhoCanClusterWide(b *testing.B) {
	e, g := benchEngine(b)
	reqs := make([]rbac.Attributes, 1024)
	for i := range reqs {
		reqs[i] = g.RealAttributes(benchNamespaces)
		reqs[i].Namespace = ""
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		e.Holders(reqs[i%len(reqs)])
		i++
	}
}

// mixedRequest returns a random request half the time, and half the time one derived from a
// rule that a binding grants, asked by one of the binding's subjects (allowed or a near miss).
func mixedRequest(e *rbac.Engine, g *rbactest.Gen, subjects []rbac.Subject) (string, []string, rbac.Attributes) {
	if g.Intn(2) == 0 {
		user, groups := g.Principal(subjects)
		return user, groups, g.RealAttributes(benchNamespaces)
	}
	bs := e.Bindings()
	for {
		b := bs[g.Intn(len(bs))]
		r := b.Role()
		if r == nil || len(r.Rules) == 0 {
			continue
		}
		s, ok := b.Subject(g.Intn(len(b.Subjects)))
		if !ok {
			continue
		}
		user, groups := s.Principal()
		if s.Kind == rbac.GroupKind {
			user = "someone"
		}
		ns := b.Namespace
		if ns == "" {
			ns = "team-1"
		}
		return user, groups, g.AttributesFor(r.Rules[g.Intn(len(r.Rules))], ns)
	}
}
