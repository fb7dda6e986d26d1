package network

import (
	"fmt"
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
	"github.com/kubeharden/kubeharden/netpol"
)

// PeerMatchesNothing reports from/to peers that match no workload.
var PeerMatchesNothing = &check.Check{
	ID:    "network/peer-matches-nothing",
	Title: "NetworkPolicy peer matches no workload",
	Doc: "A from or to entry whose selectors match no pod allows nothing, so the traffic it was " +
		"written for is blocked (or, if the author then loosened something else to make it work, " +
		"allowed too widely). Typical causes: a label that changed, a namespace selected by a " +
		"label it does not carry (select namespaces by kubernetes.io/metadata.name, which every " +
		"namespace has), podSelector and namespaceSelector written as two entries when one was " +
		"meant, or the reverse. The check judges only what the input lets it judge: a peer of " +
		"the policy's own namespace when that namespace runs workloads; a peer whose " +
		"namespaceSelector matches loaded namespaces that run workloads; and, in a live " +
		"cluster, every peer. ipBlock peers are not judged.",
	Severity:    check.Low,
	References:  []string{refDocs},
	Remediation: "Fix the peer's selectors to match the labels of the intended pods and namespaces, or remove the peer.",
	Kinds:       []string{"NetworkPolicy"},
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.Netpol},
	Partition:   byPeers,
	Run:         runPeerMatchesNothing,
}

// byPeers partitions the findings on a policy's peers, which depend on the classes each
// peer matches and on the namespaces its namespaceSelector matches (with whether they run
// workloads): a change affects the policies it changed, and those whose peers it made match
// other classes or namespaces, as the reachability engine's update says.
var byPeers = &check.Partition{
	Name:  "peers",
	Kinds: []string{"Namespace", check.Workloads, "NetworkPolicy"},
	Affected: func(env check.Env, nss []string) ([]string, bool) {
		c := engines.NetpolChanged(env)
		if c.All {
			return nil, true
		}
		var out []string
		for _, ps := range [][]*netpol.Peer{c.ClassPeers, c.NamespacePeers} {
			for _, pe := range ps {
				out = append(out, pe.Rule.Policy.Namespace)
			}
		}
		return out, false
	},
}

func runPeerMatchesNothing(p *check.Pass) {
	e := engine(p)
	live := p.Facts != nil
	for _, pol := range e.Policies() {
		if !pol.Valid() || pol.Object == nil || !wanted(p, pol.Namespace) {
			continue
		}
		for _, rules := range pol.Rules {
			for _, r := range rules {
				for _, pe := range r.Peers {
					if pe.IPBlock != nil || pe.MatchesSome() {
						continue
					}
					if msg := judgeable(e, pol, pe); msg != "" || live {
						if msg == "" {
							msg = "no namespace of the cluster matches its namespaceSelector"
						}
						p.Reportf(pol.Object, pe.Path(), "%s of policy %s matches no workload: %s", pe.Path(), pol.ID(), msg)
					}
				}
			}
		}
	}
}

// judgeable explains why a peer matching nothing is a mistake rather than a namespace the
// input does not hold; "" when it cannot tell.
func judgeable(e *netpol.Engine, pol *netpol.Policy, pe *netpol.Peer) string {
	sel := pe.PodSelector.String()
	if sel == "" {
		sel = "any labels"
	}
	if pe.NamespaceSelector == nil {
		if len(e.WorkloadsIn(pol.Namespace)) == 0 {
			return ""
		}
		return fmt.Sprintf("no workload of namespace %q has pods with %s", pol.Namespace, sel)
	}
	var nss []string
	for _, ns := range e.NamespacesMatching(pe.NamespaceSelector) {
		if len(e.WorkloadsIn(ns.Name)) > 0 {
			nss = append(nss, ns.Name)
		}
	}
	if len(nss) == 0 {
		return ""
	}
	return fmt.Sprintf("no workload of the matching namespaces (%s) has pods with %s", strings.Join(nss, ", "), sel)
}
