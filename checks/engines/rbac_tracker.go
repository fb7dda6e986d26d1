package engines

import (
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/rbac"
)

// rbacTracker follows the inventory the engine is first built for (a monitor's, which
// changes in place) and derives the RBAC engine and its escalation graphs from the last ones
// when bindings change, instead of building them again (rbac.Tracker). It reads no objects,
// so it lives as long as the inventory, across changes.
var rbacTracker = &check.Engine[*rbac.Tracker]{
	Name:  "rbac-tracker",
	Build: func(check.Env) *rbac.Tracker { return rbac.NewTracker() },
}
