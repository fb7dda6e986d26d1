package check

import "github.com/kubeharden/kubeharden/inventory"

// SuggestedFix is a machine-applicable change that resolves a finding, as
// analysis.SuggestedFix is for a diagnostic: applying all its edits makes the finding go
// away. A check offers one only where the change cannot break the workload; what needs a
// person's decision (a privileged container, a hostPath) gets a finding without a fix.
type SuggestedFix struct {
	Message string `json:"message"`
	Edits   []Edit `json:"edits"`
}

// EditOp is what an edit does.
type EditOp string

const (
	// SetField sets Path to Value, creating missing parents; it leaves a field that already
	// holds Value alone.
	SetField EditOp = "set"
	// AppendItem appends Value to the list at Path unless the list holds it already.
	AppendItem EditOp = "append"
	// RemoveField deletes Path.
	RemoveField EditOp = "remove"
	// CreateObject adds New as a new object, next to the object the finding is on.
	CreateObject EditOp = "create"
)

// Edit is one change to one object. Paths are written as finding paths are
// ("spec.template.spec.containers[0].securityContext.runAsNonRoot"), relative to the object.
type Edit struct {
	Op EditOp `json:"op"`
	// Object is the object changed; for CreateObject, the object created.
	Object inventory.Ref `json:"object"`
	Path   string        `json:"path,omitempty"`
	Value  any           `json:"value,omitempty"`
	// New is the whole object a CreateObject edit adds, as JSON-like maps.
	New map[string]any `json:"new,omitempty"`
	// Origin says where a value that is not a constant came from ("LimitRange shop/limits",
	// ".kubeharden.yaml resources.defaults"), for the diff's reader.
	Origin string `json:"origin,omitempty"`
}

// SetAt is an edit that sets path of o to v.
func SetAt(o *inventory.Object, path string, v any) Edit {
	return Edit{Op: SetField, Object: o.Ref, Path: path, Value: v}
}
