package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/live"
	"github.com/kubeharden/kubeharden/monitor"
	"github.com/kubeharden/kubeharden/scan"
)

func init() { register(newMonitorCmd) }

func newMonitorCmd(e *env) *cobra.Command {
	var (
		configPath     string
		only           []string
		reportAPI      string
		metricsAddr    string
		healthAddr     string
		leaderElect    bool
		leaseNamespace string
		leaseName      string
		leaseDuration  time.Duration
		debounce       time.Duration
		verbose        bool
	)
	kube := genericclioptions.NewConfigFlags(true)
	kube.ClusterName = nil
	cmd := &cobra.Command{
		Use:   "monitor",
		Short: "Audit the cluster continuously, writing PolicyReports and Prometheus metrics",
		Long: `Monitor watches every kind the checks read, re-evaluates the checks when objects change,
and keeps one PolicyReport per namespace (and a ClusterPolicyReport for cluster-scoped
objects) current, named "kubeharden" and labelled app.kubernetes.io/managed-by=kubeharden.
The CRDs are in deploy/crds (the Helm chart installs them). It runs in the cluster (the Helm
chart in deploy/helm/kubeharden) or outside it with --kubeconfig and --context.

Each result's policy is the check ID, with the severity, the message, the object, and the
properties practice and suppressed; suppressed findings are results "skip", the others
"fail". With --leader-elect only the replica holding the Lease writes reports.`,
		Example: `  kubeharden monitor --context prod --metrics-bind-address :8080
  kubectl get policyreports -A`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			api, ok := monitor.ReportAPIs[reportAPI]
			if !ok {
				return exit(scan.ExitInput, fmt.Errorf("--report-api %q: want wgpolicyk8s or openreports", reportAPI))
			}
			checks, err := selectChecks(only)
			if err != nil {
				return exit(scan.ExitInput, err)
			}
			var settings *config.Config
			if configPath != "" {
				if settings, err = config.Load(configPath); err != nil {
					return exit(scan.ExitInput, fmt.Errorf("config: %w", err))
				}
			}
			cfg, err := kube.ToRESTConfig()
			if err != nil {
				if clientcmd.IsEmptyConfig(err) {
					return exit(scan.ExitInput, errors.New("no kubeconfig found and not running in a cluster: set KUBECONFIG or --kubeconfig"))
				}
				return exit(scan.ExitInput, fmt.Errorf("kubeconfig: %w", err))
			}
			level := slog.LevelInfo
			if verbose {
				level = slog.LevelDebug
			}
			opts := monitor.Options{
				Config:    cfg,
				Checks:    checks,
				Settings:  settings,
				ReportAPI: api,
				Debounce:  debounce,
				Log:       slog.New(slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: level})),
			}
			if leaderElect {
				id, err := os.Hostname()
				if err != nil {
					return exit(scan.ExitInput, err)
				}
				ns := leaseNamespace
				if ns == "" {
					ns, _, _ = kube.ToRawKubeConfigLoader().Namespace()
				}
				opts.LeaderElection = &monitor.LeaderElection{Namespace: ns, Name: leaseName,
					Identity: id, LeaseDuration: leaseDuration, RenewDeadline: leaseDuration * 2 / 3,
					RetryPeriod: leaseDuration / 7, ReleaseOnCancel: true}
			}
			m, err := monitor.New(opts)
			if err != nil {
				return exit(scan.ExitInput, err)
			}
			ctx, cancel := context.WithCancel(cmd.Context())
			defer cancel()
			serve := func(addr string, h http.Handler) error {
				if addr == "" || addr == "0" {
					return nil
				}
				ln, err := net.Listen("tcp", addr)
				if err != nil {
					return exit(scan.ExitInput, err)
				}
				srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
				go func() { _ = srv.Serve(ln) }()
				go func() { <-ctx.Done(); _ = srv.Close() }()
				return nil
			}
			metrics := http.NewServeMux()
			metrics.Handle("/metrics", m.MetricsHandler())
			if err := serve(metricsAddr, metrics); err != nil {
				return err
			}
			if err := serve(healthAddr, m.HealthHandler()); err != nil {
				return err
			}
			if err := m.Run(ctx); err != nil {
				var ue *live.UnreachableError
				if errors.As(err, &ue) {
					return exit(scan.ExitUnreachable, err)
				}
				return exit(scan.ExitInput, err)
			}
			return nil
		},
	}
	apis := make([]string, 0, len(monitor.ReportAPIs))
	for k := range monitor.ReportAPIs {
		apis = append(apis, k)
	}
	sort.Strings(apis)
	f := cmd.Flags()
	f.StringVar(&configPath, "config", "", "config file with exceptions (suppressions), as for scan")
	f.StringSliceVar(&only, "check", nil, "run only these checks (IDs or globs such as images/*)")
	f.StringVar(&reportAPI, "report-api", "wgpolicyk8s", "report API to write: "+strings.Join(apis, "|")+" (wgpolicyk8s.io/v1alpha2 PolicyReport or openreports.io/v1alpha1 Report)")
	f.StringVar(&metricsAddr, "metrics-bind-address", ":8080", "address that serves Prometheus metrics at /metrics (0 to disable)")
	f.StringVar(&healthAddr, "health-probe-bind-address", ":8081", "address that serves /healthz and /readyz (0 to disable)")
	f.BoolVar(&leaderElect, "leader-elect", false, "write reports only while holding a Lease, so that replicas never both write")
	f.StringVar(&leaseNamespace, "leader-election-namespace", "", "namespace of the Lease (default: the kubeconfig's or the pod's namespace)")
	f.StringVar(&leaseName, "leader-election-id", "kubeharden-monitor", "name of the Lease")
	f.DurationVar(&leaseDuration, "lease-duration", 15*time.Second, "how long a Lease lasts without renewal: a killed leader is replaced within it")
	f.DurationVar(&debounce, "debounce", 100*time.Millisecond, "quiet time after a change before the checks run again")
	f.BoolVarP(&verbose, "verbose", "v", false, "log each evaluation")
	kube.AddFlags(f)
	return cmd
}
