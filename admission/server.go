package admission

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
)

// Mode is what the webhook does with findings.
type Mode string

// Modes.
const (
	// Deny rejects an object with findings at or above the fail-on severity; findings below
	// it come back as warnings.
	Deny Mode = "deny"
	// Warn admits the object and returns its findings as admission warnings.
	Warn Mode = "warn"
	// Audit admits the object and records its findings as audit annotations.
	Audit Mode = "audit"
)

// ParseMode reads deny, warn or audit.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(s)); m {
	case Deny, Warn, Audit:
		return m, nil
	}
	return "", fmt.Errorf("mode %q is not deny, warn or audit", s)
}

// DefaultExempt are the namespaces the webhook admits without judging unless told otherwise:
// the control plane's, and the webhook's own (added by the caller).
var DefaultExempt = []string{"kube-system"}

// Cluster is what the webhook knows of the cluster besides the incoming object.
type Cluster interface {
	// Objects returns the cached objects. The slice is not modified by the caller.
	Objects() []*inventory.Object
	// Synced says whether the cache has caught up with the API server.
	Synced() bool
	// Version changes whenever the cached objects do.
	Version() int64
}

// Options configure a Server.
type Options struct {
	// Checks are the checks to enforce; nil means every registered check.
	Checks []*check.Check
	Config *config.Config
	Mode   Mode
	// FailOn is the lowest severity that Deny rejects; zero means Info.
	FailOn check.Severity
	// Exempt are namespaces (globs) admitted without judging.
	Exempt []string
	// Cluster is the cached cluster; nil judges objects on their own.
	Cluster Cluster
	// Metrics records decisions; nil records nothing.
	Metrics *Metrics
	// Now is the clock suppressions expire by; nil means time.Now.
	Now func() time.Time
}

// Server judges AdmissionReviews with the checks.
type Server struct {
	opts Options
	mux  *http.ServeMux

	// enforceable are the checks of opts.Checks the webhook can judge some kind with.
	enforceable []*check.Check
	kindMu      sync.Mutex
	byKind      map[string][]*check.Check

	evMu      sync.Mutex
	ev        *check.Evaluator
	evVersion int64
}

// NewServer returns a server for opts.
func NewServer(opts Options) *Server {
	if opts.Checks == nil {
		opts.Checks = check.All()
	}
	if opts.Config == nil {
		opts.Config = &config.Config{}
	}
	if opts.Mode == "" {
		opts.Mode = Deny
	}
	if opts.FailOn == 0 {
		opts.FailOn = check.Info
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{opts: opts, mux: http.NewServeMux(), byKind: map[string][]*check.Check{}}
	for _, c := range opts.Checks {
		if len(EnforceableKinds(c)) > 0 {
			s.enforceable = append(s.enforceable, c)
		}
	}
	s.mux.HandleFunc("/validate", s.serveValidate)
	s.mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	s.mux.HandleFunc("/readyz", s.serveReady)
	if opts.Metrics != nil {
		s.mux.Handle("/metrics", opts.Metrics.Handler())
	}
	return s
}

// ServeHTTP serves /validate, /healthz, /readyz and /metrics.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) serveReady(w http.ResponseWriter, _ *http.Request) {
	if c := s.opts.Cluster; c != nil && !c.Synced() {
		http.Error(w, "cluster cache not synced", http.StatusServiceUnavailable)
		return
	}
	io.WriteString(w, "ok\n")
}

func (s *Server) serveValidate(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	if r.Method != http.MethodPost {
		s.badRequest(w, http.StatusMethodNotAllowed, "use POST with an AdmissionReview body")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		s.badRequest(w, http.StatusBadRequest, "reading the body: "+err.Error())
		return
	}
	review, err := DecodeReview(body)
	if err != nil {
		s.badRequest(w, http.StatusBadRequest, err.Error())
		return
	}
	resp := s.Review(review.Request)
	out, err := json.Marshal(&admissionv1.AdmissionReview{TypeMeta: review.TypeMeta, Response: resp})
	if err != nil {
		s.badRequest(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(out)
	if m := s.opts.Metrics; m != nil {
		m.observe(review.Request.Kind.Kind, decision(resp), time.Since(start))
	}
}

func (s *Server) badRequest(w http.ResponseWriter, code int, msg string) {
	if m := s.opts.Metrics; m != nil {
		m.badRequests.Inc()
	}
	http.Error(w, msg, code)
}

func decision(r *admissionv1.AdmissionResponse) string {
	switch {
	case !r.Allowed:
		return "denied"
	case len(r.Warnings) > 0:
		return "warned"
	case len(r.AuditAnnotations) > 0:
		return "audited"
	}
	return "allowed"
}

// Review answers one admission request.
func (s *Server) Review(req *admissionv1.AdmissionRequest) *admissionv1.AdmissionResponse {
	resp := &admissionv1.AdmissionResponse{UID: req.UID, Allowed: true}
	if req.Operation == admissionv1.Delete || req.Operation == admissionv1.Connect || len(req.Object.Raw) == 0 {
		return resp
	}
	if req.Namespace != "" && matchAny(s.opts.Exempt, req.Namespace) {
		return resp
	}
	obj, err := decodeObject(req)
	if err != nil {
		// An object the API server accepted but kubeharden cannot read is not kubeharden's to
		// refuse: admit it and say why.
		resp.Warnings = []string{"kubeharden: " + err.Error()}
		return resp
	}
	if obj.Kind == "Namespace" && matchAny(s.opts.Exempt, obj.Name) {
		return resp
	}
	findings, errs := s.Judge(obj)
	for _, e := range errs {
		resp.Warnings = append(resp.Warnings, "kubeharden: "+e.Error())
	}
	var deny []string
	for _, f := range findings {
		line := f.Check + ": " + f.Message
		switch {
		case s.opts.Mode == Deny && f.Severity >= s.opts.FailOn:
			deny = append(deny, line)
		case s.opts.Mode == Audit:
			if resp.AuditAnnotations == nil {
				resp.AuditAnnotations = map[string]string{}
			}
			k := auditKey(f.Check)
			if v := resp.AuditAnnotations[k]; v != "" {
				line = v + "\n" + f.Message
			} else {
				line = f.Severity.String() + ": " + f.Message
			}
			resp.AuditAnnotations[k] = line
		default:
			resp.Warnings = append(resp.Warnings, line)
		}
	}
	if len(deny) > 0 {
		resp.Allowed = false
		resp.Result = &metav1.Status{
			Status: metav1.StatusFailure, Code: http.StatusForbidden, Reason: metav1.StatusReasonForbidden,
			Message: fmt.Sprintf("kubeharden: %d finding(s) at or above %s:\n%s", len(deny), s.opts.FailOn, strings.Join(deny, "\n")),
		}
	}
	return resp
}

// auditKey is an audit annotation key for a check ID; the API server prefixes it with the
// webhook's name.
func auditKey(id string) string {
	k := strings.NewReplacer("/", ".", "_", "-").Replace(id)
	if len(k) > 63 {
		k = k[:63]
	}
	return k
}

func matchAny(patterns []string, s string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, s); ok {
			return true
		}
	}
	return false
}

// decodeObject reads the request's object as the loaders read a manifest.
func decodeObject(req *admissionv1.AdmissionRequest) (*inventory.Object, error) {
	objs, errs := load.Decode("", req.Object.Raw)
	if len(errs) > 0 {
		return nil, fmt.Errorf("reading the %s: %s", req.Kind.Kind, errs[0].Message)
	}
	if len(objs) != 1 {
		return nil, fmt.Errorf("the request holds %d objects, want 1", len(objs))
	}
	o := objs[0]
	if o.Namespace == "" && req.Namespace != "" {
		o.Namespace = req.Namespace
		o.Meta.SetNamespace(req.Namespace)
	}
	if o.Name == "" {
		// Created with generateName: the name is not chosen yet.
		o.Name = req.Name
		if o.Name == "" {
			o.Name = o.Meta.GetGenerateName()
		}
	}
	return o, nil
}
