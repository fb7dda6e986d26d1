package secrets

import (
	"fmt"
	"strings"

	"github.com/kubeharden/kubeharden/internal/apiserverflags"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/encryption"
	"github.com/kubeharden/kubeharden/inventory"
)

// config is one EncryptionConfiguration of the inventory, decoded without its keys.
type config struct {
	obj *inventory.Object
	*encryption.Config
}

// configs decodes every EncryptionConfiguration of the inventory. They are few and small, so
// each check decodes them again rather than sharing state.
func configs(p *check.Pass) []config {
	var out []config
	for _, kind := range []string{encryption.Kind, encryption.LegacyKind} {
		for _, o := range p.Inv.ByKind(kind) {
			if !encryption.IsConfig(o.APIVersion, o.Kind) {
				continue
			}
			u, ok := o.Unstructured()
			if !ok {
				continue
			}
			out = append(out, config{o, encryption.DecodeObject(u.Object)})
		}
	}
	return out
}

// apiServer is a kube-apiserver whose flags are known.
type apiServer struct {
	obj *inventory.Object
	// path is the field path of the container's command, "" for flags known from facts.
	path  string
	flags map[string]string
}

// apiServers finds the kube-apiserver static pods of the inventory, or, when it has none,
// the API server whose flags the facts of a live cluster report.
func apiServers(p *check.Pass) []apiServer {
	var out []apiServer
	for _, o := range p.Inv.ByKind("Pod") {
		pod, ok := o.Obj.(*corev1.Pod)
		if !ok {
			continue
		}
		if i := apiserverflags.Container(&pod.Spec); i >= 0 {
			out = append(out, apiServer{o, fmt.Sprintf("spec.containers[%d].command", i), apiserverflags.Of(&pod.Spec.Containers[i])})
		}
	}
	if len(out) == 0 && p.Facts != nil && p.Facts.APIServerFlags != nil {
		out = append(out, apiServer{obj: apiServerRef(), flags: p.Facts.APIServerFlags})
	}
	return out
}

// apiServerRef stands for the API server of a live cluster whose pod was not read as an
// object: findings about its flags need an object to name.
func apiServerRef() *inventory.Object {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: metav1.NamespaceSystem, Name: "kube-apiserver"}}
	pod.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Pod"))
	return inventory.New(pod, inventory.Source{}, nil)
}

// kmsV1Allowed says whether the API servers seen allow KMS v1: "" when no flags are known.
func kmsV1Allowed(p *check.Pass) string {
	servers := apiServers(p)
	if len(servers) == 0 {
		return ""
	}
	for _, s := range servers {
		if !apiserverflags.FeatureEnabled(s.flags["feature-gates"], "KMSv1") {
			return "no"
		}
	}
	return "yes"
}

// firstProvider returns the path and provider that encrypts rule i's writes, and the
// resources it writes; ok is false for a rule that writes nothing (every resource it names
// has an earlier rule) or has no providers.
func (c config) firstProvider(i int) (path string, prov *encryption.Provider, writes []string, ok bool) {
	r := &c.Rules[i]
	if len(r.Providers) == 0 {
		return "", nil, nil, false
	}
	writes = c.Writes(i)
	if len(writes) == 0 {
		return "", nil, nil, false
	}
	prov = &r.Providers[0]
	path = encryption.ProviderPath(i, 0)
	if prov.Type != "" {
		path += "." + prov.Type
	}
	return path, prov, writes, true
}

// writesDesc renders the resources a rule writes: "secrets", "secrets and configmaps",
// "every resource (*.*)".
func writesDesc(res []string) string {
	parts := make([]string, len(res))
	for i, r := range res {
		switch gr := encryption.ParseResource(r); {
		case gr == encryption.AllResources:
			parts[i] = "every resource (*.*)"
		case gr.Resource == "*" && gr.Group == "":
			parts[i] = "every core resource (*.)"
		case gr.Resource == "*":
			parts[i] = "every resource of " + gr.Group + " (" + r + ")"
		default:
			parts[i] = r
		}
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// secretsNote says how a rule that covers secrets through a wildcard does so.
func (c config) secretsNote(i int) string {
	for _, r := range c.Rules[i].Resources {
		if encryption.ParseResource(r) == encryption.Secrets {
			return ""
		}
	}
	return " (which covers secrets)"
}
