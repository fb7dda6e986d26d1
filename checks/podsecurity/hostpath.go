package podsecurity

import (
	"path"
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// sensitiveHostPaths are node paths whose mount hands a container the node: the container
// runtime's sockets (start a privileged container), kubelet and runtime state (credentials of
// every pod), and the node's configuration and kernel interfaces.
var sensitiveHostPaths = []struct{ path, why string }{
	{"/var/run/docker.sock", "the Docker socket: whoever reaches it starts privileged containers"},
	{"/run/docker.sock", "the Docker socket: whoever reaches it starts privileged containers"},
	{"/var/run/cri-dockerd.sock", "the cri-dockerd socket: whoever reaches it starts containers"},
	{"/var/run/containerd/containerd.sock", "the containerd socket: whoever reaches it starts privileged containers"},
	{"/run/containerd/containerd.sock", "the containerd socket: whoever reaches it starts privileged containers"},
	{"/var/run/crio/crio.sock", "the CRI-O socket: whoever reaches it starts privileged containers"},
	{"/run/crio/crio.sock", "the CRI-O socket: whoever reaches it starts privileged containers"},
	{"/var/lib/kubelet", "the kubelet's state: every pod's service account tokens and secrets"},
	{"/var/lib/docker", "the container runtime's storage: every container's filesystem"},
	{"/var/lib/containerd", "the container runtime's storage: every container's filesystem"},
	{"/etc/kubernetes", "the node's Kubernetes credentials and manifests"},
	{"/etc", "the node's configuration (users, sudoers, kubelet and static pod manifests)"},
	{"/proc", "the node's processes and kernel interfaces"},
	{"/sys", "the node's kernel and device interfaces"},
	{"/root", "root's home on the node (SSH keys, credentials)"},
	{"/dev", "the node's devices"},
	{"/boot", "the node's kernel and boot loader"},
}

// sensitiveHostPath says whether p (a hostPath volume's path) is, is inside, or contains one
// of sensitiveHostPaths, and why it matters; the most specific match is named.
func sensitiveHostPath(p string) (string, bool) {
	p = path.Clean("/" + p)
	for _, s := range sensitiveHostPaths {
		switch {
		case p == s.path || strings.HasPrefix(p, s.path+"/"):
			return p + " (" + s.why + ")", true
		case p == "/" || strings.HasPrefix(s.path, p+"/"):
			return p + " (contains " + s.path + ", " + s.why + ")", true
		}
	}
	return "", false
}

// hostPathSensitive adds to a hostPathVolumes finding the sensitive node paths the pods mount,
// and raises its severity one level when there are any.
func hostPathSensitive(t inventory.PodTemplate, d *check.Diagnostic, sev check.Severity) {
	var named []string
	for _, v := range t.Spec.Volumes {
		if v.HostPath == nil {
			continue
		}
		if why, ok := sensitiveHostPath(v.HostPath.Path); ok {
			named = append(named, "volume "+v.Name+" mounts "+why)
		}
	}
	if len(named) == 0 {
		return
	}
	d.Message += "; " + strings.Join(named, "; ")
	if sev < check.Critical {
		d.Severity = sev + 1
	}
}
