package rbac

import (
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/checks/engines"
)

// PodExecProbes are the requests that run commands in, attach to, or forward ports of running
// containers. Since Kubernetes 1.35 (AuthorizePodWebsocketUpgradeCreatePermission) they need
// create; older clusters also accept get over WebSockets.
var PodExecProbes = probes(false, []string{"create", "get"}, "pods/exec", "pods/attach", "pods/portforward")

// PodExec reports subjects that may exec into, attach to or port-forward pods.
var PodExec = &check.Check{
	ID:    "rbac/pod-exec",
	Title: "Subject may exec into, attach to or port-forward pods",
	Doc: "pods/exec and pods/attach run commands in running containers, and pods/portforward " +
		"reaches their ports from outside the network policies: the subject gets what the " +
		"container has — its files, its secrets, its service account token. The check reports " +
		"create (required since Kubernetes 1.35) and get (enough over WebSockets before). Grant " +
		"these to operators through short-lived, audited access rather than standing roles.",
	Severity:    check.High,
	References:  []string{refNSA, refRBACDocs, refExecCmd},
	Remediation: "Remove pods/exec, pods/attach and pods/portforward from standing roles; grant them just in time.",
	Kinds:       bindingKinds,
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.RBAC},
	Partition:   ByBinding,
	Run: func(p *check.Pass) {
		bySeverity(p, HoldersIn(Engine(p), PodExecProbes, p.Namespaces), check.High, false)
	},
}

// WorkloadProbes are the requests that start pods of one's choosing: creating pods or a
// workload, or changing a workload's pod template. Whoever can do it can run a pod as any
// service account of the namespace and mount any of its Secrets.
var WorkloadProbes = append(probes(false, []string{"create"}, "pods"),
	probes(false, []string{"create", "update", "patch"}, "deployments.apps", "statefulsets.apps",
		"daemonsets.apps", "replicasets.apps", "jobs.batch", "cronjobs.batch", "replicationcontrollers")...)

// CreateWorkloads reports subjects that may create pods or workloads.
var CreateWorkloads = &check.Check{
	ID:    "rbac/create-workloads",
	Title: "Subject may create pods or workloads",
	Doc: "A subject that can create pods, or create or change any workload that makes pods, " +
		"chooses what the pods run and as whom: it can run a pod as any service account of the " +
		"namespace (holding its permissions), mount any Secret of the namespace, and, where Pod " +
		"Security allows, a privileged pod on a node. The check reports each subject that holds " +
		"this, cluster-wide or per namespace. Let a deployment pipeline hold it, not people; " +
		"enforce Pod Security restricted where people must.",
	Severity:    check.High,
	References:  []string{"CIS Kubernetes Benchmark 5.1.4", refNSA, refRBACDocs, refDeploy},
	Remediation: "Remove create/update/patch on pods and workloads from people's roles; deploy through a pipeline whose service account holds them in its namespace only.",
	Kinds:       bindingKinds,
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.RBAC},
	Partition:   ByBinding,
	Run: func(p *check.Pass) {
		bySeverity(p, HoldersIn(Engine(p), WorkloadProbes, p.Namespaces), check.High, false)
	},
}

// NodesProxyProbes reach the kubelet API through the API server.
var NodesProxyProbes = probes(true, []string{"get", "create"}, "nodes/proxy")

// NodesProxy reports subjects that may proxy to kubelets.
var NodesProxy = &check.Check{
	ID:    "rbac/nodes-proxy",
	Title: "Subject may use the kubelet API through nodes/proxy",
	Doc: "nodes/proxy forwards requests to a node's kubelet API, which runs commands in any " +
		"container on the node (its /exec and /run endpoints) without the API server's audit of " +
		"pods/exec or any admission check; get alone is enough over WebSockets. A subject that " +
		"holds it controls every pod of every node. Monitoring agents that need node metrics " +
		"should use nodes/metrics and nodes/stats instead.",
	Severity:    check.Critical,
	References:  []string{"CIS Kubernetes Benchmark 5.1.10", refNSA, refRBACDocs, refExecCmd, refEscape},
	Remediation: "Remove nodes/proxy; grant nodes/metrics or nodes/stats for monitoring.",
	Kinds:       bindingKinds,
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.RBAC},
	Partition:   ByBinding,
	Run: func(p *check.Pass) {
		bySeverity(p, HoldersIn(Engine(p), NodesProxyProbes, p.Namespaces), check.Critical, true)
	},
}

// TokenProbes mint tokens for service accounts.
var TokenProbes = probes(false, []string{"create"}, "serviceaccounts/token")

// ServiceAccountToken reports subjects that may create service account tokens.
var ServiceAccountToken = &check.Check{
	ID:    "rbac/serviceaccount-token",
	Title: "Subject may create service account tokens",
	Doc: "create on serviceaccounts/token mints a token for any service account the rule covers: " +
		"the subject holds every permission of every service account of the namespace (or of all " +
		"namespaces). Only the kubelet and token-issuing controllers need it.",
	Severity:    check.High,
	References:  []string{"CIS Kubernetes Benchmark 5.1.13", refNSA, refRBACDocs, refTokens},
	Remediation: "Remove create on serviceaccounts/token, or restrict it with resourceNames to the service accounts the subject must act as.",
	Kinds:       bindingKinds,
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{engines.RBAC},
	Partition:   ByBinding,
	Run: func(p *check.Pass) {
		bySeverity(p, HoldersIn(Engine(p), TokenProbes, p.Namespaces), check.High, false)
	},
}
