// Command kubeharden audits Kubernetes manifests and clusters against hardening practices.
package main

import (
	"os"

	"github.com/kubeharden/kubeharden/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
