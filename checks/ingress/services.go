package ingress

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/exposure"
	"github.com/kubeharden/kubeharden/inventory"
)

// eachService calls fn for every Service.
func eachService(inv *inventory.Inventory, fn func(o *inventory.Object, svc *corev1.Service)) {
	for _, o := range inv.ByKind("Service") {
		if svc, ok := o.Obj.(*corev1.Service); ok {
			fn(o, svc)
		}
	}
}

// portList renders "5432/TCP, 80/TCP".
func portList(ps []corev1.ServicePort, nodePorts bool) string {
	var out []string
	for _, p := range ps {
		n := p.Port
		if nodePorts {
			if p.NodePort == 0 {
				out = append(out, "an allocated port (for "+fmt.Sprint(p.Port)+")")
				continue
			}
			n = p.NodePort
		}
		out = append(out, fmt.Sprintf("%d/%s", n, protocol(p)))
	}
	return strings.Join(out, ", ")
}

func protocol(p corev1.ServicePort) string {
	if p.Protocol == "" {
		return "TCP"
	}
	return string(p.Protocol)
}

// serviceBackends lists the backends of every port of a Service.
func serviceBackends(x *exposure.Index, o *inventory.Object, svc *corev1.Service) []exposure.Backend {
	var out []exposure.Backend
	seen := map[string]bool{}
	for _, p := range svc.Spec.Ports {
		for _, b := range x.ServiceBackends(o, p) {
			if k := b.String(); !seen[k] {
				seen[k] = true
				out = append(out, b)
			}
		}
	}
	return out
}

// webOnly reports whether every port of svc carries HTTP or HTTPS, as the Service of an
// ingress controller or gateway does.
func webOnly(svc *corev1.Service) bool {
	for _, p := range svc.Spec.Ports {
		pr, ok := exposure.PortProtocol(p)
		if !ok {
			return false
		}
		switch pr.Name {
		case "HTTP", "HTTPS", "HTTP2", "H2C":
		default:
			return false
		}
	}
	return len(svc.Spec.Ports) > 0
}

// LoadBalancerUnrestricted reports external LoadBalancer Services open to every address.
var LoadBalancerUnrestricted = &check.Check{
	ID:    "ingress/lb-unrestricted",
	Title: "LoadBalancer Service accepts connections from anywhere",
	Doc: "A Service of type LoadBalancer gets an address from the cloud provider, on the " +
		"internet unless an annotation makes it internal. Without loadBalancerSourceRanges (or " +
		"the legacy service.beta.kubernetes.io/load-balancer-source-ranges annotation) every " +
		"address may connect, which is right for the public web entry point (an ingress " +
		"controller or gateway: reported as info) and rarely right for anything else: " +
		"databases, caches and admin interfaces on a public IP are scanned within minutes. Fix " +
		"it by putting the workload behind the Ingress or Gateway, making the load balancer " +
		"internal, or listing the client ranges in loadBalancerSourceRanges.",
	Severity:    check.Medium,
	References:  []string{refNSANet, refCISNet, refServiceDoc, refMITREPub},
	Remediation: "Set spec.loadBalancerSourceRanges to the client CIDRs, make the load balancer internal (cloud annotation), or use a ClusterIP Service behind the Ingress.",
	Kinds:       []string{"Service"},
	Reads:       []string{check.Workloads},
	Scope:       check.ScopeNamespace,
	Run: func(p *check.Pass) {
		x := exposure.NewIndex(p.Inv)
		eachService(p.Inv, func(o *inventory.Object, svc *corev1.Service) {
			if svc.Spec.Type != corev1.ServiceTypeLoadBalancer || exposure.InternalLB(o) != "" {
				return
			}
			path, open := "spec.type", ""
			ranges := exposure.SourceRanges(o)
			if len(ranges) == 0 {
				open = "no loadBalancerSourceRanges"
			}
			fromSpec := len(svc.Spec.LoadBalancerSourceRanges) > 0
			for i, r := range ranges {
				if r = strings.TrimSpace(r); r != "0.0.0.0/0" && r != "::/0" {
					continue
				}
				open = "its source ranges allow " + r
				path = fmt.Sprintf("spec.loadBalancerSourceRanges[%d]", i)
				if !fromSpec {
					path = "metadata.annotations." + corev1.AnnotationLoadBalancerSourceRangesKey
				}
				break
			}
			if open == "" {
				return
			}
			d := check.Diagnostic{Object: o, Path: path, Message: fmt.Sprintf(
				"LoadBalancer Service %s/%s exposes %s to any address (%s): %s",
				o.EffectiveNamespace(), o.Name, portList(svc.Spec.Ports, false), open, backendList(serviceBackends(x, o, svc)))}
			if webOnly(svc) {
				d.Severity = check.Info
				d.Message += " — a public web entry point, expected for an ingress controller or gateway"
			}
			p.Report(d)
		})
	},
}

// NodePortService reports Services of type NodePort.
var NodePortService = &check.Check{
	ID:    "ingress/nodeport",
	Title: "NodePort Service opens a port on every node",
	Doc: "A NodePort Service opens its port on every node's addresses, bypassing the Ingress " +
		"(and its TLS, authentication and rate limits) and any load balancer source ranges; " +
		"whoever can reach a node can reach the workload, and node firewalls are often wide " +
		"open inside a VPC. (LoadBalancer Services also allocate node ports unless " +
		"allocateLoadBalancerNodePorts is false; they are judged by ingress/lb-unrestricted.) " +
		"Fix it by using a ClusterIP Service behind the Ingress or Gateway.",
	Severity:    check.Low,
	References:  []string{refNSANet, refCISPorts, refServiceDoc},
	Remediation: "Use type: ClusterIP and route external traffic through the Ingress or Gateway.",
	Kinds:       []string{"Service"},
	Reads:       []string{check.Workloads},
	Scope:       check.ScopeNamespace,
	Run: func(p *check.Pass) {
		x := exposure.NewIndex(p.Inv)
		eachService(p.Inv, func(o *inventory.Object, svc *corev1.Service) {
			if svc.Spec.Type != corev1.ServiceTypeNodePort {
				return
			}
			p.Reportf(o, "spec.type", "NodePort Service %s/%s opens %s on every node: %s",
				o.EffectiveNamespace(), o.Name, portList(svc.Spec.Ports, true), backendList(serviceBackends(x, o, svc)))
		})
	},
}

// ExternalIPs reports Services with externalIPs.
var ExternalIPs = &check.Check{
	ID:    "ingress/external-ips",
	Title: "Service uses externalIPs",
	Doc: "spec.externalIPs makes every node forward traffic for those addresses to the " +
		"Service's pods: an entry point that no load balancer or Ingress controls. Because " +
		"kube-proxy trusts whatever addresses a Service names, anyone who may create Services " +
		"can also capture traffic meant for other addresses (CVE-2020-8554); the " +
		"DenyServiceExternalIPs admission plugin turns the field off. Fix it by using a " +
		"LoadBalancer Service or the Ingress instead.",
	Severity:    check.Medium,
	References:  []string{"CVE-2020-8554", refNSANet, refServiceDoc, refMITREAiTM},
	Remediation: "Remove spec.externalIPs; expose the workload through a LoadBalancer Service or the Ingress, and enable the DenyServiceExternalIPs admission plugin.",
	Kinds:       []string{"Service"},
	Reads:       []string{check.Workloads},
	Scope:       check.ScopeNamespace,
	Run: func(p *check.Pass) {
		x := exposure.NewIndex(p.Inv)
		eachService(p.Inv, func(o *inventory.Object, svc *corev1.Service) {
			if len(svc.Spec.ExternalIPs) == 0 {
				return
			}
			p.Reportf(o, "spec.externalIPs", "Service %s/%s receives traffic for external IPs %s on %s: %s",
				o.EffectiveNamespace(), o.Name, strings.Join(svc.Spec.ExternalIPs, ", "), portList(svc.Spec.Ports, false),
				backendList(serviceBackends(x, o, svc)))
		})
	},
}

// PlaintextExposed reports clear-text protocols on ports reachable from outside the cluster.
var PlaintextExposed = &check.Check{
	ID:    "ingress/plaintext-exposed",
	Title: "Clear-text protocol exposed outside the cluster",
	Doc: "A Service port reachable from outside the cluster (external LoadBalancer, NodePort " +
		"or externalIPs) that carries a clear-text protocol (HTTP, a database, a cache, FTP, " +
		"Telnet, ...) sends credentials and data readable on the network and, for data stores, " +
		"invites password guessing from anywhere. The protocol is read from the port's " +
		"appProtocol and name (\"https\", \"http-web\"), then from its well-known number. HTTP is " +
		"reported as medium, everything else as high; an HTTP port beside an HTTPS port of the " +
		"same Service (a web entry point's redirect port) is not reported. Fix it by serving HTTP through the " +
		"Ingress with TLS, and by keeping data stores on ClusterIP Services.",
	Severity:    check.High,
	References:  []string{refNSANet, refCISTransit, refCISPorts, refMITRESniff, refMITREPub},
	Remediation: "Serve HTTP through the Ingress or Gateway with TLS; keep databases and caches on ClusterIP Services, or require TLS and restrict the source ranges.",
	Kinds:       []string{"Service"},
	Reads:       []string{check.Workloads},
	Scope:       check.ScopeNamespace,
	Run: func(p *check.Pass) {
		x := exposure.NewIndex(p.Inv)
		eachService(p.Inv, func(o *inventory.Object, svc *corev1.Service) {
			how := ""
			switch {
			case svc.Spec.Type == corev1.ServiceTypeLoadBalancer && exposure.InternalLB(o) == "":
				how = "LoadBalancer"
			case svc.Spec.Type == corev1.ServiceTypeNodePort:
				how = "NodePort"
			case len(svc.Spec.ExternalIPs) > 0:
				how = "externalIPs"
			default:
				return
			}
			tls := hasTLSPort(svc)
			for i, port := range svc.Spec.Ports {
				pr, ok := exposure.PortProtocol(port)
				if !ok || !pr.Plaintext {
					continue
				}
				if tls && isHTTP(pr.Name) {
					// HTTP beside HTTPS on one Service is the web entry point's redirect
					// port: ingress/http-not-redirected judges whether it redirects.
					continue
				}
				d := check.Diagnostic{Object: o, Path: fmt.Sprintf("spec.ports[%d]", i), Message: fmt.Sprintf(
					"%s Service %s/%s exposes %s in clear text on port %d/%s: %s",
					how, o.EffectiveNamespace(), o.Name, pr.Name, port.Port, protocol(port), backendList(x.ServiceBackends(o, port)))}
				if isHTTP(pr.Name) {
					d.Severity = check.Medium
				}
				p.Report(d)
			}
		})
	},
}

// hasTLSPort reports whether svc has a port that carries TLS.
func hasTLSPort(svc *corev1.Service) bool {
	for _, p := range svc.Spec.Ports {
		if pr, ok := exposure.PortProtocol(p); ok && !pr.Plaintext {
			return true
		}
	}
	return false
}

func isHTTP(name string) bool {
	switch name {
	case "HTTP", "HTTP2", "H2C", "HTTP/2 cleartext", "WebSocket", "WS", "GRPC":
		return true
	}
	return false
}
