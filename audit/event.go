// Package audit reads Kubernetes audit logs (audit.k8s.io/v1 Event objects, one JSON
// document a line, as kube-apiserver's --audit-log-path writes them, gzipped or plain,
// rotated files included) and turns each completed request into the attributes the API
// server's authorizer saw: who made it, as whom, and which (verb, group, resource,
// subresource, namespace, name) or non-resource path.
//
// Reading streams: a line is decoded and dropped, so memory does not grow with the size of
// the log. Callers aggregate what they need (see Reader.Each).
package audit

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apiserver/pkg/endpoints/request"
)

// event is the part of an audit.k8s.io/v1 Event this package reads; encoding/json skips the
// rest (request and response bodies at Request level and above) without keeping it.
type event struct {
	Kind                     string            `json:"kind"`
	APIVersion               string            `json:"apiVersion"`
	Level                    string            `json:"level"`
	AuditID                  string            `json:"auditID"`
	Stage                    string            `json:"stage"`
	RequestURI               string            `json:"requestURI"`
	Verb                     string            `json:"verb"`
	User                     userInfo          `json:"user"`
	ImpersonatedUser         *userInfo         `json:"impersonatedUser"`
	ObjectRef                *objectRef        `json:"objectRef"`
	ResponseStatus           *responseStatus   `json:"responseStatus"`
	RequestReceivedTimestamp time.Time         `json:"requestReceivedTimestamp"`
	StageTimestamp           time.Time         `json:"stageTimestamp"`
	Annotations              map[string]string `json:"annotations"`
}

type objectRef struct {
	Resource    string `json:"resource"`
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	APIGroup    string `json:"apiGroup"`
	Subresource string `json:"subresource"`
}

type responseStatus struct {
	Code int `json:"code"`
}

type userInfo struct {
	Username string   `json:"username"`
	Groups   []string `json:"groups"`
}

// Stages of a request in the audit log. A request is counted once, at the stage that ends it.
const (
	StageRequestReceived  = "RequestReceived"
	StageResponseStarted  = "ResponseStarted"
	StageResponseComplete = "ResponseComplete"
	StagePanic            = "Panic"
)

// decisionAnnotation is the audit annotation in which the authorizer records its decision
// ("allow" or "forbid"); its reason is in authorization.k8s.io/reason.
const decisionAnnotation = "authorization.k8s.io/decision"

// Attributes are a request as the authorizer saw it. For a non-resource request Path is set
// and the resource fields are empty.
type Attributes struct {
	Verb        string `json:"verb"`
	APIGroup    string `json:"group"`
	Resource    string `json:"resource,omitempty"`
	Subresource string `json:"subresource,omitempty"`
	Namespace   string `json:"namespace,omitempty"`
	Name        string `json:"name,omitempty"`
	Path        string `json:"path,omitempty"`
}

// Request is one completed request of the log.
type Request struct {
	// User and Groups are the caller the request was authorized as: the impersonated user
	// when the request impersonated one.
	User   string
	Groups []string
	// Impersonator is the authenticated user who impersonated User, "" for none;
	// ImpersonatorGroups are that user's groups.
	Impersonator       string
	ImpersonatorGroups []string
	Attributes         Attributes
	// Denied is true when the authorizer refused the request (decision "forbid", or a 403
	// response in a log without decision annotations).
	Denied bool
	// Code is the HTTP status of the response, 0 when the log has none.
	Code int
	// Time is when the API server received the request.
	Time time.Time
	// AuditID identifies the request across the stages of the log.
	AuditID string
}

// requestInfo parses request URIs as the API server's handler chain does, so that the
// attributes are those the authorizer was asked about (a create's name is empty, whatever the
// created object is called; a URI with /watch/ is a watch).
var requestInfo = &request.RequestInfoFactory{
	APIPrefixes:          sets.NewString("api", "apis"),
	GrouplessAPIPrefixes: sets.NewString("api"),
}

// methods maps the authorizer's verbs back to an HTTP method, which is all RequestInfoFactory
// needs besides the URI to tell the resource and name apart; the verb itself comes from the
// log.
var methods = map[string]string{
	"get": http.MethodGet, "list": http.MethodGet, "watch": http.MethodGet,
	"create": http.MethodPost, "update": http.MethodPut, "patch": http.MethodPatch,
	"delete": http.MethodDelete, "deletecollection": http.MethodDelete,
}

// attributes derives the authorizer's attributes from the event. The request URI decides
// resource, namespace and name as the API server's RequestInfoFactory decides them; when it
// cannot be parsed the objectRef is used instead (a create's name dropped, as the authorizer
// never sees it).
func (ev *event) attributes() (Attributes, bool) {
	a := Attributes{Verb: ev.Verb}
	if ev.RequestURI != "" {
		u, err := url.ParseRequestURI(ev.RequestURI)
		if err == nil {
			m := methods[ev.Verb]
			if m == "" {
				m = http.MethodGet
			}
			info, err := requestInfo.NewRequestInfo(&http.Request{Method: m, URL: u})
			if err == nil {
				if !info.IsResourceRequest {
					a.Path = u.Path
					return a, true
				}
				a.APIGroup, a.Resource, a.Subresource, a.Namespace, a.Name = info.APIGroup, info.Resource, info.Subresource, info.Namespace, info.Name
				return a, a.Resource != ""
			}
		}
	}
	if ev.ObjectRef == nil {
		return a, false
	}
	r := ev.ObjectRef
	a.APIGroup, a.Resource, a.Subresource, a.Namespace, a.Name = r.APIGroup, r.Resource, r.Subresource, r.Namespace, r.Name
	if ev.Verb == "create" && r.Subresource == "" {
		a.Name = ""
	}
	return a, a.Resource != ""
}

// request turns a decoded event into a Request.
func (ev *event) request() (Request, bool) {
	a, ok := ev.attributes()
	if !ok {
		return Request{}, false
	}
	r := Request{User: ev.User.Username, Groups: ev.User.Groups, Attributes: a, Time: ev.RequestReceivedTimestamp, AuditID: ev.AuditID}
	if iu := ev.ImpersonatedUser; iu != nil && iu.Username != "" {
		r.Impersonator, r.ImpersonatorGroups = r.User, r.Groups
		r.User, r.Groups = iu.Username, iu.Groups
	}
	if ev.ResponseStatus != nil {
		r.Code = ev.ResponseStatus.Code
	}
	switch ev.Annotations[decisionAnnotation] {
	case "forbid":
		r.Denied = true
	case "allow":
	default:
		// A 403 may also come from admission (Pod Security, webhooks) after the authorizer
		// allowed the request; without the decision annotation it is taken as a denial.
		r.Denied = r.Code == http.StatusForbidden
	}
	return r, true
}

// final reports whether the event ends its request: ResponseComplete, or Panic.
func (ev *event) final() bool {
	return ev.Stage == StageResponseComplete || ev.Stage == StagePanic
}

// isEvent reports whether the decoded document is an audit Event of a version this package
// reads (v1; v1beta1 has the same fields for what is read here).
func (ev *event) isEvent() bool {
	return ev.Kind == "Event" && strings.HasPrefix(ev.APIVersion, "audit.k8s.io/")
}
