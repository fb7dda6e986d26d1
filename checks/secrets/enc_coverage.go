package secrets

import (
	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/encryption"
)

// EncryptionNotConfigured reports API servers run without --encryption-provider-config.
var EncryptionNotConfigured = &check.Check{
	ID:    "secrets/encryption-not-configured",
	Title: "API server does not encrypt Secrets at rest",
	Doc: "Without --encryption-provider-config the API server stores every Secret in etcd as it " +
		"is: base64 is an encoding, not encryption, so anyone who reads etcd, its backups or a " +
		"control-plane node's disk reads every credential of the cluster. The check runs when " +
		"the kube-apiserver's flags are visible (its static pod manifest, or a live cluster " +
		"that shows it); managed control planes that hide it are not judged. Write an " +
		"EncryptionConfiguration whose first provider for secrets encrypts (kms v2 preferred), " +
		"pass it with --encryption-provider-config, restart, and rewrite the existing Secrets.",
	Severity:    check.High,
	References:  []string{refCISFlag, refNSA, refEncryptDocs},
	Remediation: "Create an EncryptionConfiguration for secrets (kms apiVersion v2 first, identity last), set --encryption-provider-config on every API server, then run: kubectl get secrets -A -o json | kubectl replace -f -",
	Kinds:       []string{"Pod"},
	Reads:       []string{"Pod"},
	Scope:       check.ScopeCluster,
	Run: func(p *check.Pass) {
		for _, s := range apiServers(p) {
			if s.flags[encryption.Flag] == "" {
				p.Reportf(s.obj, s.path, "kube-apiserver runs without --%s: Secrets are stored in etcd unencrypted", encryption.Flag)
			}
		}
	},
}

// EncryptionNotCovered reports configurations that leave Secrets out.
var EncryptionNotCovered = &check.Check{
	ID:    "secrets/encryption-not-covered",
	Title: "Encryption configuration does not cover Secrets",
	Doc: "An EncryptionConfiguration encrypts only the resources its rules name, exactly as the " +
		"API server matches them: the resource itself (secrets), every resource of its group " +
		"(*. for the core group), or every resource (*.*). A configuration that names " +
		"configmaps, or *.apps, but none of these leaves Secrets stored in plaintext while " +
		"looking like encryption is on. Add secrets to a rule whose first provider encrypts.",
	Severity:    check.High,
	References:  []string{refCISProviders, refNSA, refEncryptDocs},
	Remediation: "Add a rule for secrets (before any wildcard rule) whose first provider encrypts, then rewrite the existing Secrets.",
	Kinds:       []string{encryption.Kind, encryption.LegacyKind},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		for _, c := range configs(p) {
			if len(c.Rules) == 0 {
				continue // it cannot be read at all: secrets/encryption-config-invalid
			}
			if _, ok := c.Writer(encryption.Secrets); !ok {
				p.Reportf(c.obj, "resources", "no rule covers secrets (neither secrets, *. nor *.*): Secrets are stored in etcd unencrypted")
			}
		}
	},
}
