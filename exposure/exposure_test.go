package exposure_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kubeharden/kubeharden/exposure"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func list(t *testing.T, path string) []exposure.Entry {
	t.Helper()
	objs, errs := load.Files([]string{path}, load.Options{})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	return exposure.List(inventory.Build(objs), now)
}

// row renders an entry as the test expects it: kind, object, endpoint, TLS and backends.
func row(e exposure.Entry) string {
	var bs []string
	for _, b := range e.Backends {
		bs = append(bs, b.String())
	}
	return fmt.Sprintf("%s %s/%s %s %s [%s]", e.Kind, e.Object.Namespace, e.Object.Name, e.Endpoint, e.TLS, strings.Join(bs, "; "))
}

func TestList(t *testing.T) {
	got := list(t, "testdata/cluster.yaml")
	want := []string{
		"Ingress shop/shop https://shop.example.com terminated [/ svc/shop/web → Deployment/web:8080/TCP (nginx)]",
		"Ingress shop/shop http://plain.example.com none [/api svc/shop/missing → Service not loaded]",
		"Gateway shop/gw http://*:80 redirect []",
		"Gateway shop/gw https://shop.example.com:443 terminated [svc/shop/web → Deployment/web:8080/TCP (nginx)]",
		"Gateway shop/gw tls://*:8443 passthrough []",
		"LoadBalancer shop/lb lb:443/TCP protocol [Deployment/web:8443/TCP]",
		"NodePort shop/manual node:allocated/TCP none [no selector: endpoints are managed outside the Service]",
		"NodePort shop/np node:31913/TCP unknown [Deployment/web:9113/TCP (nginx)]",
		"ExternalIP shop/np 198.51.100.7:9113/TCP unknown [Deployment/web:9113/TCP (nginx)]",
		"HostPort ops/agent 10.0.0.1:9100/TCP unknown [DaemonSet/agent:9100/TCP (agent)]",
		"HostNetwork ops/debug node:* unknown [Pod/debug]",
	}
	var rows []string
	for _, e := range got {
		rows = append(rows, row(e))
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("entries:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	for _, e := range got {
		switch {
		case e.Kind == exposure.LoadBalancer && strings.Join(e.SourceRanges, ",") != "203.0.113.0/24":
			t.Errorf("source ranges = %v", e.SourceRanges)
		case e.Kind == exposure.NodePort && e.Object.Name == "manual" && e.Plaintext != "PostgreSQL":
			t.Errorf("plaintext = %q", e.Plaintext)
		case e.File == "" || e.Line == 0:
			t.Errorf("%s has no source position", row(e))
		}
	}
	if d := got[0].TLSDetail; d != "secret shop-tls (not loaded)" {
		t.Errorf("TLS detail = %q", d)
	}
}
