package live

import (
	"context"
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"
)

// tableAccept asks the API server for its Table rendering of a list, as kubectl get does. For
// Secrets the table's columns are name, type, number of keys and age: the type without a
// single value.
const tableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"

// TLSKeepKeys are the Secret keys a kubernetes.io/tls Secret keeps when read from a cluster:
// certificates are public. tls.key is kept as an empty value (see Cluster).
var TLSKeepKeys = map[string]bool{corev1.TLSCertKey: true, corev1.ServiceAccountRootCAKey: true}

// listSecrets reads every Secret's metadata and type, then the certificates of TLS Secrets.
func (l *lister) listSecrets(ctx context.Context, t task) ([]runtime.Object, error) {
	secrets, err := l.listSecretMeta(ctx, t)
	if err != nil {
		return nil, err
	}
	tls, err := l.listTyped(ctx, t, "type="+string(corev1.SecretTypeTLS), func(o runtime.Object) runtime.Object {
		RedactSecret(o.(*corev1.Secret))
		return o
	})
	if err != nil {
		return nil, err
	}
	byUID := make(map[types.UID]int, len(secrets))
	for i, s := range secrets {
		byUID[s.(*corev1.Secret).UID] = i
	}
	for _, o := range tls {
		if i, ok := byUID[o.(*corev1.Secret).UID]; ok {
			secrets[i] = o
		} else {
			// Created between the two lists.
			secrets = append(secrets, o)
		}
	}
	return secrets, nil
}

// RedactSecret removes every value a check does not need from s: all data of Secrets other
// than kubernetes.io/tls, and everything but the certificates of TLS Secrets, whose tls.key
// stays as an empty value marking that a key exists. stringData and kubectl's
// last-applied-configuration annotation (which repeats the data) are dropped.
func RedactSecret(s *corev1.Secret) {
	s.StringData = nil
	if a := s.Annotations; a != nil {
		delete(a, lastApplied)
	}
	if s.Type != corev1.SecretTypeTLS {
		s.Data = nil
		return
	}
	for k := range s.Data {
		switch {
		case TLSKeepKeys[k]:
		case k == corev1.TLSPrivateKeyKey:
			s.Data[k] = []byte{}
		default:
			delete(s.Data, k)
		}
	}
}

// listSecretMeta pages through the Table rendering of Secrets with each row's metadata.
func (l *lister) listSecretMeta(ctx context.Context, t task) ([]runtime.Object, error) {
	c, err := l.typedClient(corev1.SchemeGroupVersion)
	if err != nil {
		return nil, err
	}
	gvk := corev1.SchemeGroupVersion.WithKind("Secret")
	var out []runtime.Object
	cont := ""
	for {
		req := c.Get().Resource("secrets").
			VersionedParams(&metav1.ListOptions{Limit: l.limit(t), Continue: cont}, scheme.ParameterCodec).
			Param("includeObject", string(metav1.IncludeMetadata)).
			SetHeader("Accept", tableAccept)
		if t.namespaced && t.ns != "" {
			req = req.Namespace(t.ns)
		}
		raw, err := req.Do(ctx).Raw()
		if err != nil {
			return nil, err
		}
		var table metav1.Table
		if err := json.Unmarshal(raw, &table); err != nil {
			return nil, fmt.Errorf("decode secrets table: %w", err)
		}
		if table.Kind != "Table" {
			return nil, fmt.Errorf("the server answered the secrets list with %q, not a Table", table.Kind)
		}
		typeCol := -1
		for i, c := range table.ColumnDefinitions {
			if c.Name == "Type" {
				typeCol = i
			}
		}
		for _, row := range table.Rows {
			var pom metav1.PartialObjectMetadata
			if err := json.Unmarshal(row.Object.Raw, &pom); err != nil {
				return nil, fmt.Errorf("decode secret metadata: %w", err)
			}
			s := &corev1.Secret{ObjectMeta: pom.ObjectMeta}
			s.SetGroupVersionKind(gvk)
			if typeCol >= 0 && typeCol < len(row.Cells) {
				if v, ok := row.Cells[typeCol].(string); ok {
					s.Type = corev1.SecretType(v)
				}
			}
			dropRepeated(s)
			out = append(out, s)
		}
		if cont = table.Continue; cont == "" {
			return out, nil
		}
	}
}
