package encryption

import (
	"path"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Flag is the kube-apiserver flag that names the configuration file.
const Flag = "encryption-provider-config"

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
