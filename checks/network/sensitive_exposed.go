package network

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/netpol"
)

// SensitiveExposed reports workloads that hold secrets or data and can be reached from
// outside their namespace by sources no one named.
var SensitiveExposed = &check.Check{
	ID:    "network/sensitive-exposed",
	Title: "Sensitive workload is reachable from outside its namespace",
	Doc: "Databases and workloads that hold credentials are what an attacker moving through " +
		"the cluster looks for. The check takes as sensitive a workload that mounts a Secret " +
		"(secret or projected volume, secretKeyRef or secretRef in its environment) or whose pod " +
		"labels name a database (app, app.kubernetes.io/name, app.kubernetes.io/component, " +
		"component, role or tier set to postgres, mysql, mongodb, redis, db and the like), and " +
		"asks the policy engine whether it can be reached from outside its namespace by a source " +
		"nobody named: some public address, a pod without labels in a new namespace (so, any " +
		"namespace), or a pod without labels in one of the other loaded namespaces (so, any pod " +
		"of that namespace). Traffic that a policy allows from named workloads, with a " +
		"podSelector, is intended and not reported. hostNetwork pods are left out: no policy " +
		"applies to them.",
	Severity:    check.High,
	References:  []string{refNSA, refDocs, refLateral, "MITRE ATT&CK T1552 Unsecured Credentials"},
	Remediation: "Select the workload with an ingress policy that allows only its clients: a podSelector for them, with a namespaceSelector on kubernetes.io/metadata.name when they live in another namespace.",
	Run:         runSensitiveExposed,
}

// databaseWords are label values (or dash-separated parts of them) that mean a database.
var databaseWords = map[string]bool{
	"db": true, "database": true, "postgres": true, "postgresql": true, "pg": true, "mysql": true,
	"mariadb": true, "mongo": true, "mongodb": true, "redis": true, "valkey": true, "memcached": true,
	"cassandra": true, "scylla": true, "scylladb": true, "elasticsearch": true, "opensearch": true,
	"couchdb": true, "couchbase": true, "cockroachdb": true, "clickhouse": true, "influxdb": true,
	"neo4j": true, "etcd": true, "timescaledb": true, "mssql": true, "sqlserver": true, "oracle": true,
}

// databaseKeys are the labels that say what a pod is.
var databaseKeys = []string{"app", "app.kubernetes.io/name", "app.kubernetes.io/component", "component", "role", "tier"}

func runSensitiveExposed(p *check.Pass) {
	e := engine(p)
	for _, w := range e.Workloads() {
		if w.Object == nil || w.Template == nil {
			continue
		}
		what, path := sensitive(w)
		if what == "" {
			continue
		}
		var from []string
		if v, err := e.Reach(netpol.InternetEndpoint(), netpol.WorkloadEndpoint(w), nil); err == nil && !v.SomePorts.IsEmpty() {
			if v.Partial || !v.Allowed {
				from = append(from, "some public addresses "+on(v.SomePorts))
			} else {
				from = append(from, "the internet "+on(v.Ports))
			}
		}
		if v, err := e.Reach(stranger, netpol.WorkloadEndpoint(w), nil); err == nil && v.Allowed {
			from = append(from, "pods of any namespace "+on(v.Ports))
		} else {
			for _, ns := range e.Namespaces() {
				if ns.Name == w.Namespace {
					continue
				}
				probe := netpol.Endpoint{Name: "a pod of " + ns.Name, Probe: &netpol.Probe{Namespace: ns.Name}}
				if v, err := e.Reach(probe, netpol.WorkloadEndpoint(w), nil); err == nil && v.Allowed {
					from = append(from, fmt.Sprintf("any pod of namespace %s %s", ns.Name, on(v.Ports)))
				}
			}
		}
		if len(from) == 0 {
			continue
		}
		p.Reportf(w.Object, path, "%s %s (%s) can be reached from outside namespace %q by sources no policy names: %s",
			w.Kind, w.Name, what, w.Namespace, strings.Join(from, "; "))
	}
}

// sensitive says why a workload is sensitive, and where; "" when it is not.
func sensitive(w *netpol.Workload) (what, path string) {
	t := w.Template
	for _, k := range databaseKeys {
		v, ok := w.Labels[k]
		if !ok {
			continue
		}
		for _, part := range strings.FieldsFunc(strings.ToLower(v), func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
			if databaseWords[part] {
				return fmt.Sprintf("labelled %s=%s, a database", k, v), t.MetaPath + ".labels." + k
			}
		}
	}
	spec := t.Spec
	for i, v := range spec.Volumes {
		vp := t.Path + ".volumes[" + strconv.Itoa(i) + "]"
		if v.Secret != nil {
			return "mounts Secret " + v.Secret.SecretName, vp + ".secret"
		}
		if v.Projected != nil {
			for j, src := range v.Projected.Sources {
				if src.Secret != nil {
					return "mounts Secret " + src.Secret.Name, vp + ".projected.sources[" + strconv.Itoa(j) + "].secret"
				}
			}
		}
	}
	for _, c := range t.Containers() {
		if what, p := envSecret(c.Container, c.Path); what != "" {
			return what, p
		}
	}
	return "", ""
}

func envSecret(c *corev1.Container, path string) (string, string) {
	for i, ev := range c.Env {
		if ev.ValueFrom != nil && ev.ValueFrom.SecretKeyRef != nil {
			return "reads Secret " + ev.ValueFrom.SecretKeyRef.Name + " into its environment", path + ".env[" + strconv.Itoa(i) + "].valueFrom.secretKeyRef"
		}
	}
	for i, ef := range c.EnvFrom {
		if ef.SecretRef != nil {
			return "reads Secret " + ef.SecretRef.Name + " into its environment", path + ".envFrom[" + strconv.Itoa(i) + "].secretRef"
		}
	}
	return "", ""
}
