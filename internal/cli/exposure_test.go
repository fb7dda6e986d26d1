package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// exposureRows runs `kubeharden exposure -o json` on dir and renders each entry as
// "kind object endpoint tls plaintext → backends".
func exposureRows(t *testing.T, dir string) []string {
	t.Helper()
	var out, errb bytes.Buffer
	if code := Main([]string{"exposure", "-f", dir, "-o", "json"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var res exposureJSON
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, e := range res.Entries {
		var bs []string
		for _, b := range e.Backends {
			bs = append(bs, b.String())
		}
		rows = append(rows, fmt.Sprintf("%s %s %s %s %s → %s", e.Kind, e.Object, e.Endpoint, e.TLS, e.Plaintext, strings.Join(bs, ", ")))
	}
	return rows
}

// TestExposureInsecureExample lists every entry point of the insecure example: the Ingress
// without TLS, the database on a public load balancer (and the node port it allocates), the
// NodePort frontend and the host-network api.
func TestExposureInsecureExample(t *testing.T) {
	got := exposureRows(t, "../../examples/insecure")
	want := []string{
		"Ingress shop-frontend/Ingress/shop http://shop.example.com none  → / svc/shop-frontend/frontend → Deployment/frontend:80/TCP (nginx)",
		"LoadBalancer shop-db/Service/db lb:5432/TCP none PostgreSQL → StatefulSet/db:5432/TCP (postgres)",
		"NodePort shop-db/Service/db node:allocated/TCP none PostgreSQL → StatefulSet/db:5432/TCP (postgres)",
		"NodePort shop-frontend/Service/frontend node:30080/TCP none HTTP → Deployment/frontend:80/TCP (nginx)",
		"HostNetwork shop-api/Deployment/api node:8080/TCP none HTTP → Deployment/api:8080/TCP (api)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("kubeharden exposure examples/insecure:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestExposureHardenedExample: the hardened app is reached only through its TLS Ingress.
func TestExposureHardenedExample(t *testing.T) {
	got := exposureRows(t, "../../examples/hardened")
	want := "Ingress shop-frontend/Ingress/shop https://shop.example.com terminated  → / svc/shop-frontend/frontend → Deployment/frontend:8080/TCP (nginx)"
	if len(got) != 1 || got[0] != want {
		t.Errorf("kubeharden exposure examples/hardened:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
}

func TestExposureTable(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main([]string{"exposure", "-f", "../../examples/insecure"}, nil, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"KIND", "LoadBalancer", "lb:5432/TCP", "PostgreSQL in clear text", "from anywhere", "examples/insecure/database.yaml:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	if code := Main([]string{"exposure", "-f", "../../examples/insecure", "-o", "yaml"}, nil, &out, &errb); code != 2 {
		t.Errorf("unknown format: exit %d, want 2", code)
	}
}
