package inventory

// Facts are what a live cluster tells beyond its objects. Every field is optional.
type Facts struct {
	// ServerVersion is the API server's gitVersion ("v1.37.2").
	ServerVersion string `json:"serverVersion,omitempty"`
	// Nodes are the kubelet versions by node name.
	KubeletVersions map[string]string `json:"kubeletVersions,omitempty"`
	// APIServerFlags are the kube-apiserver command-line flags, when its static pod is visible.
	APIServerFlags map[string]string `json:"apiServerFlags,omitempty"`
}
