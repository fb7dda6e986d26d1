package resources

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// NoLimitRange reports namespaces that run workloads without a LimitRange for containers.
var NoLimitRange = &check.Check{
	ID:    "resources/no-limitrange",
	Title: "Namespace runs workloads without a LimitRange",
	Doc: "A LimitRange gives every container of its namespace default requests and limits and " +
		"bounds what one container or pod may ask for, so a manifest that forgets its resources " +
		"still gets sane ones and one that asks for a whole node is refused. The check reports a " +
		"namespace that holds a workload or pod but no LimitRange with a Container or Pod item " +
		"(a range for PersistentVolumeClaims only does not bound compute). The finding sits on " +
		"the Namespace object when it was loaded, else on the first workload of the namespace. " +
		"kube-system, kube-public and kube-node-lease are skipped: their pods belong to the " +
		"platform, and a range there can keep critical system pods from starting. Fix it by " +
		"adding a LimitRange with a type: Container item that sets default, defaultRequest and max.",
	Severity:    check.Low,
	Fixable:     true,
	References:  []string{refNSA, refLimitDoc, refDoS},
	Remediation: "Add a LimitRange with a `type: Container` item setting default, defaultRequest and max for cpu and memory.",
	Kinds:       []string{"Namespace", check.Workloads},
	Reads:       []string{"LimitRange", check.Workloads},
	Scope:       check.ScopeNamespace,
	Run:         runNoLimitRange,
}

// NoResourceQuota reports namespaces that run workloads without a ResourceQuota on compute.
var NoResourceQuota = &check.Check{
	ID:    "resources/no-resourcequota",
	Title: "Namespace runs workloads without a ResourceQuota",
	Doc: "A ResourceQuota caps what a whole namespace may consume, so one team, one runaway " +
		"autoscaler or one compromised deployment cannot take the cluster's capacity from the " +
		"others. The check reports a namespace that holds a workload or pod but no ResourceQuota " +
		"with a hard limit on CPU or memory (cpu, memory, requests.* or limits.*); a quota that " +
		"only counts objects does not bound compute. Scoped quotas count as a cap. The finding " +
		"sits on the Namespace object when it was loaded, else on the first workload of the " +
		"namespace. kube-system, kube-public and kube-node-lease are skipped: their pods belong " +
		"to the platform, and a quota there can keep critical system pods from starting. Fix it " +
		"by adding a ResourceQuota with hard requests.cpu, requests.memory and limits.memory.",
	Severity:    check.Medium,
	Fixable:     true,
	References:  []string{refNSA, refQuotaDoc, refDoS, refHijack},
	Remediation: "Add a ResourceQuota with hard requests.cpu, requests.memory, limits.cpu and limits.memory sized for the namespace.",
	Kinds:       []string{"Namespace", check.Workloads},
	Reads:       []string{"ResourceQuota", check.Workloads},
	Scope:       check.ScopeNamespace,
	Run:         runNoResourceQuota,
}

func init() {
	check.Register(NoLimitRange, NoResourceQuota)
}

// systemNamespaces are left to the platform: quotas and ranges there can block the control
// plane's own pods.
var systemNamespaces = map[string]bool{"kube-system": true, "kube-public": true, "kube-node-lease": true}

func runNoLimitRange(p *check.Pass) {
	runNamespaces(p, "LimitRange", boundsContainers, limitRangeFix)
}

func runNoResourceQuota(p *check.Pass) {
	runNamespaces(p, "ResourceQuota", capsCompute, quotaFix)
}

// runNamespaces reports each namespace with workloads where no object of kind satisfies ok.
func runNamespaces(p *check.Pass, kind string, ok func(*inventory.Object) bool, fix func(*check.Pass, string) []check.SuggestedFix) {
	first := map[string]*inventory.Object{}
	var order []string
	for _, t := range p.Inv.PodTemplates() {
		ns := t.Namespace()
		if _, seen := first[ns]; !seen && !systemNamespaces[ns] {
			first[ns] = t.Owner
			order = append(order, ns)
		}
	}
	if len(order) == 0 {
		return
	}
	have, useless := map[string]bool{}, map[string]bool{}
	for _, o := range p.Inv.ByKind(kind) {
		ns := o.EffectiveNamespace()
		if ok(o) {
			have[ns] = true
		} else {
			useless[ns] = true
		}
	}
	for _, ns := range order {
		if have[ns] {
			continue
		}
		msg := fmt.Sprintf("namespace %q runs workloads but has no %s", ns, kind)
		if useless[ns] {
			if kind == "LimitRange" {
				msg = fmt.Sprintf("namespace %q runs workloads but its LimitRanges bound neither containers nor pods", ns)
			} else {
				msg = fmt.Sprintf("namespace %q runs workloads but its ResourceQuotas cap neither CPU nor memory", ns)
			}
		}
		if nsObj := p.Inv.Namespace(ns); nsObj != nil {
			p.Report(check.Diagnostic{Object: nsObj, Path: "metadata.name", Message: msg, Fixes: fix(p, ns)})
			continue
		}
		p.Report(check.Diagnostic{Object: first[ns], Path: "metadata.namespace", Fixes: fix(p, ns),
			Message: msg + " (reported on its first workload: the Namespace object was not loaded)"})
	}
}

// boundsContainers reports whether a LimitRange has an item for containers or pods.
func boundsContainers(o *inventory.Object) bool {
	lr, ok := o.Obj.(*corev1.LimitRange)
	if !ok {
		return true // not decoded: give it the benefit of the doubt
	}
	for _, item := range lr.Spec.Limits {
		if item.Type == corev1.LimitTypeContainer || item.Type == corev1.LimitTypePod {
			return true
		}
	}
	return false
}

// computeQuota lists the quota resources that cap CPU or memory.
var computeQuota = []corev1.ResourceName{
	corev1.ResourceCPU, corev1.ResourceMemory,
	corev1.ResourceRequestsCPU, corev1.ResourceRequestsMemory,
	corev1.ResourceLimitsCPU, corev1.ResourceLimitsMemory,
}

// capsCompute reports whether a ResourceQuota has a hard limit on CPU or memory.
func capsCompute(o *inventory.Object) bool {
	q, ok := o.Obj.(*corev1.ResourceQuota)
	if !ok {
		return true
	}
	for _, r := range computeQuota {
		if _, ok := q.Spec.Hard[r]; ok {
			return true
		}
	}
	return false
}
