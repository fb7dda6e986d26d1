package podsecurity

import (
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
)

// ReadOnlyRoot reports containers whose root filesystem is writable.
var ReadOnlyRoot = &check.Check{
	ID:    "podsecurity/readonly-root-filesystem",
	Title: "Container root filesystem is writable",
	Doc: "A writable root filesystem lets an attacker who gets code execution in the container " +
		"drop tools, change binaries and configuration, and persist until the pod is replaced. " +
		"With securityContext.readOnlyRootFilesystem: true the image stays as built; the " +
		"application writes only to the volumes it mounts (an emptyDir for /tmp or a cache). " +
		"The Pod Security Standards do not require it, so this is checked on its own, for every " +
		"init and regular container outside exempt namespaces.",
	Severity: check.Low,
	References: []string{"NSA-CISA Kubernetes Hardening Guide v1.2: Kubernetes Pod security (immutable container file systems)",
		"MITRE ATT&CK T1525 Implant Internal Image"},
	Remediation: "Set `securityContext.readOnlyRootFilesystem: true` on each container and mount an emptyDir where it must write (/tmp, caches).",
	Kinds:       []string{check.Workloads},
	Reads:       []string{"Namespace"},
	Scope:       check.ScopeNamespace,
	PerObject:   true,
	Requires:    []check.Requirement{engines.PodSecurity},
	Run: func(pass *check.Pass) {
		s := newScope(pass)
		for _, t := range pass.Inv.PodTemplates() {
			if _, ok := s.namespace(t.Namespace()); !ok {
				continue
			}
			for _, c := range t.Containers() {
				sc := c.Container.SecurityContext
				if sc != nil && sc.ReadOnlyRootFilesystem != nil && *sc.ReadOnlyRootFilesystem {
					continue
				}
				path := c.Path + ".securityContext.readOnlyRootFilesystem"
				pass.Reportf(t.Owner, path, "container %q can write to its root filesystem (readOnlyRootFilesystem is not true)", c.Container.Name)
			}
		}
	},
}

func init() { check.Register(ReadOnlyRoot) }
