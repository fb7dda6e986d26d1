package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/kubeharden/kubeharden/netpol/generate"
	"github.com/kubeharden/kubeharden/scan"
)

func init() { register(newNetpolCmd) }

func newNetpolCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "netpol",
		Short: "Work with NetworkPolicies",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newNetpolGenerateCmd(e))
	return cmd
}

func newNetpolGenerateCmd(e *env) *cobra.Command {
	var (
		in               inputs
		ingressNamespace string
		ingressSelector  string
		dnsNamespace     string
		dnsSelector      string
	)
	cmd := &cobra.Command{
		Use:   "generate [-n NS] [-f PATH | --cluster]",
		Short: "Write the NetworkPolicies an app needs: default deny, then exactly its connections",
		Long: `generate writes NetworkPolicies to standard output:

  - for every namespace without a default deny, one that denies all ingress and egress
    except DNS to cluster DNS;
  - for every workload, the allow rules its connections need, and no others. Connections
    are read from the manifests: a workload that names a Service in its environment, in a
    ConfigMap it uses, or in its arguments (db, db.shop, db.shop.svc.cluster.local,
    postgres://db:5432/...) connects to that Service's pods on its target ports; an
    Ingress's backends accept the ingress controller; NodePort and LoadBalancer Services
    accept clients outside the cluster.

Every rule carries a comment saying why. Paths the existing policies already allow are not
written again. What NetworkPolicy cannot express (hostNetwork pods, external host names,
pods without labels) is listed as NOTE comments at the top. With -n, only that namespace's
policies are written. Review the result before applying it.`,
		Example: `  kubeharden netpol generate -f deploy/ > policies.yaml
  kubeharden netpol generate -f deploy/ -n shop --ingress-namespace traefik --ingress-selector app.kubernetes.io/name=traefik
  kubeharden netpol generate --cluster -n shop | kubectl apply --dry-run=server -f -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := generate.Options{IngressNamespace: ingressNamespace, DNSNamespace: dnsNamespace}
			var err error
			if opts.IngressLabels, err = parseLabels(ingressSelector); err != nil {
				return exit(scan.ExitInput, fmt.Errorf("--ingress-selector: %w", err))
			}
			if opts.DNSLabels, err = parseLabels(dnsSelector); err != nil {
				return exit(scan.ExitInput, fmt.Errorf("--dns-selector: %w", err))
			}
			if in.kube.Namespace != nil && *in.kube.Namespace != "" {
				opts.Namespaces = []string{*in.kube.Namespace}
			}
			input, err := in.read(cmd.Context(), e, nil)
			if err != nil {
				return err
			}
			res := generate.Generate(input.inv, opts)
			if err := res.WriteYAML(e.stdout); err != nil {
				return exit(scan.ExitInput, err)
			}
			return warnInput(e, input.errs)
		},
	}
	f := cmd.Flags()
	f.StringVar(&ingressNamespace, "ingress-namespace", "ingress-nginx", "namespace the ingress controller runs in")
	f.StringVar(&ingressSelector, "ingress-selector", "app.kubernetes.io/name=ingress-nginx", "labels of the ingress controller's pods (KEY=VALUE,...)")
	f.StringVar(&dnsNamespace, "dns-namespace", "kube-system", "namespace cluster DNS runs in")
	f.StringVar(&dnsSelector, "dns-selector", "k8s-app=kube-dns", "labels of the cluster DNS pods (KEY=VALUE,...)")
	in.addFlags(f, true)
	return cmd
}

// parseLabels reads KEY=VALUE[,KEY=VALUE...].
func parseLabels(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || k == "" {
			return nil, errors.New("want KEY=VALUE[,KEY=VALUE...]")
		}
		out[k] = v
	}
	return out, nil
}
