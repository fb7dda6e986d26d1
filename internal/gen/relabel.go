package gen

import "github.com/kubeharden/kubeharden/inventory"

// Relabeled returns a copy of o with one more label, on it and on its pod templates: the
// single change the monitor's benchmarks apply, which moves a workload's pods to a class of
// their own.
func Relabeled(o *inventory.Object) *inventory.Object {
	n := inventory.New(o.Obj.DeepCopyObject(), o.Source, o.Lines)
	l := n.Meta.GetLabels()
	if l == nil {
		l = map[string]string{}
	}
	l["bench"] = "changed"
	n.Meta.SetLabels(l)
	for _, t := range n.PodTemplates() {
		if t.Meta.Labels == nil {
			t.Meta.Labels = map[string]string{}
		}
		t.Meta.Labels["bench"] = "changed"
	}
	return n
}
