// Package resources holds the checks of the resources practice: every container states what
// CPU and memory it needs and may use, and every namespace that runs workloads has a
// LimitRange and a ResourceQuota that bound them.
//
// The container checks judge the values a container has once the API server has created its
// pod, not the values its manifest spells out: a limit without a request implies the request,
// and a LimitRange in the namespace fills in defaults. Effective computes those values.
package resources

import (
	"github.com/kubeharden/kubeharden/check"
)

// References shared by the checks of this practice.
var (
	refNSA      = "NSA-CISA Kubernetes Hardening Guide v1.2: Resource policies"
	refDocs     = "Kubernetes docs: Resource Management for Pods and Containers"
	refLimitDoc = "Kubernetes docs: Limit Ranges"
	refQuotaDoc = "Kubernetes docs: Resource Quotas"
	refDoS      = "MITRE ATT&CK T1499 Endpoint Denial of Service"
	refHijack   = "MITRE ATT&CK T1496 Resource Hijacking"
)

// Checks returns the checks of this package, for tests and for callers that run one practice.
func Checks() []*check.Check {
	return []*check.Check{MissingCPURequest, MissingMemoryRequest, MissingMemoryLimit, MissingCPULimit, NoLimitRange, NoResourceQuota}
}
