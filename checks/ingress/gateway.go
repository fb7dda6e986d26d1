package ingress

import (
	"strings"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/exposure"
)

// GatewayHTTPNotRedirected reports Gateway API HTTP listeners that serve routes instead of
// redirecting them to HTTPS.
var GatewayHTTPNotRedirected = &check.Check{
	ID:    "ingress/gateway-http-not-redirected",
	Title: "Gateway HTTP listener serves routes without redirecting to HTTPS",
	Doc: "A Gateway listener with protocol HTTP serves every route attached to it in clear " +
		"text. The Gateway API way to keep port 80 open for users who type http:// is to " +
		"attach, to the HTTP listener only, an HTTPRoute whose rules carry a RequestRedirect " +
		"filter with scheme: https, and to attach the content routes to the HTTPS listener " +
		"(parentRefs[].sectionName). Attachment is judged as the Gateway API defines it: " +
		"parentRefs (name, namespace, sectionName, port), allowedRoutes (namespaces From " +
		"Same/All/Selector, kinds) and hostname intersection. Fix it by attaching content " +
		"routes to the HTTPS listener and a redirect route to the HTTP one.",
	Severity:    check.Medium,
	References:  []string{refGatewayDoc, refNSANet, refCISTransit, refMITREAiTM},
	Remediation: "Attach content routes to the HTTPS listener (sectionName) and give the HTTP listener an HTTPRoute with a RequestRedirect filter {scheme: https, statusCode: 301}.",
	Kinds:       []string{"Gateway"},
	Reads:       gatewayReads,
	Scope:       check.ScopeCluster,
	Run: func(p *check.Pass) {
		gws := p.Inv.ByKind("Gateway")
		if len(gws) == 0 {
			return
		}
		routes := exposure.Routes(p.Inv)
		for _, gw := range gws {
			if !exposure.IsGatewayAPI(gw) {
				continue
			}
			for _, l := range exposure.Listeners(gw) {
				if l.Protocol != "HTTP" {
					continue
				}
				var plain []string
				for _, r := range exposure.AttachedTo(p.Inv, routes, gw, l) {
					if !redirectsAll(r) {
						plain = append(plain, r.Object.Kind+" "+r.Object.EffectiveNamespace()+"/"+r.Object.Name)
					}
				}
				if len(plain) == 0 {
					continue
				}
				p.Reportf(gw, l.Path(), "HTTP listener %q (port %d) of Gateway %s/%s serves %s in plain HTTP without redirecting to https",
					l.Name, l.Port, gw.EffectiveNamespace(), gw.Name, strings.Join(plain, ", "))
			}
		}
	},
}

// redirectsAll reports whether every rule of an HTTPRoute redirects to https.
func redirectsAll(r *exposure.Route) bool {
	if r.Object.Kind != "HTTPRoute" || len(r.Rules) == 0 {
		return false
	}
	for _, rule := range r.Rules {
		if rule.RedirectScheme != "https" {
			return false
		}
	}
	return true
}
