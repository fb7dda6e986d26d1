// Package all registers every kubeharden check. Import it for its side effect:
//
//	import _ "github.com/kubeharden/kubeharden/checks/all"
package all

import (
	_ "github.com/kubeharden/kubeharden/checks/attack"
	_ "github.com/kubeharden/kubeharden/checks/images"
	_ "github.com/kubeharden/kubeharden/checks/ingress"
	_ "github.com/kubeharden/kubeharden/checks/network"
	_ "github.com/kubeharden/kubeharden/checks/podsecurity"
	_ "github.com/kubeharden/kubeharden/checks/rbac"
	_ "github.com/kubeharden/kubeharden/checks/resources"
	_ "github.com/kubeharden/kubeharden/checks/secrets"
	_ "github.com/kubeharden/kubeharden/checks/versions"
)
