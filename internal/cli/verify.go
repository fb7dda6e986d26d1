package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/kubeharden/kubeharden/encryption"
	"github.com/kubeharden/kubeharden/encryption/etcdverify"
	"github.com/kubeharden/kubeharden/scan"
)

func init() { register(newVerifyCmd) }

func newVerifyCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Prove in the cluster's own data what the configuration claims",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newVerifyEncryptionCmd(e))
	return cmd
}

func newVerifyEncryptionCmd(e *env) *cobra.Command {
	var (
		endpoints []string
		files     etcdverify.TLSFiles
		config    string
		resources []string
		prefix    string
		output    = newFormat("table", "json")
		timeout   time.Duration
	)
	cmd := &cobra.Command{
		Use:   "encryption --etcd-endpoints URL[,URL...] [--cacert FILE --cert FILE --key FILE]",
		Short: "Read etcd and report, per object, whether it is stored encrypted and with which key",
		Long: `Verify encryption reads etcd directly (read-only) and reports, for every Secret (and every
other resource named with --resource, or named by the --encryption-config file), how its value
is stored: encrypted, with the provider and key of its "k8s:enc:<provider>:v1:<key>:" prefix,
or in plaintext. Only the first bytes of each value are decoded; no value is ever printed.

With --encryption-config (the file the kube-apiserver reads), each object is judged against
the provider and key that encrypt new writes: objects still in plaintext, or encrypted with a
key that is no longer first, must be rewritten, and the kubectl commands that rewrite them are
printed. Without it, the most recently written object of each resource stands for the
configuration in force.

The certificates are those etcd trusts for clients; on a kubeadm control-plane node:
  --cacert /etc/kubernetes/pki/etcd/ca.crt
  --cert /etc/kubernetes/pki/apiserver-etcd-client.crt
  --key /etc/kubernetes/pki/apiserver-etcd-client.key
etcd is read through its HTTP gateway (POST /v3/kv/range), which etcd serves on its client
port unless --enable-grpc-gateway=false; with client certificates required, the gateway
needs etcd's own serving certificate to allow client authentication, as kubeadm's does.

Exit codes: 0 every object is encrypted as new writes are, 1 some object is in plaintext or
needs a rewrite (or encryption is off), 2 usage or input errors, 3 etcd unreachable.`,
		Example: `  kubeharden verify encryption --etcd-endpoints https://127.0.0.1:2379 \
    --cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/apiserver-etcd-client.crt \
    --key /etc/kubernetes/pki/apiserver-etcd-client.key --encryption-config /etc/kubernetes/enc/enc.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := etcdverify.Options{Prefix: prefix}
			if config != "" {
				cfg, err := readEncryptionConfig(config)
				if err != nil {
					return exit(scan.ExitInput, err)
				}
				for _, p := range cfg.Problems {
					fmt.Fprintf(e.stderr, "warning: --encryption-config: the API server refuses this configuration: %s\n", p)
				}
				opts.Config = cfg
				opts.Resources = configuredResources(cfg)
			}
			for _, r := range resources {
				gr := encryption.ParseResource(strings.TrimSpace(r))
				if gr.Resource == "" || gr.Resource == "*" || gr.Group == "*" {
					return exit(scan.ExitInput, fmt.Errorf("--resource %q: name one resource, as RESOURCE[.GROUP]", r))
				}
				if !containsGR(opts.Resources, gr) {
					opts.Resources = append(opts.Resources, gr)
				}
			}
			client, err := etcdverify.NewClient(endpoints, files, timeout)
			if err != nil {
				return exit(scan.ExitInput, err)
			}
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			rep, err := etcdverify.Verify(ctx, client, opts)
			if err != nil {
				var ue *etcdverify.UnreachableError
				if errors.As(err, &ue) {
					return exit(scan.ExitUnreachable, err)
				}
				return exit(scan.ExitInput, err)
			}
			if err := e.emit("", output.value, rep, emitters{
				"table": func(w io.Writer) error { return writeVerifyTable(w, rep) },
			}); err != nil {
				return err
			}
			if !rep.Clean() {
				return exit(scan.ExitFindings, nil)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&endpoints, "etcd-endpoints", nil, "etcd client URLs (https://HOST:2379), comma-separated; tried in order")
	f.StringVar(&files.CACert, "cacert", "", "CA bundle that signed etcd's serving certificate")
	f.StringVar(&files.Cert, "cert", "", "client certificate etcd trusts")
	f.StringVar(&files.Key, "key", "", "key of the client certificate")
	f.StringVar(&config, "encryption-config", "", "the kube-apiserver's EncryptionConfiguration (--encryption-provider-config), to judge each object against")
	f.StringArrayVar(&resources, "resource", nil, "another resource to read, as RESOURCE[.GROUP] (repeatable; secrets are always read)")
	f.StringVar(&prefix, "etcd-prefix", etcdverify.DefaultPrefix, "the kube-apiserver's --etcd-prefix")
	addFormatFlag(f, output, "")
	f.DurationVar(&timeout, "timeout", 30*time.Second, "timeout of each request to etcd")
	_ = cmd.MarkFlagRequired("etcd-endpoints")
	return cmd
}

// readEncryptionConfig reads and decodes an EncryptionConfiguration file.
func readEncryptionConfig(path string) (*encryption.Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--encryption-config: %w", err)
	}
	cfg := encryption.Decode(data)
	clear(data)
	if len(cfg.Rules) == 0 && len(cfg.Problems) > 0 {
		return nil, fmt.Errorf("--encryption-config %s: %s", path, cfg.Problems[0])
	}
	return cfg, nil
}

// configuredResources are Secrets and every resource a rule names exactly.
func configuredResources(cfg *encryption.Config) []encryption.GroupResource {
	out := []encryption.GroupResource{encryption.Secrets}
	for _, r := range cfg.Rules {
		for _, res := range r.Resources {
			gr := encryption.ParseResource(res)
			if gr.Resource != "*" && gr.Group != "*" && !containsGR(out, gr) {
				out = append(out, gr)
			}
		}
	}
	return out
}

func containsGR(grs []encryption.GroupResource, gr encryption.GroupResource) bool {
	for _, g := range grs {
		if g == gr {
			return true
		}
	}
	return false
}

func writeVerifyTable(w io.Writer, rep *etcdverify.Report) error {
	fmt.Fprintf(w, "etcd: %s\n\n", rep.Endpoint)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RESOURCE\tNAMESPACE\tNAME\tSTORED\tSTATUS")
	for _, o := range rep.Objects {
		status := o.Status
		if o.Reason != "" {
			status += ": " + o.Reason
		}
		ns := o.Namespace
		if ns == "" {
			ns = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", o.Resource, ns, o.Name, o.Stored, status)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	for _, r := range rep.Resources {
		how := "new writes: " + r.Writes
		if r.Inferred && r.Objects > 0 {
			how += " (as the most recently written object; pass --encryption-config to judge against the configuration)"
		}
		fmt.Fprintf(w, "%s: %d %s; %s\n", r.Resource, r.Objects, pluralize(r.Objects, "object"), how)
		for _, s := range sortedCounts(r.Stored) {
			fmt.Fprintf(w, "  %d stored as %s\n", r.Stored[s], s)
		}
		for _, s := range sortedCounts(r.ByStatus) {
			if s != etcdverify.StatusOK {
				fmt.Fprintf(w, "  %d %s\n", r.ByStatus[s], s)
			}
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintln(w, "note:", n)
	}
	if cmds := rep.RewriteCommands(); len(cmds) > 0 {
		fmt.Fprintln(w, "\nTo store them as new writes are, rewrite them through the API server:")
		for _, c := range cmds {
			fmt.Fprintln(w, "  "+c)
		}
	}
	return nil
}

func sortedCounts(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func pluralize(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
