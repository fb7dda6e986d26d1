// Package e2e proves kubeharden's Pod Security verdicts against the real API server: the same
// pods, namespaces and admission configuration, judged by kube-apiserver (a server-side dry-run
// create still runs admission) and by kubeharden, must give the same answer pod for pod.
//
// The tests need the test control plane (internal/testcluster); without its binaries they
// skip, unless KUBEHARDEN_E2E=required.
package e2e
