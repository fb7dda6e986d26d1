package admission

import (
	"encoding/json"
	"errors"
	"fmt"

	admissionv1 "k8s.io/api/admission/v1"
)

// MaxBodyBytes bounds an AdmissionReview body. The API server's own request limit is 3 MiB
// of object; the review wraps up to two copies of it.
const MaxBodyBytes = 7 << 20

// DecodeReview reads an admission.k8s.io/v1 AdmissionReview request. Every error says what
// is wrong with the body, for the 400 response.
func DecodeReview(body []byte) (*admissionv1.AdmissionReview, error) {
	if len(body) == 0 {
		return nil, errors.New("empty body: want an admission.k8s.io/v1 AdmissionReview")
	}
	if len(body) > MaxBodyBytes {
		return nil, fmt.Errorf("body of %d bytes is larger than %d", len(body), MaxBodyBytes)
	}
	var r admissionv1.AdmissionReview
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("not an AdmissionReview: %v", err)
	}
	if r.APIVersion != "admission.k8s.io/v1" || r.Kind != "AdmissionReview" {
		return nil, fmt.Errorf("apiVersion %q, kind %q: want admission.k8s.io/v1 AdmissionReview", r.APIVersion, r.Kind)
	}
	if r.Request == nil {
		return nil, errors.New("AdmissionReview has no request")
	}
	if r.Request.UID == "" {
		return nil, errors.New("AdmissionReview request has no uid")
	}
	if r.Request.Kind.Kind == "" {
		return nil, errors.New("AdmissionReview request has no kind")
	}
	return &r, nil
}
