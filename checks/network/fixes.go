package network

import (
	"slices"
	"strings"

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
	if p.NoFixes {
		return nil
	}
	var res *generate.Result
	if p.Namespaces != nil {
		if !p.Namespaces[ns] {
			return nil // not wanted: the Evaluator drops the finding
		}
		res = scopedPlan(p)
	} else {
		res = engines.NetpolPlan.Of(p)
	}
	// Three checks offer the fix, one of them once per workload: work it out once.
	return p.Inv.Memo(planFix{res, ns}, func() any { return planFixes(res, ns) }).([]check.SuggestedFix)
}

// scopedPlan is the plan's policies for the namespaces the pass wants (Pass.Namespaces),
// which are those the whole plan has there: generating for a few namespaces reads the
// paths into and out of them alone.
func scopedPlan(p *check.Pass) *generate.Result {
	var nss []string
	for ns := range p.Namespaces {
		// Policies are generated for namespaces with workloads; one without objects would
		// only widen the search for paths into it.
		if len(p.Inv.InNamespace(ns)) > 0 {
			nss = append(nss, ns)
		}
	}
	slices.Sort(nss)
	// The checks re-run for one change want the same namespaces: generate once.
	key := scopedPlanKey(strings.Join(nss, "\x00"))
	return p.Inv.Memo(key, func() any {
		m := mentionsOf(check.Env{Inv: p.Inv, Config: p.Config, Facts: p.Facts})
		return generate.Generate(p.Inv, generate.Options{Engine: engine(p), Namespaces: nss, PoliciesOnly: true,
			Mentioned: m.get})
	}).(*generate.Result)
}

type scopedPlanKey string

type planFix struct {
	res *generate.Result
	ns  string
}

func planFixes(res *generate.Result, ns string) []check.SuggestedFix {
	var edits []check.Edit
	for _, pol := range res.PoliciesIn(ns) {
		np := pol.Object
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(np)
		if err != nil {
			continue
		}
		edits = append(edits, check.Edit{
			Op:     check.CreateObject,
			Object: inventory.Ref{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Namespace: ns, Name: np.Name},
			New:    prune(m).(map[string]any),
			Origin: "netpol generate: " + pol.Comment,
		})
	}
	if len(edits) == 0 {
		return nil
	}
	return []check.SuggestedFix{{
		Message: "add the NetworkPolicies netpol generate writes for " + ns + ": deny by default, then allow the connections its manifests show",
		Edits:   edits,
	}}
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
