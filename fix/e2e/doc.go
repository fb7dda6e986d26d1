// Package e2e proves on the real API server (internal/testcluster) that what kubeharden fix
// writes applies cleanly, and that the pods of namespaces fix labels to enforce a Pod
// Security level are admitted at that level.
//
// The tests need the test control plane; without its binaries they skip, unless
// KUBEHARDEN_E2E=required.
package e2e
