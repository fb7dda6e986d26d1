// Package netpol is a reachability engine for Kubernetes NetworkPolicies
// (networking.k8s.io/v1): given namespaces, workloads and policies, it decides whether
// traffic from one endpoint to another on a port is allowed, which policies and rules decide
// it, and the whole workload-to-workload matrix.
//
// It follows the API's semantics exactly:
//
//   - policyTypes, when empty, default as the API server defaults them: Ingress always,
//     Egress when the policy has egress rules;
//   - a pod is isolated for a direction only if some policy selecting it has that type; an
//     isolated pod allows the union of the rules of all policies that select it; traffic
//     needs both the source's egress and the destination's ingress;
//   - an empty selector matches everything, a missing one: podSelector absent in a peer means
//     every pod, namespaceSelector absent means the policy's own namespace;
//     namespaceSelector and podSelector in one peer are ANDed, separate peers are ORed;
//   - a rule without from/to (or with an empty list; the API cannot tell them apart) matches
//     every peer, a rule without ports every port and protocol; `ingress: []` allows nothing;
//   - ports default to TCP; endPort makes a range; a named port is looked up, by name and
//     protocol, in the destination pod's containers and sidecars;
//   - ipBlock (cidr minus except) matches addresses outside the cluster only: pod IPs are not
//     known from manifests, so pods are never matched by an ipBlock;
//   - every namespace carries kubernetes.io/metadata.name, set to its name;
//   - policies the API server would reject (see Policy.Problems) do not exist.
//
// What the API leaves to the network plugin is left out: hostNetwork pods (listed apart,
// never matched), traffic from a pod's own node (always allowed), and what happens to
// addresses rewritten by load balancers or NAT.
//
// Pods that share namespace, labels and named ports cannot be told apart by any policy, so
// the engine groups them into classes first; workloads stand for their pods. The cost of a
// query or of the matrix grows with classes and policies, not with pods.
package netpol
