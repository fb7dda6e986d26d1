// Package secrets holds the checks of the secrets practice: encryption at rest, how workloads
// receive secrets, credentials outside Secrets, long-lived tokens, who can read Secrets, and
// external secret managers.
//
// # Encryption at rest
//
// The API server's EncryptionConfiguration is judged as the API server reads it (package
// encryption): for each resource, the first provider of the first rule that covers it
// encrypts every write, and the rules that cover it are found the way the API server finds
// them (the resource exactly, then *.GROUP, then *.*). The configuration reaches the checks
// as an object of the inventory: scanning a control-plane node's /etc/kubernetes finds it
// beside the kube-apiserver static pod, and `kubeharden scan --encryption-config FILE` adds
// it to any scan. The kube-apiserver's flags come from its static pod when the inventory has
// it, or from the facts of a live cluster.
//
// # Values are never shown
//
// Findings about credentials name the rule that matched ("AWS access key ID",
// "password-named value"), the object and the field, and nothing of the value: not even a
// prefix. A few leading characters of a short password are much of it; for token formats the
// prefix is the rule itself and adds nothing. Keys of the EncryptionConfiguration are
// described by name, size and provider only. A redaction test runs every check over fixtures
// full of credentials and keys and proves that no report format contains any of them.
//
// # What the credential rules are
//
// A value is reported when it matches one of: an AWS access key ID (AKIA/ASIA followed by 16
// characters), an AWS secret access key (40 base64 characters under a name that says AWS and
// secret), a Google API key, a GCP service account key (JSON with "type": "service_account"
// and a private_key), a PEM private key block, a JSON Web Token, a GitHub or Slack token or
// Slack webhook URL, a connection string or URL with a password; or when a name that says
// password, secret, token, API key, access key, private key or credential holds a literal
// (not a variable reference, path, URL, number or placeholder); or when a single token of at
// least 32 base64 or hex characters, letters and digits mixed, has a Shannon entropy of at
// least 4.25 bits per character (random base64 of that length has about 4.7, a hex digest at
// most 4) under a name that does not say it is a certificate, checksum or identifier.
// Env values, ConfigMap data (whole values, and each key=value or key: value line of a
// config file), annotations and containers' command and args are searched. kubectl's
// last-applied-configuration annotation is searched for what the object no longer holds
// (what it repeats is judged in the object's own fields) and, on a Secret, reported when it
// repeats the Secret's values.
package secrets

import "github.com/kubeharden/kubeharden/check"

// References shared by the checks of this practice.
const (
	refNSA          = "NSA-CISA Kubernetes Hardening Guide v1.2: Secrets"
	refEncryptDocs  = "Kubernetes docs: Encrypting Confidential Data at Rest"
	refSecretsDocs  = "Kubernetes docs: Good practices for Kubernetes Secrets"
	refCISFlag      = "CIS Kubernetes Benchmark v1.10 1.2.27"
	refCISProviders = "CIS Kubernetes Benchmark v1.10 1.2.28"
	refCISSecretEnv = "CIS Kubernetes Benchmark v1.10 5.4.1"
	refCISExternal  = "CIS Kubernetes Benchmark v1.10 5.4.2"
	refCISTokens    = "CIS Kubernetes Benchmark v1.10 5.1.6"
	refCISAccess    = "CIS Kubernetes Benchmark v1.10 5.1.2"
	refCreds        = "MITRE ATT&CK T1552 Unsecured Credentials"
	refCredsFiles   = "MITRE ATT&CK T1552.001 Credentials In Files"
	refCredsAPI     = "MITRE ATT&CK T1552.007 Unsecured Credentials: Container API"
	refTokens       = "MITRE ATT&CK T1528 Steal Application Access Token"
)

// Checks returns the checks of this package, for tests and for callers that run one practice.
func Checks() []*check.Check {
	return []*check.Check{
		EncryptionNotConfigured, EncryptionNotCovered, EncryptionIdentityFirst, EncryptionAESCBC,
		EncryptionStaticKey, EncryptionKMSv1, EncryptionWeakKey, EncryptionKeyReused, EncryptionConfigInvalid,
		SecretInEnv, HardcodedCredential, LegacyTokenSecret, UnusedTokenAutomount, Readers,
		ExternalManagers, NativeWithExternalManager, CredentialsInArgs,
	}
}

func init() { check.Register(Checks()...) }
