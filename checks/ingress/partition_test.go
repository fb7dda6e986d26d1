package ingress_test

import (
	"fmt"
	"testing"

	"github.com/kubeharden/kubeharden/check/checktest"
	"github.com/kubeharden/kubeharden/checks/ingress"
)

// controllerBase runs ingress-nginx with a ConfigMap of its own name that turns the redirect
// off, Cilium without encryption, and a TLS Ingress and a workload in namespaces a, b and c
// (c's Ingress turns the redirect off itself).
var controllerBase = controller("settings") + `---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: ingress-nginx}
data: {ssl-redirect: "false"}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cilium-config, namespace: kube-system}
data: {enable-wireguard: "false"}
` + ingresses("a", "b", "c")

func ingresses(nss ...string) string {
	s := ""
	for _, ns := range nss {
		ann := "{}"
		if ns == "c" {
			ann = `{nginx.ingress.kubernetes.io/ssl-redirect: "false"}`
		}
		s += fmt.Sprintf(`---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: %[1]s, annotations: %[2]s}
spec:
  ingressClassName: nginx
  tls: [{hosts: [%[1]s.example.com], secretName: web-tls}]
  rules: [{host: %[1]s.example.com}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: %[1]s}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
`, ns, ann)
	}
	return s
}

// controller is the ingress-nginx Deployment naming ConfigMap cm of its namespace.
func controller(cm string) string {
	return `apiVersion: apps/v1
kind: Deployment
metadata: {name: controller, namespace: ingress-nginx}
spec:
  selector: {matchLabels: {app: controller}}
  template:
    metadata: {labels: {app: controller}}
    spec:
      containers:
      - name: controller
        image: registry.k8s.io/ingress-nginx/controller:v1.12.0
        args: [/nginx-ingress-controller, --configmap=$(POD_NAMESPACE)/` + cm + `]
`
}

func configMap(ns, name, data string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s, namespace: %s}\ndata: %s\n", name, ns, data)
}

// TestPartitionsEqualFullRun changes what the partitions and the ingress-nginx
// configuration engine of the package answer for — the controller's ConfigMap (which a
// controller names, not by the conventional name), the Ingress its finding names first, a
// controller's flags, Cilium's encryption, an unrelated ConfigMap and workload — and after
// each compares the incremental Evaluator's findings with a full run.
func TestPartitionsEqualFullRun(t *testing.T) {
	checktest.Steps(t, ingress.Checks(), controllerBase, []checktest.Step{
		{Name: "the configuration turns HSTS off", Upsert: configMap("ingress-nginx", "settings", `{ssl-redirect: "false", hsts: "false"}`)},
		{Name: "the configuration forces the redirect", Upsert: configMap("ingress-nginx", "settings", `{ssl-redirect: "false", force-ssl-redirect: "true"}`)},
		{Name: "the configuration stops forcing it", Upsert: configMap("ingress-nginx", "settings", `{ssl-redirect: "false"}`)},
		{Name: "the first Ingress redirects", Upsert: `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: a, annotations: {nginx.ingress.kubernetes.io/ssl-redirect: "true"}}
spec:
  ingressClassName: nginx
  tls: [{hosts: [a.example.com], secretName: web-tls}]
  rules: [{host: a.example.com}]
`},
		{Name: "an unrelated ConfigMap and workload", Upsert: configMap("b", "app", `{mode: "x"}`) + "---\n" + `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: b}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, sidecar.istio.io/inject: "false"}}
    spec:
      containers: [{name: web, image: nginx:1.27}]
`},
		{Name: "the controller names another ConfigMap", Upsert: controller("other")},
		{Name: "the controller names its own again", Upsert: controller("settings")},
		{Name: "Cilium encrypts", Upsert: configMap("kube-system", "cilium-config", `{enable-wireguard: "true"}`)},
		{Name: "Cilium stops encrypting", Upsert: configMap("kube-system", "cilium-config", `{enable-wireguard: "false"}`)},
	})
}
