package network

import (
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/netpol/generate"
)

// generated is the fix of a namespace without a default deny: the policies `kubeharden
// netpol generate` writes for it, a default deny and the allows its workloads need. They
// are worked out once per inventory for every namespace, as the command does.
func generated(p *check.Pass, ns string) []check.SuggestedFix {
	res := engines.NetpolPlan.Of(p)
	// Every unselected workload of a namespace offers the same fix: convert the policies
	// once per plan, not once per finding.
	byNS := p.Inv.Memo(fixesOf{res}, func() any { return policyFixes(res) }).(map[string][]check.SuggestedFix)
	return byNS[ns]
}

// fixesOf keys the fixes of a plan, by namespace, in the inventory's memo.
type fixesOf struct{ res *generate.Result }

func policyFixes(res *generate.Result) map[string][]check.SuggestedFix {
	edits := map[string][]check.Edit{}
	for _, pol := range res.Policies {
		np := pol.Object
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(np)
		if err != nil {
			continue
		}
		ns := np.Namespace
		edits[ns] = append(edits[ns], check.Edit{
			Op:     check.CreateObject,
			Object: inventory.Ref{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Namespace: ns, Name: np.Name},
			New:    prune(m).(map[string]any),
			Origin: "netpol generate: " + pol.Comment,
		})
	}
	out := make(map[string][]check.SuggestedFix, len(edits))
	for ns, es := range edits {
		out[ns] = []check.SuggestedFix{{
			Message: "add the NetworkPolicies netpol generate writes for " + ns + ": deny by default, then allow the connections its manifests show",
			Edits:   es,
		}}
	}
	return out
}

// prune drops the null fields the converter writes for unset ones (creationTimestamp).
func prune(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if e == nil {
				delete(x, k)
				continue
			}
			x[k] = prune(e)
		}
	case []any:
		for i := range x {
			x[i] = prune(x[i])
		}
	}
	return v
}
