package cli

import _ "github.com/kubeharden/kubeharden/checks/all"
