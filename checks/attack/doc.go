// Package attack holds the checks of the attack practice: paths from the internet to
// cluster-admin, to every Secret and to the nodes, as the attack package computes them from
// the exact engines (exposure, netpol, rbac, psa). Each finding is reported on the entry
// point the path starts at, with the whole path in the message, so that an annotation or a
// config exception on that object suppresses it and a new path fails `scan` in CI.
package attack

import (
	"fmt"
	"strings"
	"sync"

	engine "github.com/kubeharden/kubeharden/attack"
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
	"github.com/kubeharden/kubeharden/netpol"
)

var refs = []string{
	"MITRE ATT&CK T1190 Exploit Public-Facing Application",
	"MITRE ATT&CK T1528 Steal Application Access Token",
	"NSA-CISA Kubernetes Hardening Guide v1.2: Threat model",
}

// entryKinds are the kinds entry points are reported on: Ingresses, Gateways, Services, and
// workloads with host ports or the host network.
var entryKinds = []string{"Ingress", "Gateway", "Service", check.Workloads}

// Checks returns the checks of this package.
func Checks() []*check.Check {
	return []*check.Check{InternetToClusterAdmin, InternetToSecrets, InternetToNode}
}

func init() { check.Register(Checks()...) }

// InternetToClusterAdmin reports entry points from which an attacker reaches cluster-admin.
var InternetToClusterAdmin = &check.Check{
	ID:    "attack/internet-to-cluster-admin",
	Title: "A path leads from the internet to cluster-admin",
	Doc: "An attacker who exploits the workload behind this entry point can chain what the " +
		"other practices report one by one into control of the whole cluster: the network lets " +
		"them reach a workload, its pods mount a service account token, and RBAC lets that " +
		"account (directly or by escalating) do everything. The path is computed from the exact " +
		"engines (exposure, NetworkPolicy reachability, RBAC escalation, Pod Security) and printed " +
		"step by step; `kubeharden attack-paths` shows every path with its evidence and the single " +
		"changes that cut the most paths. Cut any step: a NetworkPolicy, " +
		"automountServiceAccountToken: false, removing the binding, enforcing Pod Security baseline.",
	Severity:    check.Critical,
	References:  refs,
	Remediation: "Cut the path at any step; `kubeharden attack-paths --to cluster-admin` lists the changes that cut the most paths.",
	Kinds:       entryKinds,
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{Engine},
	// The paths are the findings; report names each entry point as the inventory holds it.
	FromEngines: true,
	Run:         func(p *check.Pass) { report(p, engine.ClusterAdmin) },
}

// InternetToSecrets reports entry points from which an attacker can read every Secret.
var InternetToSecrets = &check.Check{
	ID:    "attack/internet-to-secrets",
	Title: "A path leads from the internet to reading every Secret",
	Doc: "An attacker who exploits the workload behind this entry point can end up allowed to " +
		"read every Secret of the cluster: database passwords, API keys, other service accounts' " +
		"tokens. The path chains exposure, NetworkPolicy reachability, mounted tokens and RBAC " +
		"grants (a grant to system:authenticated counts: every stolen token has it). Cut any step.",
	Severity:    check.High,
	References:  refs,
	Remediation: "Cut the path at any step; `kubeharden attack-paths --to secrets` lists the changes that cut the most paths.",
	Kinds:       entryKinds,
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{Engine},
	// The paths are the findings; report names each entry point as the inventory holds it.
	FromEngines: true,
	Run:         func(p *check.Pass) { report(p, engine.AllSecrets) },
}

// InternetToNode reports entry points from which an attacker reaches a node's host.
var InternetToNode = &check.Check{
	ID:    "attack/internet-to-node",
	Title: "A path leads from the internet to a node",
	Doc: "An attacker who exploits the workload behind this entry point can reach the host of " +
		"a node: a pod on the path runs privileged, mounts the host's filesystem or shares its " +
		"PID namespace, or a stolen token may create pods in a namespace whose Pod Security " +
		"admits privileged pods. Root on a node reads every token mounted there and the " +
		"kubelet's credentials. Cut any step; enforcing Pod Security baseline removes the escape.",
	Severity:    check.High,
	References:  append([]string{"MITRE ATT&CK T1611 Escape to Host"}, refs...),
	Remediation: "Cut the path at any step; `kubeharden attack-paths --to nodes` lists the changes that cut the most paths.",
	Kinds:       entryKinds,
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{Engine},
	// The paths are the findings; report names each entry point as the inventory holds it.
	FromEngines: true,
	Run:         func(p *check.Pass) { report(p, engine.Nodes) },
}

// Message is the message of the finding a path gives.
func Message(p *engine.Path) string { return fmt.Sprintf("%d steps: %s", p.Len(), p) }

// For returns the check that reports paths to a target kind, or nil.
func For(to engine.Kind) *check.Check {
	switch to {
	case engine.ClusterAdmin:
		return InternetToClusterAdmin
	case engine.AllSecrets:
		return InternetToSecrets
	case engine.Nodes:
		return InternetToNode
	}
	return nil
}

func report(p *check.Pass, to engine.Kind) {
	r := Engine.Of(p)
	if r.Err != nil {
		panic(r.Err) // the runner turns it into an error naming the check
	}
	texts := r.texts()
	for i, path := range r.Paths {
		if path.To.Kind != to || path.Entry == nil {
			continue
		}
		e := path.Entry
		o := e.Loaded()
		if o == nil {
			continue
		}
		// The engine outlives changes that cannot move a path (Keeps): report on the
		// entry point's object as it is now.
		if cur := p.Inv.Lookup(o.Key()); cur != nil {
			o = cur
		}
		p.Report(check.Diagnostic{Object: o, Path: e.EntryPath(), Message: texts[i].message, Remediation: texts[i].remediation})
	}
}

// text is what a finding on a path says.
type text struct{ message, remediation string }

// texts renders each path's finding once per engine: the three checks share it, and the
// monitor runs them again over a kept engine on every change of what they report on.
func (r *Result) texts() []text {
	r.once.Do(func() {
		r.text = make([]text, len(r.Paths))
		for i, path := range r.Paths {
			if path.Entry == nil {
				continue
			}
			var cuts []string
			seen := map[string]bool{}
			for _, s := range path.Steps {
				if s.Edge != nil && s.Edge.Cut.Key != "" && !seen[s.Edge.Cut.Key] {
					seen[s.Edge.Cut.Key] = true
					cuts = append(cuts, s.Edge.Cut.Change)
				}
			}
			r.text[i] = text{Message(path), "Cut the path at any step: " + strings.Join(cuts, "; or ") + "."}
		}
	})
	return r.text
}

// Result is the attack paths of an inventory from the internet to cluster-admin, every
// Secret and the nodes. It keeps the paths alone (engine.Detach), not the graph they were
// found in, which lives as long as the inventory otherwise.
type Result struct {
	Paths []*engine.Path
	Err   error

	once sync.Once
	text []text
}

// Engine computes the attack paths once per inventory for the three checks (and for reports
// that draw them), from the engines the other checks share: reachability, the RBAC graph with
// its escalation environment, and the Pod Security evaluator. Manifests get Kubernetes'
// default RBAC policy; a live cluster or snapshot (facts) its own.
var Engine = &check.Engine[*Result]{
	Name: "attack-paths",
	Reads: []string{"Namespace", check.Workloads, "NetworkPolicy", netpol.ANPKind, netpol.BANPKind, netpol.CNPKind,
		"Service", "Ingress", "IngressClass",
		"Gateway", "HTTPRoute", "GRPCRoute", "TLSRoute", "TCPRoute", "UDPRoute", "ReferenceGrant",
		"Secret", "ServiceAccount", "Certificate", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"},
	Keeps: keepsPaths,
	Build: func(env check.Env) *Result {
		opts := engine.Options{RBACDefaults: env.Facts == nil, PodSecurity: engines.PodSecurity.For(env),
			Netpol: engines.Netpol.For(env), RBAC: engines.Escalation.For(env)}
		if d := env.Inv.ImageData(); d != nil {
			opts.Vulnerabilities = d.Vulnerabilities
		}
		g, err := engine.Analyze(env.Inv, opts)
		if err != nil {
			return &Result{Err: err}
		}
		ps, err := g.Paths(engine.Query{})
		return &Result{Paths: engine.Detach(ps), Err: err}
	},
}
