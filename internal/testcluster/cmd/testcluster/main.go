// Command testcluster runs the test control plane (etcd + kube-apiserver) in the foreground for
// manual use: it writes an admin kubeconfig, prints its path, and stops on Ctrl-C.
//
//	go run ./internal/testcluster/cmd/testcluster [--kubeconfig PATH] [--apiserver-arg name=value]...
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/kubeharden/kubeharden/internal/testcluster"
)

type argList map[string][]string

func (a argList) String() string { return fmt.Sprint(map[string][]string(a)) }

func (a argList) Set(s string) error {
	k, v, ok := strings.Cut(strings.TrimLeft(s, "-"), "=")
	if !ok {
		return fmt.Errorf("want name=value, got %q", s)
	}
	a[k] = append(a[k], v)
	return nil
}

func main() {
	var (
		kubeconfig string
		opts       testcluster.Options
		args       = argList{}
	)
	// A flag set of our own: controller-runtime registers --kubeconfig on the global one.
	flag := flag.NewFlagSet("testcluster", flag.ExitOnError)
	flag.StringVar(&kubeconfig, "kubeconfig", "", "where to write the admin kubeconfig (default .cache/testcluster/kubeconfig at the repository root)")
	flag.StringVar(&opts.EncryptionConfig, "encryption-config", "", "kube-apiserver --encryption-provider-config file")
	flag.StringVar(&opts.AuditPolicy, "audit-policy", "", "kube-apiserver --audit-policy-file")
	flag.StringVar(&opts.AuditLog, "audit-log", "", "kube-apiserver --audit-log-path")
	flag.StringVar(&opts.AdmissionConfig, "admission-config", "", "kube-apiserver --admission-control-config-file")
	flag.Var(args, "apiserver-arg", "extra kube-apiserver flag as name=value (repeatable)")
	flag.BoolVar(&opts.Output, "v", false, "show the API server's and etcd's output")
	_ = flag.Parse(os.Args[1:])
	opts.Args = args

	if kubeconfig == "" {
		root, err := testcluster.RepoRoot()
		if err != nil {
			fail(err)
		}
		kubeconfig = filepath.Join(root, ".cache", "testcluster", "kubeconfig")
	}
	fmt.Fprintln(os.Stderr, "testcluster: starting etcd and kube-apiserver ...")
	c, err := testcluster.Start(opts)
	if err != nil {
		fail(err)
	}
	if err := testcluster.WriteKubeConfig(kubeconfig, c.Admin); err != nil {
		_ = c.Stop()
		fail(err)
	}
	fmt.Fprintf(os.Stderr, "testcluster: API server at %s; press Ctrl-C to stop. Use it with:\n  export KUBECONFIG=%s\n", c.Admin.Host, kubeconfig)
	fmt.Println(kubeconfig)

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	fmt.Fprintln(os.Stderr, "testcluster: stopping ...")
	if err := c.Stop(); err != nil {
		fail(err)
	}
	_ = os.Remove(kubeconfig)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "testcluster:", err)
	os.Exit(1)
}
