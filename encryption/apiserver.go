package encryption

import (
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Flag is the kube-apiserver flag that names the configuration file.
const Flag = "encryption-provider-config"

// APIServerContainer returns the index of the container of p that runs kube-apiserver (its
// command or first argument is a kube-apiserver binary), or -1. Static pods of kubeadm, kops,
// k3s-like distributions that still run the binary, and hand-written manifests all do.
func APIServerContainer(p *corev1.PodSpec) int {
	for i := range p.Containers {
		c := &p.Containers[i]
		argv := append(append([]string{}, c.Command...), c.Args...)
		if len(argv) > 0 && path.Base(argv[0]) == "kube-apiserver" {
			return i
		}
	}
	return -1
}

// Flags reads the --name=value and --name value flags of a container's command and
// arguments, as the API server's flag parser reads them. A flag given twice keeps its last
// value, as a pflag string flag does; a flag without a value is "true".
func Flags(c *corev1.Container) map[string]string {
	argv := append(append([]string{}, c.Command...), c.Args...)
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
		out[name] = val
	}
	return out
}

// HostPath translates a path the API server sees inside its container into the path on the
// node, through the container's volume mounts of hostPath volumes (the longest mount that
// contains it). A path no hostPath mount covers is returned as it is.
func HostPath(p *corev1.PodSpec, container int, file string) string {
	if container < 0 || container >= len(p.Containers) || !path.IsAbs(file) {
		return file
	}
	file = path.Clean(file)
	best, host := "", ""
	for _, m := range p.Containers[container].VolumeMounts {
		mp := path.Clean(m.MountPath)
		if file != mp && !strings.HasPrefix(file, strings.TrimSuffix(mp, "/")+"/") {
			continue
		}
		if len(mp) <= len(best) {
			continue
		}
		for _, v := range p.Volumes {
			if v.Name == m.Name && v.HostPath != nil {
				rel := strings.TrimPrefix(file, mp)
				if m.SubPath != "" {
					rel = "/" + m.SubPath + rel
				}
				best, host = mp, path.Join(v.HostPath.Path, rel)
			}
		}
	}
	if host == "" {
		return file
	}
	return host
}

// FeatureEnabled reports whether a --feature-gates value ("KMSv1=true,Foo=false") turns
// gate on.
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
