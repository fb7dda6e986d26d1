package attack_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/kubeharden/kubeharden/attack"
	"github.com/kubeharden/kubeharden/exposure"
	"github.com/kubeharden/kubeharden/internal/gen"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/netpol"
	"github.com/kubeharden/kubeharden/psa"
	"github.com/kubeharden/kubeharden/rbac"
	"k8s.io/pod-security-admission/api"
)

// engines are built afresh from the inventory, apart from the graph's, to ask each edge's
// question again.
type engines struct {
	inv     *inventory.Inventory
	net     *netpol.Engine
	rb      *rbac.Engine
	ps      *psa.Evaluator
	entries []exposure.Entry
}

func freshEngines(t *testing.T, inv *inventory.Inventory) *engines {
	ps, err := psa.New(psa.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return &engines{inv: inv, net: netpol.FromInventory(inv), rb: rbac.FromInventory(inv, rbac.Options{Defaults: true}),
		ps: ps, entries: exposure.List(inv, now)}
}

// workload finds the fresh engine's workload for an endpoint of the graph's.
func (x *engines) endpoint(ep netpol.Endpoint) (netpol.Endpoint, error) {
	if ep.Workload == nil {
		return ep, nil // a probe or addresses: data, not engine state
	}
	id := ep.Workload.ID()
	for _, ws := range [][]*netpol.Workload{x.net.Workloads(), x.net.HostNetworkWorkloads()} {
		for _, w := range ws {
			if w.ID() == id {
				return netpol.WorkloadEndpoint(w), nil
			}
		}
	}
	return ep, fmt.Errorf("netpol knows no workload %s", id)
}

// confirm asks the engine that owns e whether it holds.
func (x *engines) confirm(e *attack.Edge) error {
	c := e.Claim
	switch e.Engine {
	case attack.EngineExposure:
		for _, en := range x.entries {
			if en.Kind == c.Entry.Kind && en.Object == c.Entry.Object && en.Endpoint == c.Entry.Endpoint {
				return nil
			}
		}
		return fmt.Errorf("exposure lists no %s %s at %s", c.Entry.Kind, c.Entry.Object, c.Entry.Endpoint)
	case attack.EngineNetpol:
		to, err := x.endpoint(c.To)
		if err != nil {
			return err
		}
		if c.HostNetwork {
			if !slices.Contains(x.net.HostNetworkWorkloads(), to.Workload) {
				return fmt.Errorf("%s does not use the host network", to.Name)
			}
			return nil
		}
		from, err := x.endpoint(c.From)
		if err != nil {
			return err
		}
		v, err := x.net.Reach(from, to, c.Port)
		if err != nil {
			return err
		}
		if !v.Allowed && !(e.Kind == attack.Routes && v.Partial) {
			return fmt.Errorf("netpol denies %s → %s", from.Name, to.Name)
		}
		return nil
	case attack.EngineRBAC:
		return x.allowed(c)
	case attack.EnginePSA:
		if c.PSANamespace != "" {
			if err := x.allowed(c); err != nil {
				return err
			}
			var labels map[string]string
			o := x.inv.Namespace(c.PSANamespace)
			if o != nil {
				labels = o.Labels()
			}
			ns := x.ps.Namespace(c.PSANamespace, labels, o != nil)
			if !ns.Exempt && ns.Policy.Enforce.Level != api.LevelPrivileged {
				return fmt.Errorf("namespace %s enforces %s", c.PSANamespace, ns.Policy.Enforce)
			}
			return nil
		}
		for _, f := range x.ps.Evaluate(c.PSALevel, c.Template.Meta, c.Template.Spec) {
			if f.Check == c.PSACheck {
				return nil
			}
		}
		return fmt.Errorf("the pods pass %s at %s", c.PSACheck, c.PSALevel)
	case attack.EngineInventory:
		if c.Automount {
			if !rbac.Automounts(*c.Template, x.inv) {
				return fmt.Errorf("the token is not mounted")
			}
			if want := "ServiceAccount " + c.Template.Namespace() + "/" + c.Template.ServiceAccount(); e.To.ID != want {
				return fmt.Errorf("the pods run as %s, not %s", want, e.To.ID)
			}
			return nil
		}
		if c.Secret != "" {
			return nil // the mount is read from the template itself
		}
	}
	return fmt.Errorf("no claim to confirm")
}

func (x *engines) allowed(c attack.Claim) error {
	if len(c.Requests) == 0 {
		if slices.Contains(c.Groups, rbac.Masters) {
			return nil
		}
		return fmt.Errorf("an RBAC edge without requests")
	}
	for _, a := range c.Requests {
		if !x.rb.Allowed(c.User, c.Groups, a) {
			return fmt.Errorf("can-i says no: %s %v may not %s", c.User, c.Groups, a)
		}
	}
	return nil
}

// TestEdgesConfirmed: every edge the searches computed, on the fixtures, the examples and
// generated clusters, is confirmed by the engine that owns it, asked again from scratch.
func TestEdgesConfirmed(t *testing.T) {
	type cluster struct {
		name string
		inv  *inventory.Inventory
	}
	var clusters []cluster
	files, _ := filepath.Glob("testdata/*.yaml")
	files = append(files, "../examples/insecure", "../examples/hardened")
	for _, f := range files {
		objs, errs := load.Files([]string{f}, load.Options{})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		clusters = append(clusters, cluster{f, inventory.Build(objs)})
	}
	for seed := int64(1); seed <= 4; seed++ {
		clusters = append(clusters, cluster{fmt.Sprintf("gen(300, %d)", seed), gen.Inventory(300, seed)})
	}
	byEngine := map[attack.Engine]int{}
	paths := 0
	for _, c := range clusters {
		g, err := attack.Analyze(c.inv, attack.Options{Now: now, RBACDefaults: true})
		if err != nil {
			t.Fatal(err)
		}
		ps, err := g.Paths(attack.Query{})
		if err != nil {
			t.Fatal(err)
		}
		paths += len(ps)
		x := freshEngines(t, c.inv)
		for _, e := range g.Edges() {
			byEngine[e.Engine]++
			if err := x.confirm(e); err != nil {
				t.Errorf("%s: %s → %s (%s, %s): %v", c.name, e.From, e.To, e.Kind, e.Evidence, err)
			}
		}
		for _, p := range ps {
			for i, s := range p.Steps[1:] {
				if s.Edge.From != p.Steps[i].Node || s.Edge.To != s.Node {
					t.Errorf("%s: path %s: step %d does not follow its edge", c.name, p, i+1)
				}
			}
		}
	}
	t.Logf("%d paths; edges confirmed by engine: %v", paths, byEngine)
	for _, en := range []attack.Engine{attack.EngineExposure, attack.EngineNetpol, attack.EngineRBAC, attack.EnginePSA, attack.EngineInventory} {
		if byEngine[en] == 0 {
			t.Errorf("no edge of engine %s was checked", en)
		}
	}
}
