// Package attack chains the exact engines into attack paths: from the internet (or from an
// insider) through entry points, workloads, service-account tokens and RBAC subjects to the
// targets an attacker wants: cluster-admin, every Secret, the nodes, or one named object.
//
// Every edge is an answer some engine gave, and carries the question that was asked so it
// can be asked again (Edge.Claim):
//
//   - internet → entry point: exposure lists it (LoadBalancers on a private network, or whose
//     source ranges hold no public address, are not entry points from the internet);
//   - entry point → workload: exposure resolves the backend, and netpol says the traffic is
//     allowed: from public addresses for Services, host ports and host networks; from some pod
//     outside the namespace for Ingress and Gateway backends (the controller's pods are not in
//     the manifests: a label-less pod of another namespace, then the peers the backend's ingress
//     policies name, are asked);
//   - workload → workload (lateral movement): netpol allows some traffic between them. Only
//     workloads from which an attacker can go further are destinations (see Pivots): the
//     others end every path that enters them;
//   - workload → service account: the pods mount its token (rbac.Automounts, as the
//     ServiceAccount admission plugin decides);
//   - subject → subject, subject → cluster-admin or every Secret: a hop of the shortest RBAC
//     escalation path (rbac.Searcher), with the requests it makes;
//   - subject → nodes: RBAC allows creating pods (or pod-owning workloads) in a namespace whose
//     Pod Security enforce level is privileged (psa), so a privileged pod that mounts the host
//     is admitted;
//   - workload → nodes: psa finds the pod fails baseline in a way that reaches the host
//     (privileged, hostPath volumes, hostPID, SYS_ADMIN and like capabilities);
//   - nodes → service account: a DaemonSet runs on every node with the token mounted, and
//     root on a node reads every token mounted there;
//   - workload → Secret and subject → Secret, for a named Secret target: the pod mounts it
//     (volume or environment), or RBAC allows get on it.
//
// The search is breadth-first: each path is a shortest one over these edges, per entry point
// and target. Hops inside RBAC follow rbac's shortest escalation path, so a path that would
// leave RBAC midway (through a node) and come back is found only if it is no longer.
package attack
