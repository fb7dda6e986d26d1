package live

import (
	"context"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/kubeharden/kubeharden/inventory"
)

// metricsText is /metrics as a kube-apiserver writes it, abridged.
const metricsText = `# HELP apiserver_requested_deprecated_apis [STABLE] Gauge of deprecated APIs that have been requested, broken out by API group, version, resource, subresource, and removed_release.
# TYPE apiserver_requested_deprecated_apis gauge
apiserver_requested_deprecated_apis{group="policy",removed_release="1.25",resource="poddisruptionbudgets",subresource="",version="v1beta1"} 1
apiserver_requested_deprecated_apis{group="",removed_release="",resource="endpoints",subresource="",version="v1"} 1
apiserver_requested_deprecated_apis{group="flowcontrol.apiserver.k8s.io",removed_release="1.32",resource="flowschemas",subresource="status",version="v1beta3"} 0
# HELP apiserver_request_total [STABLE] Counter of apiserver requests.
apiserver_request_total{code="200",component="apiserver",verb="GET"} 42
`

func TestParseDeprecatedAPIMetric(t *testing.T) {
	got, err := ParseDeprecatedAPIMetric(metricsText)
	if err != nil {
		t.Fatal(err)
	}
	want := []inventory.DeprecatedAPIRequest{
		{Group: "", Version: "v1", Resource: "endpoints"},
		{Group: "policy", Version: "v1beta1", Resource: "poddisruptionbudgets", RemovedRelease: "1.25"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	for _, bad := range []string{
		`apiserver_requested_deprecated_apis{group="policy" 1`,
		`apiserver_requested_deprecated_apis{group="policy"} one`,
		`apiserver_requested_deprecated_apis{group="policy}`,
	} {
		if _, err := ParseDeprecatedAPIMetric(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestDeprecatedAPIRequests(t *testing.T) {
	forbid := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		if forbid {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"kind":"Status","apiVersion":"v1","status":"Failure","message":"forbidden: User \"dev\" cannot get path \"/metrics\"","reason":"Forbidden","code":403}`))
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		w.Write([]byte(metricsText))
	}))
	defer srv.Close()
	got, err := DeprecatedAPIRequests(context.Background(), &rest.Config{Host: srv.URL})
	if err != nil || len(got) != 2 {
		t.Fatalf("got %v, %v", got, err)
	}
	forbid = true
	if _, err := DeprecatedAPIRequests(context.Background(), &rest.Config{Host: srv.URL}); err == nil || !strings.Contains(err.Error(), "forbidden") {
		t.Errorf("forbidden: error %v", err)
	}
}
