package secrets

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// envContainer is a container's name, environment and field path: init, regular and
// ephemeral containers alike, since all of them can read Secrets into their environment.
type envContainer struct {
	name    string
	env     []corev1.EnvVar
	envFrom []corev1.EnvFromSource
	path    string
}

func envContainers(t inventory.PodTemplate) []envContainer {
	var out []envContainer
	for _, c := range t.Containers() {
		out = append(out, envContainer{c.Container.Name, c.Container.Env, c.Container.EnvFrom, c.Path})
	}
	for i := range t.Spec.EphemeralContainers {
		c := &t.Spec.EphemeralContainers[i]
		out = append(out, envContainer{c.Name, c.Env, c.EnvFrom, fmt.Sprintf("%s.ephemeralContainers[%d]", t.Path, i)})
	}
	return out
}

// SecretInEnv reports Secrets handed to containers as environment variables.
var SecretInEnv = &check.Check{
	ID:    "secrets/secret-in-env",
	Title: "Secret passed as an environment variable",
	Doc: "A Secret read into an environment variable (env[].valueFrom.secretKeyRef, or all its " +
		"keys through envFrom[].secretRef) is visible to every process of the container and its " +
		"children, in /proc/PID/environ, in crash reports and debug endpoints that dump the " +
		"environment, and it never changes until the pod restarts. Mounted as a file (a secret " +
		"volume with defaultMode 0400) it is readable only where the application opens it, and " +
		"updates in place. Many images read *_FILE variables for this.",
	Severity:    check.Low,
	References:  []string{refCISSecretEnv, refNSA, refSecretsDocs, refCreds},
	Remediation: "Mount the Secret as a read-only volume (defaultMode: 0400) and point the application at the file (many images read NAME_FILE variables).",
	Kinds:       []string{check.Workloads},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		for _, t := range p.Inv.PodTemplates() {
			for _, c := range envContainers(t) {
				for i, e := range c.env {
					if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
						continue
					}
					ref := e.ValueFrom.SecretKeyRef
					p.Reportf(t.Owner, fmt.Sprintf("%s.env[%d].valueFrom.secretKeyRef", c.path, i),
						"container %q reads key %q of Secret %q into environment variable %s; mount it as a file instead",
						c.name, ref.Key, ref.Name, e.Name)
				}
				for i, e := range c.envFrom {
					if e.SecretRef == nil {
						continue
					}
					p.Reportf(t.Owner, fmt.Sprintf("%s.envFrom[%d].secretRef", c.path, i),
						"container %q imports every key of Secret %q as environment variables; mount it as a file instead",
						c.name, e.SecretRef.Name)
				}
			}
		}
	},
}
