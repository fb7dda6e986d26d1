package podsecurity

import (
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/config"
)

// celForms are the upstream checks whose verdict CEL states on the pod spec alone, by upstream
// ID. The policy's variables.containers are the pod's init, regular and ephemeral containers.
// The Go form reports these at every namespace level (one severity lower where only restricted
// fails), so the CEL form rejects wherever the namespace is not exempt. Checks that restricted
// replaces by another (hostPathVolumes by restrictedVolumes, capabilities_baseline by
// capabilities_restricted) are reported or not by the namespace's level, which a policy cannot
// read as PodSecurity admission does: they have no CEL form.
var celForms = map[string]*check.CEL{
	"privileged": podCEL(
		"variables.containers.all(c, !has(c.securityContext) || !has(c.securityContext.privileged) || !c.securityContext.privileged)",
		"'podsecurity/privileged: privileged container ' + variables.containers.filter(c, has(c.securityContext) && has(c.securityContext.privileged) && c.securityContext.privileged).map(c, c.name).join(', ')"),
	"hostNamespaces": podCEL(
		"!(has(variables.spec.hostNetwork) && variables.spec.hostNetwork) && !(has(variables.spec.hostPID) && variables.spec.hostPID) && !(has(variables.spec.hostIPC) && variables.spec.hostIPC)",
		"'podsecurity/hostNamespaces: the pod shares the host\\'s network, PID or IPC namespace'"),
	// A pod on the host's network gets hostPort = containerPort by defaulting when it is
	// created; a template (Deployment, ...) is no longer defaulted so, but its pods will be,
	// and the Go form judges the pod as created.
	"hostPorts": podCEL(
		"variables.containers.all(c, !has(c.ports) || c.ports.all(p, (!has(p.hostPort) || p.hostPort == 0) && "+hostNetworkTemplate+"))",
		"'podsecurity/hostPorts: container ' + variables.containers.filter(c, has(c.ports) && c.ports.exists(p, (has(p.hostPort) && p.hostPort != 0) || !"+hostNetworkTemplate+")).map(c, c.name).join(', ') + ' binds a host port'"),
}

// hostNetworkTemplate is false for a pod template on the host's network.
const hostNetworkTemplate = "!(object.kind != 'Pod' && has(variables.spec.hostNetwork) && variables.spec.hostNetwork)"

func podCEL(expr, msg string) *check.CEL {
	return &check.CEL{
		Kinds:           []string{check.Workloads},
		Validations:     []check.Validation{{Expression: expr, MessageExpression: msg}},
		NamespaceExempt: func(c *config.Config) []string { return c.PodSecurity.Exempt() },
	}
}
