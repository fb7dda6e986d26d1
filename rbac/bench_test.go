package rbac_test

import (
	"fmt"
	"testing"

	"github.com/kubeharden/kubeharden/internal/benchmetric"
	"github.com/kubeharden/kubeharden/internal/gen"
	"github.com/kubeharden/kubeharden/inventory"
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

// multitenant returns the inventory of the generator's multitenant profile (group bindings
// to system:authenticated, system:serviceaccounts and system:anonymous, many Roles per
// namespace) at n workloads, as objects to build inventories from.
func multitenant(n int) []*inventory.Object {
	var objs []*inventory.Object
	for _, o := range (gen.Options{Profile: "multitenant"}).Objects(n, 1) {
		objs = append(objs, inventory.New(o, inventory.Source{File: "gen.yaml", Line: len(objs) + 1}, nil))
	}
	return objs
}

// BenchmarkMultitenant builds the engine of the multitenant profile at 1,000 and 10,000
// workloads (default policy and escalation environment included) and answers what the checks
// ask of it: an escalation search to each target from every subject a binding names, and the
// permissions of every service account.
func BenchmarkMultitenant(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		inv := inventory.Build(multitenant(n))
		b.Run(fmt.Sprintf("build/workloads=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			cpu := benchmetric.CPUTime()
			for b.Loop() {
				rbac.FromInventory(inv, rbac.Options{Defaults: true})
			}
			b.ReportMetric(float64(benchmetric.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
		})
		e := rbac.FromInventory(inv, rbac.Options{Defaults: true})
		subjects := e.Subjects()
		for _, to := range []rbac.Target{rbac.ToClusterAdmin, rbac.ToSecrets} {
			// An engine keeps its escalation graphs: each round builds a new engine (the
			// build benchmark's cost) and its graph.
			b.Run(fmt.Sprintf("build+paths=%s/workloads=%d", to, n), func(b *testing.B) {
				b.ReportAllocs()
				cpu := benchmetric.CPUTime()
				found := 0
				for b.Loop() {
					s := rbac.FromInventory(inv, rbac.Options{Defaults: true}).Searcher(to)
					found = 0
					for _, sub := range subjects {
						if s.Find(sub) != nil {
							found++
						}
					}
				}
				b.ReportMetric(float64(benchmetric.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
				b.ReportMetric(float64(found), "paths")
			})
		}
		var sas []rbac.Subject
		for _, o := range inv.ByKind("ServiceAccount") {
			sas = append(sas, rbac.Subject{Kind: rbac.ServiceAccountKind, Namespace: o.EffectiveNamespace(), Name: o.Name})
		}
		b.Run(fmt.Sprintf("permissions/workloads=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			cpu := benchmetric.CPUTime()
			grants := 0
			for b.Loop() {
				grants = 0
				for _, s := range sas {
					for _, gs := range e.Permissions(s) {
						grants += len(gs)
					}
				}
			}
			b.ReportMetric(float64(benchmetric.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(grants)/float64(len(sas)), "grants/sa")
		})
		b.Run(fmt.Sprintf("readers/workloads=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			cpu := benchmetric.CPUTime()
			grants := 0
			for b.Loop() {
				grants = 0
				for _, ns := range inv.Namespaces() {
					for _, v := range []string{"get", "list", "watch"} {
						grants += len(e.WhoCan(rbac.Attributes{Verb: v, Namespace: ns, Resource: "secrets"}))
					}
				}
			}
			b.ReportMetric(float64(benchmetric.CPUTime()-cpu)/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(grants), "grants")
		})
	}
}

// BenchmarkBindingChange measures what a monitor pays in the RBAC engine and its escalation
// graphs for one RoleBinding changed (relabelled, as BenchmarkEvaluatorApply changes it) in
// the default profile at 10,000 workloads: the engine, the escalation engine and both graphs,
// derived by a Tracker, against building them afresh.
func BenchmarkBindingChange(b *testing.B) {
	inv := gen.Inventory(10000, 1)
	opts := rbac.Options{Defaults: true, NoEnvironment: true}
	x := rbac.EnvironmentOf(inv)
	objs := inv.ByKind("RoleBinding")
	a := objs[len(objs)/2]
	c := gen.Relabeled(a)
	from := rbac.Subject{Kind: rbac.UserKind, Name: "nobody"}
	graphs := func(e *rbac.Engine) {
		for _, to := range []rbac.Target{rbac.ToClusterAdmin, rbac.ToSecrets} {
			e.Searcher(to).Find(from)
		}
	}
	for _, tracked := range []bool{false, true} {
		b.Run(fmt.Sprintf("tracker=%v", tracked), func(b *testing.B) {
			tr := rbac.NewTracker()
			if tracked {
				graphs(tr.WithEnvironmentOf(tr.Engine(inv, opts), x))
			}
			b.ReportAllocs()
			cpu := benchmetric.CPUTime()
			for b.Loop() {
				inv.Upsert(c)
				a, c = c, a
				if tracked {
					graphs(tr.WithEnvironmentOf(tr.Engine(inv, opts), x))
				} else {
					graphs(rbac.FromInventory(inv, opts).WithEnvironmentOf(x))
				}
			}
			b.ReportMetric(float64(benchmetric.CPUTime()-cpu)/float64(b.N)/1e6, "cpu-ms/op")
		})
	}
}
