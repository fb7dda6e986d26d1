package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/kubeharden/kubeharden/admission"
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/custom"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/scan"
)

func init() {
	register(newWebhookCmd)
	register(newExportCmd)
}

// enforcedChecks are the registered checks matching patterns plus the config's custom checks.
func enforcedChecks(cfg *config.Config, patterns []string) ([]*check.Check, error) {
	cs, selErr := selectChecks(patterns)
	more, err := customChecks(cfg, patterns)
	if err != nil {
		return nil, err
	}
	if selErr != nil && len(more) == 0 {
		return nil, exit(scan.ExitInput, selErr)
	}
	return append(cs, more...), nil
}

// customChecks compiles the config's custom checks that match patterns (all when none); a
// compile error exits 2.
func customChecks(cfg *config.Config, patterns []string) ([]*check.Check, error) {
	cs, err := custom.Compile(cfg)
	if err != nil {
		return nil, exit(scan.ExitInput, err)
	}
	if len(patterns) == 0 {
		return cs, nil
	}
	return check.Matching(cs, patterns), nil
}

func loadConfig(path string) (*config.Config, error) {
	if path == "" {
		return &config.Config{}, nil
	}
	cfg, err := config.Load(path)
	if err != nil {
		return nil, exit(scan.ExitInput, fmt.Errorf("config: %w", err))
	}
	return cfg, nil
}

func newWebhookCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "webhook",
		Short: "Enforce the checks at admission with a validating webhook",
	}
	cmd.AddCommand(newWebhookServeCmd(e), newWebhookManifestCmd(e))
	return cmd
}

// ownNamespace is the namespace the webhook runs in, when it runs in a pod.
func ownNamespace() string {
	if ns := os.Getenv("POD_NAMESPACE"); ns != "" {
		return ns
	}
	b, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func newWebhookServeCmd(e *env) *cobra.Command {
	var (
		certFile, keyFile, configPath, mode, failOn string
		port                                        int
		exempt, only                                []string
		noCache                                     bool
	)
	kube := genericclioptions.NewConfigFlags(false)
	cmd := &cobra.Command{
		Use:   "serve --tls-cert-file FILE --tls-private-key-file FILE",
		Short: "Serve the validating admission webhook over HTTPS",
		Long: `Serve answers admission.k8s.io/v1 AdmissionReviews on /validate with the checks that
report on the incoming object's kind, judged on the object and what the webhook caches of the
cluster (namespaces, LimitRanges, ResourceQuotas and RBAC objects, read with the kubeconfig
or the pod's service account). Suppressions (the kubeharden.io/ignore annotation and the
config's exceptions) apply as in scan.

--mode deny rejects objects with findings at or above --fail-on and lists them as
"CHECK-ID: message" (findings below it come back as warnings); warn admits them with the
findings as warnings; audit admits them with the findings as audit annotations.
The certificate files are reloaded when they change. /healthz, /readyz and /metrics
(Prometheus) are served on the same port.`,
		Example: `  kubeharden webhook serve --tls-cert-file tls.crt --tls-private-key-file tls.key --mode warn`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if certFile == "" || keyFile == "" {
				return exit(scan.ExitInput, errors.New("--tls-cert-file and --tls-private-key-file are required"))
			}
			m, err := admission.ParseMode(mode)
			if err != nil {
				return exit(scan.ExitInput, fmt.Errorf("--mode: %w", err))
			}
			fail, err := check.ParseSeverity(failOn)
			if err != nil {
				return exit(scan.ExitInput, fmt.Errorf("--fail-on: %w", err))
			}
			cfg, err := loadConfig(configPath)
			if err != nil {
				return err
			}
			checks, err := enforcedChecks(cfg, only)
			if err != nil {
				return err
			}
			certs, err := admission.NewCertReloader(certFile, keyFile)
			if err != nil {
				return exit(scan.ExitInput, err)
			}
			if !cmd.Flags().Changed("exempt-namespace") {
				if ns := ownNamespace(); ns != "" {
					exempt = append(exempt, ns)
				}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			opts := admission.Options{Checks: checks, Config: cfg, Mode: m, FailOn: fail, Exempt: exempt,
				Metrics: admission.NewMetrics()}
			if !noCache {
				rc, err := kube.ToRESTConfig()
				if err != nil {
					return exit(scan.ExitInput, fmt.Errorf("kubeconfig (or --no-cache): %w", err))
				}
				client, err := kubernetes.NewForConfig(rc)
				if err != nil {
					return exit(scan.ExitInput, err)
				}
				c := admission.NewCache(client, 10*time.Minute)
				opts.Cluster = c
				go c.Start(ctx)
			}
			srv := &http.Server{
				Addr:              net.JoinHostPort("", strconv.Itoa(port)),
				Handler:           admission.NewServer(opts),
				TLSConfig:         &tls.Config{GetCertificate: certs.GetCertificate, MinVersion: tls.VersionTLS12},
				ReadHeaderTimeout: 10 * time.Second,
			}
			go func() {
				<-ctx.Done()
				sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_ = srv.Shutdown(sctx)
			}()
			fmt.Fprintf(e.stderr, "kubeharden webhook: %d checks, mode %s, fail-on %s, listening on :%d\n", len(checks), m, fail, port)
			if err := srv.ListenAndServeTLS("", ""); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return exit(scan.ExitInput, err)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&certFile, "tls-cert-file", "", "PEM serving certificate (reloaded when it changes)")
	f.StringVar(&keyFile, "tls-private-key-file", "", "PEM private key of the serving certificate")
	f.IntVar(&port, "port", 8443, "HTTPS port")
	f.StringVar(&configPath, "config", "", "config file ("+config.FileName+"): exceptions, settings, custom checks")
	f.StringVar(&mode, "mode", "deny", "what to do with findings: deny|warn|audit")
	f.StringVar(&failOn, "fail-on", "high", "in deny mode, reject objects with a finding at or above this severity")
	f.StringSliceVar(&exempt, "exempt-namespace", append([]string{}, admission.DefaultExempt...), "namespaces (globs) admitted without judging (default kube-system and the webhook's own)")
	f.StringSliceVar(&only, "check", nil, "enforce only these checks (IDs or globs)")
	f.BoolVar(&noCache, "no-cache", false, "judge objects without reading the cluster (namespace and RBAC checks see only the object)")
	kube.AddFlags(f)
	return cmd
}

func newWebhookManifestCmd(e *env) *cobra.Command {
	var (
		url, service, caFile, failurePolicy, serviceAccount, configPath string
		timeout                                                         int32
		exempt, only                                                    []string
	)
	cmd := &cobra.Command{
		Use:   "manifest (--url URL | --service NS/NAME[:PORT]) --ca-bundle FILE",
		Short: "Print the ValidatingWebhookConfiguration that registers the webhook",
		Long: `Manifest prints a ValidatingWebhookConfiguration for every kind a check reports on
(CREATE and UPDATE, sideEffects None), skipping the exempt namespaces and the webhook's own
service account's requests.

--failure-policy Fail (the default) rejects what the API server cannot have judged when the
webhook is down or slow: nothing unjudged gets in, but nothing of those kinds can be created
until the webhook answers again. Ignore admits objects unjudged while the webhook is down:
the cluster keeps working, and a scan finds what slipped through.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(configPath)
			if err != nil {
				return err
			}
			checks, err := enforcedChecks(cfg, only)
			if err != nil {
				return err
			}
			o := admission.ManifestOptions{URL: url, FailurePolicy: admissionregistrationv1.FailurePolicyType(failurePolicy),
				TimeoutSeconds: timeout, Exempt: exempt, ServiceAccount: serviceAccount, Checks: checks}
			switch o.FailurePolicy {
			case admissionregistrationv1.Fail, admissionregistrationv1.Ignore:
			default:
				return exit(scan.ExitInput, fmt.Errorf("--failure-policy %q is not Fail or Ignore", failurePolicy))
			}
			if service != "" {
				ns, rest, ok := strings.Cut(service, "/")
				if !ok || ns == "" || rest == "" {
					return exit(scan.ExitInput, fmt.Errorf("--service %q is not NAMESPACE/NAME[:PORT]", service))
				}
				name, p, hasPort := strings.Cut(rest, ":")
				o.ServiceNamespace, o.ServiceName, o.ServicePort = ns, name, 443
				if hasPort {
					n, err := strconv.ParseInt(p, 10, 32)
					if err != nil || n < 1 || n > 65535 {
						return exit(scan.ExitInput, fmt.Errorf("--service %q: bad port", service))
					}
					o.ServicePort = int32(n)
				}
				if !cmd.Flags().Changed("exempt-namespace") {
					o.Exempt = append(o.Exempt, ns)
				}
				if o.ServiceAccount == "" {
					o.ServiceAccount = ns + "/" + name
				}
			}
			if (url == "") == (service == "") {
				return exit(scan.ExitInput, errors.New("give either --url or --service"))
			}
			if caFile == "" {
				return exit(scan.ExitInput, errors.New("--ca-bundle is required: the CA that signed the webhook's certificate"))
			}
			if o.CABundle, err = os.ReadFile(caFile); err != nil {
				return exit(scan.ExitInput, fmt.Errorf("--ca-bundle: %w", err))
			}
			wh, err := admission.WebhookConfiguration(o)
			if err != nil {
				return exit(scan.ExitInput, err)
			}
			return writeManifests(e.stdout, wh)
		},
	}
	f := cmd.Flags()
	f.StringVar(&url, "url", "", "URL the API server calls (https://host:port; /validate is added)")
	f.StringVar(&service, "service", "", "Service in front of the webhook: NAMESPACE/NAME[:PORT] (port 443 by default)")
	f.StringVar(&caFile, "ca-bundle", "", "PEM file of the CA that signed the webhook's serving certificate")
	f.StringVar(&failurePolicy, "failure-policy", "Fail", "what the API server does when the webhook cannot answer: Fail|Ignore")
	f.Int32Var(&timeout, "timeout", 5, "seconds the API server waits for the webhook (1-30)")
	f.StringVar(&serviceAccount, "service-account", "", "the webhook's service account NAMESPACE/NAME, whose requests are not sent (default: the --service's namespace and name)")
	f.StringSliceVar(&exempt, "exempt-namespace", append([]string{}, admission.DefaultExempt...), "namespaces not sent to the webhook (default kube-system and the --service's namespace)")
	f.StringSliceVar(&only, "check", nil, "register for the kinds of these checks only (IDs or globs)")
	f.StringVar(&configPath, "config", "", "config file ("+config.FileName+") with custom checks")
	return cmd
}

func newExportCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "export", Short: "Export checks in other enforcement formats"}
	var (
		only       []string
		action     []string
		configPath string
		paramsNS   string
	)
	vap := &cobra.Command{
		Use:   "vap",
		Short: "Print ValidatingAdmissionPolicies for the checks expressible in CEL",
		Long: `Export vap prints an admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy and
ValidatingAdmissionPolicyBinding for every check that can be expressed in CEL on a single
object, and the config's custom checks. Each validation's message starts with the check ID.
The checks that could not be exported are listed on stderr with the reason.

Checks with parameters from the config (images.allowedRegistries) read them at admission
time from the ConfigMap kubeharden-params (printed first, in --params-namespace), which
their bindings name as paramRef: edit it, or export again, to change them. Without it the
API server refuses what those policies match.`,
		Example: `  kubeharden export vap --check 'podsecurity/*' --action Deny | kubectl apply -f -`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(configPath)
			if err != nil {
				return err
			}
			checks, err := enforcedChecks(cfg, only)
			if err != nil {
				return err
			}
			var actions []admissionregistrationv1.ValidationAction
			for _, a := range action {
				switch v := admissionregistrationv1.ValidationAction(a); v {
				case admissionregistrationv1.Deny, admissionregistrationv1.Warn, admissionregistrationv1.Audit:
					actions = append(actions, v)
				default:
					return exit(scan.ExitInput, fmt.Errorf("--action %q is not Deny, Warn or Audit", a))
				}
			}
			vopts := admission.VAPOptions{Actions: actions, Config: cfg, ParamsNamespace: paramsNS}
			pols, skipped := admission.ExportVAP(checks, vopts)
			for _, s := range skipped {
				fmt.Fprintf(e.stderr, "not exported: %s: %s\n", s.Check, s.Reason)
			}
			var objs []runtime.Object
			if params := admission.VAPParams(checks, vopts); params != nil {
				objs = append(objs, params)
			}
			for _, p := range pols {
				objs = append(objs, p.Policy, p.Binding)
			}
			fmt.Fprintf(e.stderr, "exported %d of %d checks\n", len(pols), len(checks))
			return writeManifests(e.stdout, objs...)
		},
	}
	f := vap.Flags()
	f.StringSliceVar(&only, "check", nil, "export only these checks (IDs or globs; repeatable)")
	f.StringSliceVar(&action, "action", []string{"Deny"}, "validationActions of the bindings: Deny|Warn|Audit (repeatable)")
	f.StringVar(&configPath, "config", "", "config file ("+config.FileName+"): parameters, exempt namespaces, custom checks")
	f.StringVar(&paramsNS, "params-namespace", admission.DefaultParamsNamespace, "namespace of the ConfigMap kubeharden-params that parameterised policies read")
	cmd.AddCommand(vap)
	return cmd
}

// writeManifests writes objects as a YAML stream, without the empty status and
// creationTimestamp that typed objects marshal to.
func writeManifests(w io.Writer, objs ...runtime.Object) error {
	for i, o := range objs {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(o)
		if err != nil {
			return err
		}
		delete(m, "status")
		if md, ok := m["metadata"].(map[string]any); ok {
			delete(md, "creationTimestamp")
		}
		b, err := yaml.Marshal(m)
		if err != nil {
			return err
		}
		if i > 0 {
			io.WriteString(w, "---\n")
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
	}
	return nil
}
