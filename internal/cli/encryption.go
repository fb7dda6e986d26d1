package cli

import (
	"fmt"
	"os"

	"github.com/kubeharden/kubeharden/internal/apiserverflags"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"

	"github.com/kubeharden/kubeharden/encryption"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/scan"
)

// addEncryptionConfigFlag adds --encryption-config, for commands that run the secrets checks.
func addEncryptionConfigFlag(f *pflag.FlagSet, path *string) {
	f.StringVar(path, "encryption-config", "", "the kube-apiserver's EncryptionConfiguration (--encryption-provider-config) to judge; "+
		"without it, the file that flag names is read when this machine has it (a scan run on a control-plane node)")
}

// applyEncryptionConfig adds the API server's EncryptionConfiguration to the input's
// inventory, where the secrets checks find it as they find one among scanned manifests: the
// file given, or else the file the kube-apiserver's --encryption-provider-config names (read
// through its static pod's hostPath mounts) when it can be read here.
func applyEncryptionConfig(in *input, path string) error {
	explicit := path != ""
	if !explicit {
		if hasEncryptionConfig(in.inv) {
			return nil
		}
		if path = locateEncryptionConfig(in); path == "" {
			return nil
		}
	}
	objs, errs := load.Files([]string{path}, load.Options{})
	found := false
	for _, o := range objs {
		found = found || encryption.IsConfig(o.APIVersion, o.Kind)
	}
	if explicit && len(errs) > 0 {
		return exit(scan.ExitInput, fmt.Errorf("--encryption-config: %s", errs[0].Error()))
	}
	if explicit && !found {
		return exit(scan.ExitInput, fmt.Errorf("--encryption-config %s holds no %s", path, encryption.Kind))
	}
	if !found {
		return nil // a file of another kind at that path: not ours to judge
	}
	in.errs = append(in.errs, errs...)
	all := append(append([]*inventory.Object{}, in.inv.All()...), objs...)
	in.inv = inventory.Build(all)
	return nil
}

func hasEncryptionConfig(inv *inventory.Inventory) bool {
	return len(inv.ByKind(encryption.Kind)) > 0 || len(inv.ByKind(encryption.LegacyKind)) > 0
}

// locateEncryptionConfig returns the readable file that the kube-apiserver's flag names, or
// "". The static pod's hostPath mounts translate the path in the container to the node's.
func locateEncryptionConfig(in *input) string {
	var candidates []string
	for _, o := range in.inv.ByKind("Pod") {
		pod, ok := o.Obj.(*corev1.Pod)
		if !ok {
			continue
		}
		if i := apiserverflags.Container(&pod.Spec); i >= 0 {
			if p := apiserverflags.Of(&pod.Spec.Containers[i])[encryption.Flag]; p != "" {
				candidates = append(candidates, encryption.HostPath(&pod.Spec, i, p), p)
			}
		}
	}
	if in.facts != nil && in.facts.APIServerFlags[encryption.Flag] != "" {
		candidates = append(candidates, in.facts.APIServerFlags[encryption.Flag])
	}
	for _, c := range candidates {
		if fi, err := os.Stat(c); err == nil && fi.Mode().IsRegular() {
			return c
		}
	}
	return ""
}
