package resources

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// MissingCPURequest reports containers that end up without a CPU request.
var MissingCPURequest = &check.Check{
	ID:    "resources/missing-cpu-request",
	Title: "Container has no CPU request",
	Doc: "The scheduler places a pod by its requests; a container without a CPU request counts as " +
		"needing none, so nodes get overcommitted and the container is the first to starve under " +
		"contention. The check judges the pod as the API server creates it: a CPU limit without a " +
		"request implies an equal request, a LimitRange in the namespace with a default CPU request " +
		"(or a default, max or min that implies one) fills it in, and a pod-level spec.resources " +
		"CPU request or limit covers all its containers. Fix it by setting " +
		"resources.requests.cpu on the container, or a defaultRequest in a LimitRange of the namespace.",
	Severity:    check.Medium,
	Fixable:     true,
	References:  []string{refNSA, refDocs, refDoS},
	Remediation: "Set resources.requests.cpu to what the container needs at steady state (e.g. 100m).",
	Kinds:       []string{check.Workloads},
	Reads:       []string{"LimitRange"},
	Scope:       check.ScopeNamespace,
	PerObject:   true,
	Run:         func(p *check.Pass) { runContainers(p, corev1.ResourceCPU, false) },
}

// MissingMemoryRequest reports containers that end up without a memory request.
var MissingMemoryRequest = &check.Check{
	ID:    "resources/missing-memory-request",
	Title: "Container has no memory request",
	Doc: "A container without a memory request is scheduled as if it needed no memory and, with no " +
		"requests at all, runs in the BestEffort QoS class: the kubelet evicts it first when the node " +
		"runs short. The check judges the pod as the API server creates it: a memory limit without a " +
		"request implies an equal request, a LimitRange in the namespace with a default memory request " +
		"(or a default, max or min that implies one) fills it in, and a pod-level spec.resources " +
		"memory request or limit covers all its containers. Fix it by setting " +
		"resources.requests.memory on the container, or a defaultRequest in a LimitRange of the namespace.",
	Severity:    check.Medium,
	Fixable:     true,
	References:  []string{refNSA, refDocs, refDoS},
	Remediation: "Set resources.requests.memory to the container's working set (e.g. 128Mi).",
	Kinds:       []string{check.Workloads},
	Reads:       []string{"LimitRange"},
	Scope:       check.ScopeNamespace,
	PerObject:   true,
	Run:         func(p *check.Pass) { runContainers(p, corev1.ResourceMemory, false) },
}

// MissingMemoryLimit reports containers that end up without a memory limit.
var MissingMemoryLimit = &check.Check{
	ID:    "resources/missing-memory-limit",
	Title: "Container has no memory limit",
	Doc: "Memory cannot be throttled: a container without a memory limit can grow until the node " +
		"runs out, and the kernel's OOM killer or the kubelet's eviction then takes down its " +
		"neighbours too. A leak, a hostile input or a cryptominer in one pod becomes an outage of the " +
		"node. The check judges the pod as the API server creates it: a LimitRange in the namespace " +
		"with a default memory limit (or a max, which implies it) fills it in, and a pod-level " +
		"spec.resources memory limit bounds all its containers. Fix it by setting " +
		"resources.limits.memory on the container, or a default in a LimitRange of the namespace.",
	Severity:    check.Medium,
	Fixable:     true,
	References:  []string{refNSA, refDocs, refDoS, refHijack},
	Remediation: "Set resources.limits.memory (e.g. equal to the memory request, for predictable OOM behaviour).",
	Kinds:       []string{check.Workloads},
	Reads:       []string{"LimitRange"},
	Scope:       check.ScopeNamespace,
	PerObject:   true,
	Run:         func(p *check.Pass) { runContainers(p, corev1.ResourceMemory, true) },
}

// MissingCPULimit reports containers that end up without a CPU limit, when the configuration
// asks for CPU limits.
var MissingCPULimit = &check.Check{
	ID:    "resources/missing-cpu-limit",
	Title: "Container has no CPU limit (when required by configuration)",
	Doc: "A container without a CPU limit may use every idle core of its node. That is often what " +
		"you want, since CPU limits cause CFS throttling even on idle nodes, so this check only runs " +
		"when resources.requireCPULimit is true in .kubeharden.yaml; teams that bill by usage or run " +
		"untrusted code set it. The check judges the pod as the API server creates it: a LimitRange " +
		"in the namespace with a default CPU limit (or a max, which implies it) fills it in, and a " +
		"pod-level spec.resources CPU limit bounds all its containers. Fix it by setting " +
		"resources.limits.cpu on the container, or a default in a LimitRange of the namespace.",
	Severity:    check.Low,
	Fixable:     true,
	References:  []string{refNSA, refDocs, refHijack},
	Remediation: "Set resources.limits.cpu (e.g. 500m).",
	Kinds:       []string{check.Workloads},
	Reads:       []string{"LimitRange"},
	Scope:       check.ScopeNamespace,
	PerObject:   true,
	Run: func(p *check.Pass) {
		if p.Config == nil || !p.Config.Resources.RequireCPULimit {
			return
		}
		runContainers(p, corev1.ResourceCPU, true)
	},
}

func init() {
	check.Register(MissingCPURequest, MissingMemoryRequest, MissingMemoryLimit, MissingCPULimit)
}

// runContainers reports every container whose effective resources lack res (a request, or a
// limit when limit is set). It asks only whether each value ends up set, which Effective's
// steps decide without building the lists: see hasEffective.
func runContainers(p *check.Pass, res corev1.ResourceName, limit bool) {
	ranges := limitRanges(p.Inv)
	defaults := map[string]*corev1.ResourceRequirements{}
	none := &corev1.ResourceRequirements{}
	field, what := "requests", "request"
	if limit {
		field, what = "limits", "limit"
	}
	var def *fixValue // the fix's value, once a finding needs it
	whys := map[string]string{}
	for _, t := range p.Inv.PodTemplates() {
		if podCovers(t.Spec, res, limit) {
			continue
		}
		ns := t.Namespace()
		// A live pod already carries what admission gave it; LimitRanges created since do
		// not apply to it.
		d := none
		live := admitted(t)
		if !live {
			var ok bool
			if d, ok = defaults[ns]; !ok {
				dd := Defaults(ranges[ns])
				d = &dd
				defaults[ns] = d
			}
		}
		report := func(c *corev1.Container, kind, list string, i int) {
			if hasEffective(c, d, res, limit) {
				return
			}
			why, ok := whys[ns]
			switch {
			case live:
				why = "the pod was admitted without one"
			case ok:
			case len(ranges[ns]) > 0:
				why = fmt.Sprintf("the LimitRanges in namespace %q default none", ns)
				whys[ns] = why
			default:
				why = fmt.Sprintf("no LimitRange in namespace %q defaults one", ns)
				whys[ns] = why
			}
			path := t.Path + "." + list + "[" + strconv.Itoa(i) + "].resources." + field + "." + string(res)
			var fx []check.SuggestedFix
			// A pod the API server already admitted cannot change its resources; the monitor
			// wants no fixes.
			if !live && !p.NoFixes {
				if def == nil {
					q, origin := defaultValue(p, res, limit)
					def = newFixValue(res, q, origin, limit)
				}
				fx = containerFix(def, t.Owner, c, path, res, limit)
			}
			p.Report(check.Diagnostic{Object: t.Owner, Path: path,
				Message: fmt.Sprintf("%s %q has no %s %s, and %s", kind, c.Name, resourceWord(res), what, why),
				Fixes:   fx})
		}
		for i := range t.Spec.InitContainers {
			report(&t.Spec.InitContainers[i], "init container", "initContainers", i)
		}
		for i := range t.Spec.Containers {
			report(&t.Spec.Containers[i], "container", "containers", i)
		}
	}
}

// hasEffective reports whether container c ends up with res set (a request, or a limit when
// limit is set) under the namespace defaults d: exactly when Effective's result has it.
// A request comes from the container's request, its limit (pod defaulting) or the defaults;
// a limit from the container's limit or the defaults.
func hasEffective(c *corev1.Container, d *corev1.ResourceRequirements, res corev1.ResourceName, limit bool) bool {
	if _, ok := c.Resources.Limits[res]; ok {
		return true
	}
	if limit {
		_, ok := d.Limits[res]
		return ok
	}
	if _, ok := c.Resources.Requests[res]; ok {
		return true
	}
	_, ok := d.Requests[res]
	return ok
}

func resourceWord(r corev1.ResourceName) string {
	if r == corev1.ResourceCPU {
		return "CPU"
	}
	return string(r)
}

// podCovers reports whether pod-level resources (spec.resources) cover res for every container.
// A pod-level limit bounds the pod's cgroup, which holds all its containers; a pod-level
// request is what the scheduler reserves for the pod, and a pod-level limit without a request
// implies one. Only CPU and memory can be set at pod level.
func podCovers(spec *corev1.PodSpec, res corev1.ResourceName, limit bool) bool {
	if spec.Resources == nil {
		return false
	}
	if _, ok := spec.Resources.Limits[res]; ok {
		return true
	}
	if limit {
		return false
	}
	_, ok := spec.Resources.Requests[res]
	return ok
}

// admitted reports whether t is a pod the API server has already created (it has a UID or a
// creation timestamp), so its resources are final.
func admitted(t inventory.PodTemplate) bool {
	if _, ok := t.Owner.Obj.(*corev1.Pod); !ok {
		return false
	}
	return t.Meta.UID != "" || !t.Meta.CreationTimestamp.IsZero()
}

// limitRanges groups the LimitRanges of inv by effective namespace, in load order.
func limitRanges(inv *inventory.Inventory) map[string][]*corev1.LimitRange {
	out := map[string][]*corev1.LimitRange{}
	for _, o := range inv.ByKind("LimitRange") {
		if lr, ok := o.Obj.(*corev1.LimitRange); ok {
			ns := o.EffectiveNamespace()
			out[ns] = append(out[ns], lr)
		}
	}
	return out
}
