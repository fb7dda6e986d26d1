package cli

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/scan"
)

// fleetContexts are the kubeconfig contexts scan reads as a fleet: every one with
// --all-contexts, those named when --context is given more than once; nil for one cluster.
func (in *inputs) fleetContexts(all bool) ([]string, error) {
	if !all && len(in.contexts) < 2 {
		return nil, nil
	}
	if len(in.files) > 0 {
		return nil, exit(scan.ExitInput, errors.New("give either paths or several clusters, not both"))
	}
	raw, err := in.kube.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return nil, exit(scan.ExitInput, fmt.Errorf("kubeconfig: %w", err))
	}
	if all {
		if len(in.contexts) > 0 {
			return nil, exit(scan.ExitInput, errors.New("give either --all-contexts or --context, not both"))
		}
		var names []string
		for name := range raw.Contexts {
			names = append(names, name)
		}
		if len(names) == 0 {
			return nil, exit(scan.ExitInput, errors.New("--all-contexts: the kubeconfig has no contexts"))
		}
		sort.Strings(names)
		return names, nil
	}
	seen := map[string]bool{}
	for _, name := range in.contexts {
		if raw.Contexts[name] == nil {
			return nil, exit(scan.ExitInput, fmt.Errorf("--context %q: no such context in the kubeconfig", name))
		}
		if seen[name] {
			return nil, exit(scan.ExitInput, fmt.Errorf("--context %q given twice", name))
		}
		seen[name] = true
	}
	return in.contexts, nil
}

// readFleet reads the clusters of the named contexts concurrently. A cluster that cannot be
// reached is left out, with an error that names it; unreachable counts them.
func (in *inputs) readFleet(ctx context.Context, e *env, names []string) (inputs map[string]*input, unreachable []error, err error) {
	var cfg *config.Config
	if in.configPath != "" {
		cfg, err = config.Load(in.configPath)
	} else {
		cfg, err = config.Find(".")
	}
	if err != nil {
		return nil, nil, exit(scan.ExitInput, fmt.Errorf("config: %w", err))
	}
	raw, err := in.kube.ToRawKubeConfigLoader().RawConfig()
	if err != nil {
		return nil, nil, exit(scan.ExitInput, fmt.Errorf("kubeconfig: %w", err))
	}
	in.progress = false // one bar per cluster would interleave
	var mu sync.Mutex
	var wg sync.WaitGroup
	inputs = map[string]*input{}
	errs := make([]error, len(names))
	for i, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc, err := clientcmd.NewNonInteractiveClientConfig(raw, name, &clientcmd.ConfigOverrides{}, nil).ClientConfig()
			if err != nil {
				errs[i] = exit(scan.ExitInput, fmt.Errorf("context %s: %w", name, err))
				return
			}
			if in.kube.Timeout != nil && *in.kube.Timeout != "" && *in.kube.Timeout != "0" {
				if rc.Timeout, err = time.ParseDuration(*in.kube.Timeout); err != nil {
					errs[i] = exit(scan.ExitInput, fmt.Errorf("--request-timeout: %w", err))
					return
				}
			}
			live, err := readLive(ctx, rc, in, e)
			if err != nil {
				errs[i] = fmt.Errorf("context %s: %w", name, err)
				return
			}
			mu.Lock()
			inputs[name] = &input{inv: inventory.Build(live.objects), facts: live.facts, cfg: cfg,
				errs: live.errs, incomplete: live.incomplete, live: true}
			mu.Unlock()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		var ee *exitError
		switch {
		case err == nil:
		case errors.As(err, &ee) && ee.code == scan.ExitUnreachable:
			unreachable = append(unreachable, err)
		default:
			return nil, nil, err
		}
	}
	return inputs, unreachable, nil
}
