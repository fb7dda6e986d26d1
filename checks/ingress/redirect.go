package ingress

import (
	"fmt"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/inventory"
)

// HTTPNotRedirected reports TLS Ingresses (and Traefik entrypoints) that also serve plain
// HTTP instead of redirecting it to HTTPS.
var HTTPNotRedirected = &check.Check{
	ID:    "ingress/http-not-redirected",
	Title: "HTTP is not redirected to HTTPS",
	Doc: "An Ingress with TLS usually still listens on port 80. Unless that port redirects to " +
		"HTTPS, every link, bookmark or typed address that starts with http:// sends cookies " +
		"and credentials in clear text, and an attacker on the path can keep the victim on " +
		"HTTP (SSL stripping). The rules are controller-specific and kept in a small table: " +
		"ingress-nginx redirects TLS hosts by default, unless nginx.ingress.kubernetes.io/" +
		"ssl-redirect or the controller ConfigMap's ssl-redirect is \"false\" (force-ssl-" +
		"redirect \"true\" wins); Traefik redirects only entrypoints configured with " +
		"--entrypoints.<name>.http.redirections.entrypoint.to; the AWS Load Balancer Controller " +
		"needs alb.ingress.kubernetes.io/ssl-redirect when it listens on HTTP and HTTPS. Fix it by " +
		"turning the redirect on.",
	Severity:   check.Medium,
	Fixable:    true,
	References: []string{refNSANet, refCISTransit, refRFC6797, refMITREAiTM},
	Remediation: "ingress-nginx: remove ssl-redirect: \"false\" (or set force-ssl-redirect: \"true\"); " +
		"Traefik: add --entrypoints.web.http.redirections.entrypoint.to=websecure; " +
		"AWS: set alb.ingress.kubernetes.io/ssl-redirect: \"443\".",
	Kinds:     []string{"Ingress", "ConfigMap", check.Workloads},
	Reads:     controllerReads,
	Scope:     check.ScopeCluster,
	Requires:  []check.Requirement{nginxConfigsEngine},
	Partition: byController,
	Run: func(p *check.Pass) {
		c := newControllers(p.Inv)
		c.nginxConfigs = nginxConfigsEngine.Of(p).byClass
		reportedCM := map[*inventory.Object]bool{}
		eachIngress(p.Inv, func(o *inventory.Object, ing *networkingv1.Ingress) {
			// A configuration's finding names the first Ingress it leaves unredirected:
			// every Ingress served by ingress-nginx counts for it.
			judged := judges(p, o.EffectiveNamespace())
			ctl := c.of(o)
			if !judged && ctl != ingressNginx {
				return
			}
			switch ctl {
			case ingressNginx:
				if len(ing.Spec.TLS) == 0 {
					return
				}
				path, cm := nginxRedirectOff(c, o)
				switch {
				case path == "":
				case cm != nil:
					if !reportedCM[cm] {
						reportedCM[cm] = true
						p.Report(check.Diagnostic{Object: cm, Path: path,
							Message: fmt.Sprintf("ingress-nginx ConfigMap %s/%s turns off the HTTP to HTTPS redirect for every Ingress that does not set %s (first: %s/%s)",
								cm.EffectiveNamespace(), cm.Name, nginxSSLRedirect, o.EffectiveNamespace(), o.Name),
							Fixes: setFix(cm, path, "true", "turn ingress-nginx's HTTP to HTTPS redirect back on")})
					}
				case judged:
					p.Report(check.Diagnostic{Object: o, Path: path,
						Message: fmt.Sprintf("Ingress %s/%s has TLS but sets %s: \"false\", so its hosts are also served over plain HTTP",
							o.EffectiveNamespace(), o.Name, nginxSSLRedirect),
						Fixes: setFix(o, path, "true", "redirect the Ingress's HTTP requests to HTTPS")})
				}
			case awsALB:
				a := o.Annotations()
				if a[albCertificates] == "" || a[albSSLRedirect] != "" {
					return
				}
				if lp := a[albListenPorts]; strings.Contains(lp, `"HTTP"`) && strings.Contains(lp, `"HTTPS"`) {
					p.Report(check.Diagnostic{Object: o, Path: "metadata.annotations." + albListenPorts,
						Message: fmt.Sprintf("Ingress %s/%s listens on HTTP and HTTPS without %s, so HTTP is served, not redirected",
							o.EffectiveNamespace(), o.Name, albSSLRedirect),
						Fixes: setFix(o, "metadata.annotations."+albSSLRedirect, "443", "redirect the load balancer's HTTP listener to HTTPS on 443")})
				}
			}
		})
		traefikEntrypointRedirects(p)
	},
}

// nginxRedirectOff returns where ingress-nginx's redirect is turned off for o: the Ingress
// annotation's path, or the ConfigMap and its key's path; "" when o redirects.
func nginxRedirectOff(c *controllers, o *inventory.Object) (string, *inventory.Object) {
	a := o.Annotations()
	cm := c.nginxConfig(o)
	force, ok := a[nginxForceSSLRedirect]
	if !ok {
		force, _ = configValue(cm, "force-ssl-redirect")
	}
	if strings.EqualFold(strings.TrimSpace(force), "true") {
		return "", nil
	}
	if v, ok := a[nginxSSLRedirect]; ok {
		if strings.EqualFold(strings.TrimSpace(v), "false") {
			return "metadata.annotations." + nginxSSLRedirect, nil
		}
		return "", nil
	}
	if v, ok := configValue(cm, "ssl-redirect"); ok && strings.EqualFold(v, "false") {
		return "data.ssl-redirect", cm
	}
	return "", nil
}

// traefikEntrypointRedirects reports Traefik deployments with a TLS entrypoint and a plain
// entrypoint that does not redirect to it.
func traefikEntrypointRedirects(p *check.Pass) {
	for _, t := range p.Inv.PodTemplates() {
		if !judges(p, t.Namespace()) {
			continue
		}
		for _, ct := range t.Containers() {
			if !strings.Contains(ct.Container.Image, "traefik") || strings.Contains(ct.Container.Image, "traefik/mesh") {
				continue
			}
			eps := traefikEntrypoints(ct.Container.Args)
			secure := ""
			for _, ep := range eps {
				if ep.tls || ep.name == "websecure" {
					secure = ep.name
					break
				}
			}
			if secure == "" {
				continue
			}
			for _, ep := range eps {
				if ep.name == secure || ep.tls || ep.redirect || ep.udp || traefikInternal[ep.name] || ep.addressIndex < 0 {
					continue
				}
				p.Reportf(t.Owner, fmt.Sprintf("%s.args[%d]", ct.Path, ep.addressIndex),
					"Traefik entrypoint %q serves plain HTTP beside TLS entrypoint %q without redirecting to it", ep.name, secure)
			}
		}
	}
}

// HSTSDisabled reports ingress-nginx configurations that turn HSTS off.
var HSTSDisabled = &check.Check{
	ID:    "ingress/hsts-disabled",
	Title: "HSTS is turned off at the ingress controller",
	Doc: "HTTP Strict Transport Security tells browsers to use HTTPS for a host from then on, " +
		"which closes the window that the first plain-HTTP request leaves to SSL stripping. " +
		"ingress-nginx sends it for every TLS host by default; its controller ConfigMap can turn " +
		"it off (hsts: \"false\") or make it expire at once (hsts-max-age: \"0\"). (Traefik sends " +
		"HSTS only when a headers middleware sets stsSeconds; that is not judged.) Fix it by " +
		"removing those keys.",
	Severity:    check.Medium,
	Fixable:     true,
	References:  []string{refRFC6797, refCISTransit, refNSANet},
	Remediation: "Remove hsts: \"false\" and hsts-max-age: \"0\" from the ingress-nginx ConfigMap (default: on, max-age one year).",
	Kinds:       []string{"ConfigMap"},
	Reads:       controllerReads,
	Scope:       check.ScopeCluster,
	Requires:    []check.Requirement{nginxConfigsEngine},
	Run: func(p *check.Pass) {
		var cms []*inventory.Object
		seen := map[*inventory.Object]bool{}
		for _, cm := range nginxConfigsEngine.Of(p).byClass {
			if !seen[cm] {
				seen[cm] = true
				cms = append(cms, cm)
			}
		}
		sort.Slice(cms, func(i, j int) bool { return cms[i].Ref.String() < cms[j].Ref.String() })
		for _, cm := range cms {
			if v, ok := configValue(cm, "hsts"); ok && strings.EqualFold(v, "false") {
				p.Report(check.Diagnostic{Object: cm, Path: "data.hsts",
					Message: fmt.Sprintf("ingress-nginx ConfigMap %s/%s turns HSTS off for every host", cm.EffectiveNamespace(), cm.Name),
					Fixes:   setFix(cm, "data.hsts", "true", "turn HSTS back on")})
			}
			if v, ok := configValue(cm, "hsts-max-age"); ok && v == "0" {
				p.Report(check.Diagnostic{Object: cm, Path: "data.hsts-max-age",
					Message: fmt.Sprintf("ingress-nginx ConfigMap %s/%s sets HSTS max-age to 0, which makes browsers forget it at once", cm.EffectiveNamespace(), cm.Name),
					Fixes:   setFix(cm, "data.hsts-max-age", "31536000", "set HSTS max-age to one year, ingress-nginx's default")})
			}
		}
	},
}

// nginxSnippets are the ingress-nginx annotations that inject raw nginx configuration.
var nginxSnippets = []string{
	"nginx.ingress.kubernetes.io/configuration-snippet",
	"nginx.ingress.kubernetes.io/server-snippet",
	"nginx.ingress.kubernetes.io/stream-snippet",
	"nginx.ingress.kubernetes.io/auth-snippet",
	"nginx.ingress.kubernetes.io/modsecurity-snippet",
}

// NginxSnippet reports ingress-nginx snippet annotations.
var NginxSnippet = &check.Check{
	ID:    "ingress/nginx-snippet",
	Title: "Ingress injects raw nginx configuration",
	Doc: "ingress-nginx copies snippet annotations (configuration-snippet, server-snippet, " +
		"stream-snippet, auth-snippet, modsecurity-snippet) into the controller's nginx.conf. " +
		"Whoever may edit an Ingress can then read files of the controller pod, including its " +
		"service account token, which can read every Secret in the cluster (CVE-2021-25742), " +
		"or change the routing of other tenants' hosts. Since v1.9 the controller ignores them " +
		"unless allow-snippet-annotations is on. Fix it by using the dedicated annotations, or " +
		"a separate controller for teams that need snippets.",
	Severity:    check.Medium,
	References:  []string{"CVE-2021-25742", refNSAAudit, "ingress-nginx docs: allow-snippet-annotations and annotations-risk-level", refMITREPub},
	Remediation: "Replace the snippet with dedicated annotations or controller ConfigMap settings (e.g. add-headers), and keep allow-snippet-annotations \"false\".",
	Kinds:       []string{"Ingress"},
	Scope:       check.ScopeObject,
	Run: func(p *check.Pass) {
		eachIngress(p.Inv, func(o *inventory.Object, _ *networkingv1.Ingress) {
			a := o.Annotations()
			for _, k := range nginxSnippets {
				if strings.TrimSpace(a[k]) != "" {
					p.Reportf(o, "metadata.annotations."+k, "Ingress %s/%s injects nginx configuration with %s", o.EffectiveNamespace(), o.Name, k)
				}
			}
		})
	},
}
