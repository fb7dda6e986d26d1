// Package ingress holds the checks of the ingress and exposure practice: traffic that enters
// the cluster is encrypted with a valid certificate for every host it serves, plain HTTP only
// redirects to HTTPS, nothing else is exposed by accident (LoadBalancer, NodePort and
// external-IP Services), and pod-to-pod traffic is encrypted where policy asks for it.
//
// The checks read entry points through the exposure package (Service selectors resolved to
// pod templates, Gateway API route attachment, TLS host coverage) and certificates through
// the certs package. A check never guesses what it cannot see: a TLS Secret that was not
// loaded is reported missing only when other Secrets of its namespace were loaded, and a key
// that a live read or a snapshot emptied is not compared.
package ingress

import (
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/exposure"
	"github.com/kubeharden/kubeharden/inventory"
)

// References shared by the checks of this practice.
var (
	refNSANet     = "NSA-CISA Kubernetes Hardening Guide v1.2: Network separation and hardening"
	refNSAAudit   = "NSA-CISA Kubernetes Hardening Guide v1.2: Upgrading and application security practices"
	refCISTransit = "CIS Controls v8 3.10: Encrypt sensitive data in transit"
	refCISNet     = "CIS Controls v8 12.2: Establish and maintain a secure network architecture"
	refCISPorts   = "CIS Controls v8 4.8: Uninstall or disable unnecessary services"
	refCISAssets  = "CIS Controls v8 3.11: Encrypt sensitive data at rest and in transit with approved algorithms"
	refIngressDoc = "Kubernetes docs: Ingress (TLS)"
	refGatewayDoc = "Gateway API: Listener TLS and HTTP redirects"
	refServiceDoc = "Kubernetes docs: Service (type NodePort, LoadBalancer, externalIPs)"
	refNIST52     = "NIST SP 800-52 Rev. 2: Guidelines for TLS implementations"
	refNIST57     = "NIST SP 800-57 Part 1 Rev. 5: key sizes (112-bit security minimum)"
	refCABF       = "CA/Browser Forum Baseline Requirements 6.1.5 and 7.1.3 (key sizes, SHA-1)"
	refRFC6125    = "RFC 6125: host name checks and wildcards in certificates"
	refRFC6797    = "RFC 6797: HTTP Strict Transport Security"
	refMITREAiTM  = "MITRE ATT&CK T1557 Adversary-in-the-Middle"
	refMITRESniff = "MITRE ATT&CK T1040 Network Sniffing"
	refMITREPub   = "MITRE ATT&CK T1190 Exploit Public-Facing Application"
)

// Checks returns the checks of this package, for tests and for callers that run one practice.
func Checks() []*check.Check {
	return []*check.Check{
		NoTLS, HostNotCovered, TLSNoSecret, TLSSecretMissing, TLSSecretInvalid,
		HTTPNotRedirected, HSTSDisabled, NginxSnippet,
		CertExpired, CertExpiring, CertNotYetValid, CertHostMismatch, CertKeyMismatch,
		CertWeakKey, CertWeakSignature, CertSelfSigned,
		GatewayHTTPNotRedirected,
		LoadBalancerUnrestricted, NodePortService, ExternalIPs, PlaintextExposed,
		PodTrafficUnencrypted, MTLSNotStrict,
	}
}

func init() { check.Register(Checks()...) }

// What the checks read besides the kinds they report on, by the helpers they share.
var (
	// certReads: certUses and servedCerts follow Ingress and Gateway TLS references to
	// Secrets, in any namespace a Gateway names, and cert-manager Certificates.
	certReads = []string{"Ingress", "Gateway", "Secret", "Certificate"}
	// controllerReads: newControllers reads IngressClasses, Traefik Middlewares and the
	// controllers' own workloads and ConfigMaps.
	controllerReads = []string{"IngressClass", "Middleware", "ConfigMap", check.Workloads}
	// meshReads: newMeshView reads PeerAuthentications, CNI configuration and namespace labels.
	meshReads = []string{peerAuthentication, "ConfigMap", "FelixConfiguration", "Namespace", check.Workloads}
	// gatewayReads: routes attach to listeners across namespaces the Gateway allows by label.
	gatewayReads = append(append([]string{}, exposure.RouteKinds...), "Namespace")
)

// hostList renders hosts for messages, "*" for the empty host.
func hostList(hs []string) string {
	out := make([]string, len(hs))
	for i, h := range hs {
		if h == "" {
			h = "*"
		}
		out[i] = h
	}
	return strings.Join(out, ", ")
}

// backendList renders at most a few backends for messages.
func backendList(bs []exposure.Backend) string {
	if len(bs) == 0 {
		return "no backend"
	}
	var parts []string
	for i, b := range bs {
		if i == 3 {
			parts = append(parts, "…")
			break
		}
		parts = append(parts, b.String())
	}
	return strings.Join(parts, "; ")
}

// hasKind reports whether any object of kind was loaded in namespace ns.
func hasKind(inv *inventory.Inventory, kind, ns string) bool {
	for _, o := range inv.InNamespace(ns) {
		if o.Kind == kind {
			return true
		}
	}
	return false
}
