// Package psa judges pods and namespaces exactly as the API server's PodSecurity admission
// plugin does, and plans a namespace's move to a stricter Pod Security level.
//
// Verdicts come from the upstream library (k8s.io/pod-security-admission): its checks, its
// label parsing and its defaults. What this package adds is what admission does not say:
//
//   - which upstream check failed (admission only aggregates reasons), so that each check can
//     be reported, suppressed and documented on its own;
//   - the field that makes it fail, so a finding points at a file and line;
//   - the pod the API server actually judges: a manifest is evaluated after the defaulting
//     and normalising the API server applies before admission (volumes without a source
//     become emptyDir, host-network pods use their container ports as host ports, AppArmor
//     annotations are copied to fields);
//   - namespace resolution with the cluster's AdmissionConfiguration (defaults and
//     exemptions), or kubeharden's assumption of baseline when the configuration is unknown;
//   - a rollout plan: the strictest level every workload of a namespace satisfies, what
//     blocks the next one, and the labels to set.
package psa
