package inventory

// Facts are what a live cluster tells beyond its objects. Every field is optional.
type Facts struct {
	// ServerVersion is the API server's gitVersion ("v1.37.2").
	ServerVersion string `json:"serverVersion,omitempty"`
	// Nodes are the kubelet versions by node name.
	KubeletVersions map[string]string `json:"kubeletVersions,omitempty"`
	// APIServerFlags are the kube-apiserver command-line flags, when its static pod is visible.
	APIServerFlags map[string]string `json:"apiServerFlags,omitempty"`
	// DeprecatedAPIRequests are the deprecated APIs clients called, from the API server's
	// metrics; nil when they could not be read.
	DeprecatedAPIRequests []DeprecatedAPIRequest `json:"deprecatedAPIRequests,omitempty"`
	// Object is the document the facts were read from (a snapshot's ClusterFacts), so that
	// findings about the cluster itself point at its lines; nil for a live cluster.
	Object *Object `json:"-"`
}
