package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubeharden/kubeharden/live"
	"github.com/kubeharden/kubeharden/scan"
)

// Timeouts when --request-timeout is not given: the first request (which tells whether the
// server can be reached at all) must fail fast; list pages of a large cluster may take longer.
const (
	defaultProbeTimeout = 10 * time.Second
	defaultListTimeout  = 60 * time.Second
)

// restConfig is the client config the kubeconfig flags point at.
func (in *inputs) restConfig() (*rest.Config, error) {
	cfg, err := in.kube.ToRESTConfig()
	if err != nil {
		if clientcmd.IsEmptyConfig(err) {
			return nil, exit(scan.ExitInput, errors.New("no kubeconfig found: set KUBECONFIG or --kubeconfig, or give manifest paths"))
		}
		return nil, exit(scan.ExitInput, fmt.Errorf("kubeconfig: %w", err))
	}
	return cfg, nil
}

// readLive reads the live cluster cfg points at.
func readLive(ctx context.Context, cfg *rest.Config, in *inputs, e *env) (*liveResult, error) {
	cfg.QPS, cfg.Burst = in.qps, in.burst
	probe := defaultProbeTimeout
	if cfg.Timeout > 0 {
		probe = cfg.Timeout
	} else {
		cfg.Timeout = defaultListTimeout
	}
	opts := live.Options{ProbeTimeout: probe}
	if !in.allNamespaces && in.kube.Namespace != nil {
		opts.Namespace = *in.kube.Namespace
	}
	bar := newProgress(e, in.progress, "reading cluster")
	opts.Progress = bar.set
	res, err := live.Cluster(ctx, cfg, opts)
	bar.done()
	if err != nil {
		var ue *live.UnreachableError
		if errors.As(err, &ue) {
			return nil, exit(scan.ExitUnreachable, err)
		}
		return nil, exit(scan.ExitUnreachable, fmt.Errorf("reading the cluster: %w", err))
	}
	return &liveResult{objects: res.Objects, facts: res.Facts, errs: res.Errors, incomplete: res.Incomplete}, nil
}
