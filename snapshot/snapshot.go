// Package snapshot writes what a live scan read (objects, facts, read errors) as one YAML file
// that scans offline as the cluster did, and splits such a file back into objects and facts.
// Secret values and encryption keys are never written.
package snapshot

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"

	"github.com/kubeharden/kubeharden/encryption"
	"github.com/kubeharden/kubeharden/live"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/kubeharden/kubeharden/inventory"
)

// A snapshot is a multi-document YAML file of the objects read from a cluster, led by one
// document of kind ClusterFacts (apiVersion kubeharden.io/v1) that carries what the cluster
// told besides its objects, so that `kubeharden scan snapshot.yaml` repeats a live scan
// offline:
//
//	apiVersion: kubeharden.io/v1
//	kind: ClusterFacts
//	metadata: {name: cluster}
//	serverVersion: v1.37.2
//	kubeletVersions: {node-1: v1.36.4}
//	apiServerFlags: {encryption-provider-config: /etc/kubernetes/enc.yaml}
//	errors: [{resource: secrets, message: "forbidden: ..."}]
//	incomplete: [secrets, ingress]
const (
	APIVersion = "kubeharden.io/v1"
	FactsKind  = "ClusterFacts"
)

// Snapshot is what a snapshot holds besides its objects.
type Snapshot struct {
	Facts *inventory.Facts
	// Errors and Incomplete are those of the read the snapshot was taken from.
	Errors     []inventory.Error
	Incomplete []string
}

type factsDoc struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   map[string]string `json:"metadata"`
	inventory.Facts
	Errors     []inventory.Error `json:"errors,omitempty"`
	Incomplete []string          `json:"incomplete,omitempty"`
}

// Write writes objs as a snapshot, led by the ClusterFacts document of s (nil: none).
// Secret values are removed as RedactSecret does, whatever the objects' source, so a
// snapshot never holds more than a check needs. comment, when set, heads the file.
func Write(w io.Writer, comment string, objs []*inventory.Object, s *Snapshot) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	if comment != "" {
		fmt.Fprintf(bw, "# %s\n", comment)
	}
	first := true
	doc := func(v any) error {
		b, err := yaml.Marshal(v)
		if err != nil {
			return err
		}
		if !first {
			bw.WriteString("---\n")
		}
		first = false
		_, err = bw.Write(b)
		return err
	}
	if s != nil {
		fd := factsDoc{APIVersion: APIVersion, Kind: FactsKind, Metadata: map[string]string{"name": "cluster"},
			Errors: s.Errors, Incomplete: s.Incomplete}
		if s.Facts != nil {
			fd.Facts = *s.Facts
		}
		if err := doc(fd); err != nil {
			return err
		}
	}
	for _, o := range objs {
		obj := redacted(o.Obj)
		if err := doc(obj); err != nil {
			return fmt.Errorf("%s: %w", o.Ref, err)
		}
	}
	return bw.Flush()
}

// redacted returns obj, or for a Secret a copy without the values RedactSecret removes, or
// for an EncryptionConfiguration a copy whose keys are stand-ins.
func redacted(obj runtime.Object) runtime.Object {
	switch s := obj.(type) {
	case *corev1.Secret:
		c := s.DeepCopy()
		live.RedactSecret(c)
		return c
	case *unstructured.Unstructured:
		if s.GetKind() == "EncryptionConfiguration" {
			c := s.DeepCopy()
			encryption.Redact(c.Object)
			return c
		}
		if s.GetKind() != "Secret" || s.GetAPIVersion() != "v1" {
			return obj
		}
		var typed corev1.Secret
		if runtime.DefaultUnstructuredConverter.FromUnstructured(s.Object, &typed) != nil {
			// Not a readable Secret: keep only what identifies it.
			u := &unstructured.Unstructured{}
			u.SetAPIVersion("v1")
			u.SetKind("Secret")
			u.SetName(s.GetName())
			u.SetNamespace(s.GetNamespace())
			return u
		}
		typed.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
		live.RedactSecret(&typed)
		return &typed
	}
	return obj
}

// Split removes the ClusterFacts documents from objs (read from files) and returns
// them merged, or nil when there is none. A document that cannot be read as ClusterFacts
// becomes an error at its file and line.
func Split(objs []*inventory.Object) ([]*inventory.Object, *Snapshot, []inventory.Error) {
	var snap *Snapshot
	var errs []inventory.Error
	out := objs[:0:0]
	for _, o := range objs {
		if o.APIVersion != APIVersion || o.Kind != FactsKind {
			out = append(out, o)
			continue
		}
		u, ok := o.Unstructured()
		if !ok {
			out = append(out, o)
			continue
		}
		b, err := json.Marshal(u.Object)
		var fd factsDoc
		if err == nil {
			err = json.Unmarshal(b, &fd)
		}
		if err != nil {
			errs = append(errs, inventory.Error{File: o.Source.File, Line: o.Source.Line, Message: "ClusterFacts: " + err.Error()})
			continue
		}
		if snap == nil {
			snap = &Snapshot{Facts: &inventory.Facts{}}
		}
		mergeFacts(snap.Facts, &fd.Facts)
		if snap.Facts.Object == nil {
			snap.Facts.Object = o
		}
		snap.Errors = append(snap.Errors, fd.Errors...)
		snap.Incomplete = appendUnique(snap.Incomplete, fd.Incomplete...)
	}
	if len(out) == len(objs) {
		return objs, nil, errs
	}
	return out, snap, errs
}

func mergeFacts(dst, src *inventory.Facts) {
	if src.ServerVersion != "" {
		dst.ServerVersion = src.ServerVersion
	}
	for k, v := range src.KubeletVersions {
		if dst.KubeletVersions == nil {
			dst.KubeletVersions = map[string]string{}
		}
		dst.KubeletVersions[k] = v
	}
	for k, v := range src.APIServerFlags {
		if dst.APIServerFlags == nil {
			dst.APIServerFlags = map[string]string{}
		}
		dst.APIServerFlags[k] = v
	}
	dst.DeprecatedAPIRequests = append(dst.DeprecatedAPIRequests, src.DeprecatedAPIRequests...)
}

func appendUnique(dst []string, src ...string) []string {
	for _, s := range src {
		if !slices.Contains(dst, s) {
			dst = append(dst, s)
		}
	}
	return dst
}
