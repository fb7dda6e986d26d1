package ingress

import (
	"fmt"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/kubeharden/kubeharden/exposure"
	"github.com/kubeharden/kubeharden/inventory"
)

// certUse is a place where an Ingress or a Gateway listener serves the certificate of a
// Secret.
type certUse struct {
	Object *inventory.Object // the Ingress or Gateway
	Path   string            // spec.tls[0].secretName, spec.listeners[1].tls.certificateRefs[0]
	// Namespace and Secret name the Secret.
	Namespace, Secret string
	// Hosts are the host names served with the certificate, each with its field path.
	Hosts []hostAt
	// Listener names the Gateway listener; empty for an Ingress.
	Listener string
}

type hostAt struct{ Host, Path string }

// where names the user for messages: "Ingress shop/web" or "Gateway infra/public listener https".
func (u certUse) where() string {
	w := fmt.Sprintf("%s %s/%s", u.Object.Kind, u.Object.EffectiveNamespace(), u.Object.Name)
	if u.Listener != "" {
		w += fmt.Sprintf(" listener %q", u.Listener)
	}
	return w
}

// certUses lists every Secret reference of every Ingress tls entry and Gateway listener that
// terminates TLS, in inventory order.
func certUses(inv *inventory.Inventory) []certUse {
	var out []certUse
	for _, o := range inv.ByKind("Ingress") {
		ing, ok := o.Obj.(*networkingv1.Ingress)
		if !ok {
			continue
		}
		hosts := exposure.IngressHosts(ing)
		for i, t := range ing.Spec.TLS {
			if t.SecretName == "" {
				continue
			}
			u := certUse{Object: o, Path: fmt.Sprintf("spec.tls[%d].secretName", i), Namespace: o.EffectiveNamespace(), Secret: t.SecretName}
			for j, h := range t.Hosts {
				u.Hosts = append(u.Hosts, hostAt{h, fmt.Sprintf("spec.tls[%d].hosts[%d]", i, j)})
			}
			if len(t.Hosts) == 0 {
				// An entry without hosts serves the rule hosts no other entry names.
				for _, h := range hosts {
					if h.TLS == i && h.Implicit {
						u.Hosts = append(u.Hosts, hostAt{h.Host, h.Path})
					}
				}
			}
			out = append(out, u)
		}
	}
	for _, gw := range inv.ByKind("Gateway") {
		if !exposure.IsGatewayAPI(gw) {
			continue
		}
		for _, l := range exposure.Listeners(gw) {
			if !l.Terminates() {
				continue
			}
			for _, r := range l.CertRefs {
				if !r.IsSecret() || r.Name == "" {
					continue
				}
				u := certUse{Object: gw, Path: fmt.Sprintf("%s.tls.certificateRefs[%d]", l.Path(), r.Index), Namespace: r.Namespace, Secret: r.Name, Listener: l.Name}
				if l.Hostname != "" {
					u.Hosts = []hostAt{{l.Hostname, l.Path() + ".hostname"}}
				}
				out = append(out, u)
			}
		}
	}
	return out
}

// certManaged reports whether cert-manager is declared to create the Secret of u.
func certManaged(inv *inventory.Inventory, u certUse) bool {
	return exposure.CertManaged(inv, u.Object, u.Namespace, u.Secret)
}
