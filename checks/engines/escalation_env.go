package engines

import (
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/rbac"
)

// escalationEnv is what Escalation adds to the RBAC engine, read from the inventory alone: a
// change to an RBAC object builds the graph again but not this, which reads every pod
// template.
var escalationEnv = &check.Engine[*rbac.Environment]{
	Name:  "rbac-escalation-environment",
	Reads: []string{"ServiceAccount", "Secret", "Namespace", check.Workloads},
	Build: func(env check.Env) *rbac.Environment { return rbac.EnvironmentOf(env.Inv) },
}
