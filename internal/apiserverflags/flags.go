// Package apiserverflags reads kube-apiserver's command line (a static pod's container, or
// the arguments of the process) as the API server's own flag parser reads it, for the checks
// and readers that judge the API server by its flags.
package apiserverflags

import (
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Container returns the index of the container of p that runs kube-apiserver (its command or
// first argument is a kube-apiserver binary), or -1. Static pods of kubeadm, kops, k3s-like
// distributions that still run the binary, and hand-written manifests all do.
func Container(p *corev1.PodSpec) int {
	for i := range p.Containers {
		argv := Args(&p.Containers[i])
		if len(argv) > 0 && path.Base(argv[0]) == "kube-apiserver" {
			return i
		}
	}
	return -1
}

// Args is a container's command line: its command, then its arguments.
func Args(c *corev1.Container) []string {
	return append(append([]string{}, c.Command...), c.Args...)
}

// Of reads the flags of a container's command line (see Parse).
func Of(c *corev1.Container) map[string]string { return Parse(Args(c)) }

// Parse reads the --name=value and --name value flags of argv as kube-apiserver's flag parser
// (pflag) does: "--" ends the flags, a lone "-" is not one, and a flag without a value is
// "true". A flag given twice keeps its last value, as a string or bool flag does, unless it is
// one of the list and map flags that collect every value (accumulating): then its values are
// joined with commas, as one comma-separated value would give the same list.
func Parse(argv []string) map[string]string {
	out := map[string]string{}
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			continue
		}
		name, val, ok := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !ok {
			val = "true"
			if i+1 < len(argv) && !strings.HasPrefix(argv[i+1], "-") {
				val = argv[i+1]
				i++
			}
		}
		if prev, dup := out[name]; dup && accumulating[name] {
			val = prev + "," + val
		}
		out[name] = val
	}
	return out
}

// accumulating are the kube-apiserver flags whose values add up when the flag is repeated:
// those declared as string slices or arrays, or as maps (feature gates, runtime config),
// rather than as single strings, numbers or booleans.
var accumulating = map[string]bool{
	"admission-control":                  true,
	"allow-metric-labels":                true,
	"api-audiences":                      true,
	"authorization-mode":                 true,
	"cors-allowed-origins":               true,
	"disable-admission-plugins":          true,
	"disabled-metrics":                   true,
	"enable-admission-plugins":           true,
	"etcd-servers":                       true,
	"etcd-servers-overrides":             true,
	"feature-gates":                      true,
	"kubelet-preferred-address-types":    true,
	"oidc-required-claim":                true,
	"oidc-signing-algs":                  true,
	"requestheader-allowed-names":        true,
	"requestheader-extra-headers-prefix": true,
	"requestheader-group-headers":        true,
	"requestheader-uid-headers":          true,
	"requestheader-username-headers":     true,
	"runtime-config":                     true,
	"service-account-issuer":             true,
	"service-account-key-file":           true,
	"tls-cipher-suites":                  true,
	"tls-sni-cert-key":                   true,
	"watch-cache-sizes":                  true,
}

// FeatureEnabled reports whether a --feature-gates value ("KMSv1=true,Foo=false") turns gate
// on; a gate named twice takes its last setting.
func FeatureEnabled(gates, gate string) bool {
	on := false
	for _, kv := range strings.Split(gates, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
		if strings.TrimSpace(k) == gate {
			on = strings.EqualFold(strings.TrimSpace(v), "true")
		}
	}
	return on
}
