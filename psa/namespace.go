package psa

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/pod-security-admission/api"
)

// Source says where the level a namespace is judged at comes from.
type Source int

const (
	// FromLabel: the namespace's enforce label (an invalid value reads as restricted, as the
	// API server reads it).
	FromLabel Source = iota
	// FromDefault: the cluster's configured default, for a namespace without enforce label.
	FromDefault
	// Assumed: no enforce label and the cluster's configuration is unknown; AssumedLevel.
	Assumed
)

// Namespace is how Pod Security applies to one namespace.
type Namespace struct {
	Name string
	// Labels are the namespace's pod-security.kubernetes.io/* labels (never nil).
	Labels map[string]string
	// Declared says the Namespace object is known; without it, its labels are unknown and
	// taken to be none.
	Declared bool
	// Policy is the namespace's effective policy as the API server resolves it: labels over
	// the cluster defaults (all privileged when those are unknown).
	Policy api.Policy
	// Errors are label values the API server refuses.
	Errors field.ErrorList
	// Judge is the level and version the namespace's pods are judged at: the enforced
	// ones, or AssumedLevel when neither a label nor a known default sets the level.
	Judge  api.LevelVersion
	Source Source
	// Exempt says the cluster's admission configuration exempts the namespace: the API
	// server ignores its labels and admits every pod.
	Exempt bool
}

// LabelPrefix starts every Pod Security label.
const LabelPrefix = "pod-security.kubernetes.io/"

// Namespace resolves namespace name with the given labels (all of the Namespace object's
// labels, or nil); declared says whether the Namespace object is known.
func (e *Evaluator) Namespace(name string, labels map[string]string, declared bool) Namespace {
	ns := Namespace{Name: name, Labels: map[string]string{}, Declared: declared, Exempt: e.ExemptNamespace(name)}
	for k, v := range labels {
		if strings.HasPrefix(k, LabelPrefix) {
			ns.Labels[k] = v
		}
	}
	ns.Policy, ns.Errors = api.PolicyToEvaluate(ns.Labels, e.defaults)
	ns.Judge = ns.Policy.Enforce
	_, labelled := ns.Labels[api.EnforceLevelLabel]
	switch {
	case labelled:
		ns.Source = FromLabel
	case e.known:
		ns.Source = FromDefault
	default:
		ns.Source, ns.Judge.Level = Assumed, AssumedLevel
	}
	return ns
}

// Restricted is the level and version that would judge the namespace's pods at restricted:
// restricted at the version it is judged at now.
func (ns *Namespace) Restricted() api.LevelVersion {
	return api.LevelVersion{Level: api.LevelRestricted, Version: ns.Judge.Version}
}

// Describe says, for a message, what the namespace enforces and why.
func (ns *Namespace) Describe() string {
	lv := ns.Judge.String()
	switch {
	case ns.Source == FromLabel && hasError(ns.Errors, api.EnforceLevelLabel):
		return `namespace "` + ns.Name + `" has an invalid enforce label, which the API server reads as ` + lv
	case ns.Source == FromLabel:
		return `namespace "` + ns.Name + `" enforces ` + lv
	case ns.Source == FromDefault:
		return `the cluster default enforces ` + lv + ` on namespace "` + ns.Name + `"`
	}
	return `namespace "` + ns.Name + `" sets no enforce level; judged at ` + lv
}

func hasError(errs field.ErrorList, label string) bool {
	for _, e := range errs {
		if e.Field == "metadata.labels["+label+"]" {
			return true
		}
	}
	return false
}
