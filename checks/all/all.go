// Package all registers every kubeharden check. Import it for its side effect:
//
//	import _ "github.com/kubeharden/kubeharden/checks/all"
package all

import (
	_ "github.com/kubeharden/kubeharden/checks/images"
	_ "github.com/kubeharden/kubeharden/checks/resources"
)
