package admission_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kubeharden/kubeharden/admission"
	"github.com/kubeharden/kubeharden/check"
	_ "github.com/kubeharden/kubeharden/checks/all"
	"github.com/kubeharden/kubeharden/internal/gen"
)

func deployments(t testing.TB, n int) []*appsv1.Deployment {
	var out []*appsv1.Deployment
	for _, o := range gen.Objects(n, 1) {
		if d, ok := o.(*appsv1.Deployment); ok {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		t.Fatal("no deployments generated")
	}
	return out
}

func review(t testing.TB, d *appsv1.Deployment) []byte {
	raw, _ := json.Marshal(d)
	b, err := json.Marshal(&admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{UID: types.UID("u-" + d.Name),
			Kind:      metav1.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"},
			Namespace: d.Namespace, Name: d.Name, Operation: admissionv1.Create, Object: runtime.RawExtension{Raw: raw}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func post(h http.Handler, body []byte) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/validate", bytes.NewReader(body)))
	return rec
}

func BenchmarkReview(b *testing.B) {
	s := admission.NewServer(admission.Options{Mode: admission.Deny, FailOn: check.High})
	ds := deployments(b, 200)
	bodies := make([][]byte, len(ds))
	for i, d := range ds {
		bodies[i] = review(b, d)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if rec := post(s, bodies[i%len(bodies)]); rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}

func TestModes(t *testing.T) {
	d := deployments(t, 50)[0]
	d = d.DeepCopy()
	d.Spec.Template.Spec.HostNetwork = true
	for _, mode := range []admission.Mode{admission.Deny, admission.Warn, admission.Audit} {
		s := admission.NewServer(admission.Options{Mode: mode, FailOn: check.High, Metrics: admission.NewMetrics()})
		rec := post(s, review(t, d))
		var r admissionv1.AdmissionReview
		if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil || r.Response == nil {
			t.Fatalf("%s: %d %s", mode, rec.Code, rec.Body)
		}
		resp := r.Response
		if resp.UID != types.UID("u-"+d.Name) {
			t.Errorf("%s: uid %q", mode, resp.UID)
		}
		switch mode {
		case admission.Deny:
			if resp.Allowed || !strings.Contains(resp.Result.Message, "\npodsecurity/hostNamespaces: ") {
				t.Errorf("deny: allowed=%v %v", resp.Allowed, resp.Result)
			}
		case admission.Warn:
			if !resp.Allowed || !strings.Contains(strings.Join(resp.Warnings, "\n"), "podsecurity/hostNamespaces: ") {
				t.Errorf("warn: allowed=%v %q", resp.Allowed, resp.Warnings)
			}
		case admission.Audit:
			if !resp.Allowed || resp.AuditAnnotations["podsecurity.hostNamespaces"] == "" || len(resp.Warnings) > 0 {
				t.Errorf("audit: allowed=%v %v %q", resp.Allowed, resp.AuditAnnotations, resp.Warnings)
			}
		}
		m := httptest.NewRecorder()
		s.ServeHTTP(m, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		if !strings.Contains(m.Body.String(), `kubeharden_admission_decisions_total{decision=`) {
			t.Errorf("%s: no decision metric", mode)
		}
	}
}

func TestExemptNamespace(t *testing.T) {
	d := deployments(t, 50)[0].DeepCopy()
	d.Spec.Template.Spec.HostNetwork = true
	d.Namespace = "kube-system"
	s := admission.NewServer(admission.Options{Exempt: admission.DefaultExempt})
	var r admissionv1.AdmissionReview
	json.Unmarshal(post(s, review(t, d)).Body.Bytes(), &r)
	if r.Response == nil || !r.Response.Allowed || len(r.Response.Warnings) > 0 {
		t.Errorf("kube-system judged: %+v", r.Response)
	}
}

func TestBadBodies(t *testing.T) {
	s := admission.NewServer(admission.Options{})
	for _, body := range []string{"", "{", `{"apiVersion":"v1","kind":"Pod"}`,
		`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}`,
		`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":""}}`,
		strings.Repeat(" ", admission.MaxBodyBytes+10)} {
		rec := post(s, []byte(body))
		if rec.Code != http.StatusBadRequest || rec.Body.Len() == 0 {
			t.Errorf("%.40q: %d %q, want 400 with a reason", body, rec.Code, rec.Body)
		}
	}
}

func FuzzDecodeReview(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","kind":{"kind":"Pod","version":"v1"},"operation":"CREATE","object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"hostNetwork":true,"containers":[{"name":"c","image":"x"}]}}}}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"1","kind":{"kind":"Deployment"},"object":{"kind":"Deployment","spec":{"template":{"spec":{"containers":[{}]}}}}}}`))
	f.Add([]byte(`{}`))
	s := admission.NewServer(admission.Options{Mode: admission.Deny})
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := admission.DecodeReview(body)
		rec := post(s, body)
		if err != nil {
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("decode error %v but status %d", err, rec.Code)
			}
			return
		}
		if rec.Code != http.StatusOK {
			t.Fatalf("valid review answered %d: %s", rec.Code, rec.Body)
		}
		var out admissionv1.AdmissionReview
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Response == nil || out.Response.UID != r.Request.UID {
			t.Fatalf("bad answer %s: %v", rec.Body, err)
		}
	})
}

var _ = fmt.Sprint
