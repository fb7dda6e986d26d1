// Package testcluster starts a real etcd and kube-apiserver for tests and for manual use, so
// that every live feature is proven against the real API server rather than a fake clientset.
//
// The binaries are built from source by hack/testbin/build.sh into .cache/testbin at the
// repository root (KUBEHARDEN_TESTBIN overrides the folder). A test package starts one control
// plane in TestMain and shares it between its tests, using a namespace per test:
//
//	var tc *testcluster.Cluster
//
//	func TestMain(m *testing.M) { os.Exit(testcluster.Main(m, &tc, testcluster.Options{})) }
//
//	func TestSomething(t *testing.T) {
//		c := testcluster.Need(t, tc)
//		...
//	}
//
// When the binaries are missing the tests skip with a loud message, unless KUBEHARDEN_E2E is
// "required" (as `make test` sets it): then the package fails, so CI never passes by skipping.
package testcluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// Environment variables that steer the test control plane.
const (
	// EnvBin overrides the folder holding the etcd and kube-apiserver binaries.
	EnvBin = "KUBEHARDEN_TESTBIN"
	// EnvE2E set to "required" turns missing binaries into a failure instead of a skip;
	// "skip" skips the tests that need a control plane without starting one.
	EnvE2E = "KUBEHARDEN_E2E"
	// envStartTimeout is envtest's start timeout; its 20 s default is too short on a loaded
	// 2-core machine where the first start also warms the page cache with a 170 MB binary.
	envStartTimeout = "KUBEBUILDER_CONTROLPLANE_START_TIMEOUT"
)

// StartTimeout is how long Start waits for etcd and the API server unless
// KUBEBUILDER_CONTROLPLANE_START_TIMEOUT says otherwise.
const StartTimeout = 120 * time.Second

// Options configure the API server. Zero values leave the flags at envtest's defaults plus
// RBAC authorization.
type Options struct {
	// EncryptionConfig is a path given as --encryption-provider-config.
	EncryptionConfig string
	// AuditPolicy and AuditLog are given as --audit-policy-file and --audit-log-path.
	AuditPolicy, AuditLog string
	// AdmissionPlugins are added to --enable-admission-plugins.
	AdmissionPlugins []string
	// AdmissionConfig is a path given as --admission-control-config-file.
	AdmissionConfig string
	// Args are further kube-apiserver flags, by name without dashes; they replace defaults.
	Args map[string][]string
	// CRDs are installed before Start returns.
	CRDs []*apiextensionsv1.CustomResourceDefinition
	// Output attaches the processes' stdout and stderr to the test's (for debugging).
	Output bool
}

// Cluster is a running control plane.
type Cluster struct {
	env *envtest.Environment
	// Admin is a config for a member of system:masters.
	Admin *rest.Config
	// KubeConfig is Admin as a kubeconfig file's content.
	KubeConfig []byte
}

// Start starts etcd and kube-apiserver from BinDir with opts.
func Start(opts Options) (*Cluster, error) {
	dir, err := BinDir()
	if err != nil {
		return nil, err
	}
	if err := Available(); err != nil {
		return nil, err
	}
	timeout := StartTimeout
	if v := os.Getenv(envStartTimeout); v != "" {
		if timeout, err = time.ParseDuration(v); err != nil {
			return nil, fmt.Errorf("%s: %w", envStartTimeout, err)
		}
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory:    dir,
		ControlPlaneStartTimeout: timeout,
		ControlPlaneStopTimeout:  30 * time.Second,
		AttachControlPlaneOutput: opts.Output,
		CRDs:                     opts.CRDs,
	}
	// envtest's own defaults stay (ServiceAccount admission off: no controller creates the
	// default service accounts), but authorization is stated rather than relied upon, so that
	// SubjectAccessReviews and 403s are the real authorizer's.
	api := env.ControlPlane.GetAPIServer()
	args := api.Configure()
	args.Set("authorization-mode", "RBAC")
	if opts.EncryptionConfig != "" {
		args.Set("encryption-provider-config", opts.EncryptionConfig)
	}
	if opts.AuditPolicy != "" {
		args.Set("audit-policy-file", opts.AuditPolicy)
	}
	if opts.AuditLog != "" {
		args.Set("audit-log-path", opts.AuditLog)
	}
	if len(opts.AdmissionPlugins) > 0 {
		args.Set("enable-admission-plugins", strings.Join(opts.AdmissionPlugins, ","))
	}
	if opts.AdmissionConfig != "" {
		args.Set("admission-control-config-file", opts.AdmissionConfig)
	}
	for k, v := range opts.Args {
		args.Set(k, v...)
	}
	cfg, err := env.Start()
	if err != nil {
		_ = env.Stop()
		return nil, fmt.Errorf("start test control plane: %w", err)
	}
	return &Cluster{env: env, Admin: cfg, KubeConfig: env.KubeConfig}, nil
}

// Stop stops the API server and etcd and removes their temporary folders.
func (c *Cluster) Stop() error {
	if c == nil || c.env == nil {
		return nil
	}
	return c.env.Stop()
}

// User returns a config that authenticates as user with groups (a client certificate), for
// tests that act with limited permissions. The user has no permissions until bound.
func (c *Cluster) User(name string, groups ...string) (*rest.Config, error) {
	u, err := c.env.AddUser(envtest.User{Name: name, Groups: groups}, rest.CopyConfig(c.Admin))
	if err != nil {
		return nil, err
	}
	cfg := u.Config()
	// AddUser copies the admin's config, which may already carry the admin's certificate
	// fields; make sure only the new user's certificate remains.
	cfg.Impersonate = rest.ImpersonationConfig{}
	return cfg, nil
}

// KubeConfigFor renders cfg (from Admin or User) as a kubeconfig with one context, "test".
func KubeConfigFor(cfg *rest.Config) ([]byte, error) {
	kc := clientcmdapi.NewConfig()
	kc.Clusters["test"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["test"] = &clientcmdapi.AuthInfo{
		ClientCertificateData: cfg.CertData,
		ClientKeyData:         cfg.KeyData,
		Token:                 cfg.BearerToken,
	}
	kc.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: "test"}
	kc.CurrentContext = "test"
	return clientcmd.Write(*kc)
}

// WriteKubeConfig writes a kubeconfig for cfg to path (mode 0600, parent folders created).
func WriteKubeConfig(path string, cfg *rest.Config) error {
	b, err := KubeConfigFor(cfg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}

// BinDir is the folder holding etcd and kube-apiserver: $KUBEHARDEN_TESTBIN, else .cache/testbin
// at the repository root (found upward from the working directory).
func BinDir() (string, error) {
	if d := os.Getenv(EnvBin); d != "" {
		return filepath.Abs(d)
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, ".cache", "testbin"), nil
}

// RepoRoot finds the repository root: the nearest folder upward with this module's go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/kubeharden/kubeharden\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testcluster: repository root (go.mod of github.com/kubeharden/kubeharden) not found upward from the working directory")
		}
		dir = parent
	}
}

// ErrMissing is returned by Available when a binary is missing.
var ErrMissing = errors.New("test control plane binaries missing")

// Available returns nil when both binaries exist, else an error wrapping ErrMissing that says
// how to build them.
func Available() error {
	dir, err := BinDir()
	if err != nil {
		return err
	}
	for _, b := range []string{"etcd", "kube-apiserver"} {
		fi, err := os.Stat(filepath.Join(dir, b))
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return fmt.Errorf("%w: %s not found in %s; build them with hack/testbin/build.sh (about 10 minutes the first time) or set %s",
				ErrMissing, b, dir, EnvBin)
		}
	}
	return nil
}

// Required reports whether KUBEHARDEN_E2E demands the control plane.
func Required() bool { return os.Getenv(EnvE2E) == "required" }
