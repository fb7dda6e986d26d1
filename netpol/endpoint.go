package netpol

import (
	"fmt"
	"sort"
	"strings"
)

// kindAliases are the names kubectl accepts for workload kinds, lower-cased.
var kindAliases = map[string]string{
	"po": "Pod", "pod": "Pod", "pods": "Pod",
	"deploy": "Deployment", "deployment": "Deployment", "deployments": "Deployment",
	"sts": "StatefulSet", "statefulset": "StatefulSet", "statefulsets": "StatefulSet",
	"ds": "DaemonSet", "daemonset": "DaemonSet", "daemonsets": "DaemonSet",
	"rs": "ReplicaSet", "replicaset": "ReplicaSet", "replicasets": "ReplicaSet",
	"rc": "ReplicationController", "replicationcontroller": "ReplicationController", "replicationcontrollers": "ReplicationController",
	"job": "Job", "jobs": "Job",
	"cj": "CronJob", "cronjob": "CronJob", "cronjobs": "CronJob",
}

// Endpoints resolves an endpoint as users write it:
//
//	internet               the public address space
//	10.0.0.0/8, 192.0.2.1  addresses outside the cluster
//	NS/NAME                the workload or pod NAME in namespace NS
//	NS/KIND/NAME           the same, when names clash (KIND as kubectl spells it: deploy, sts, ...)
//	NS/*                   every workload of namespace NS
func (e *Engine) Endpoints(s string) ([]Endpoint, error) {
	if s == "internet" {
		return []Endpoint{InternetEndpoint()}, nil
	}
	if !strings.Contains(s, "/") || looksLikeCIDR(s) {
		p, err := ParseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("endpoint %q: want NAMESPACE/WORKLOAD, NAMESPACE/*, a CIDR or internet", s)
		}
		return []Endpoint{AddrEndpoint(p.String(), PrefixSet(p))}, nil
	}
	parts := strings.Split(s, "/")
	ns := parts[0]
	var kind, name string
	switch len(parts) {
	case 2:
		name = parts[1]
	case 3:
		kind, name = kindAliases[strings.ToLower(parts[1])], parts[2]
		if kind == "" {
			return nil, fmt.Errorf("endpoint %q: unknown workload kind %q", s, parts[1])
		}
	default:
		return nil, fmt.Errorf("endpoint %q: want NAMESPACE/WORKLOAD or NAMESPACE/KIND/NAME", s)
	}
	ws := e.WorkloadsIn(ns)
	var out []Endpoint
	for _, w := range ws {
		if (name == "*" || w.Name == name) && (kind == "" || w.Kind == kind) {
			out = append(out, WorkloadEndpoint(w))
		}
	}
	if len(out) == 0 {
		for _, w := range e.hostNet {
			if w.Namespace == ns && w.Name == name {
				return nil, fmt.Errorf("endpoint %q: %s %s uses hostNetwork; its traffic carries the node's address and no NetworkPolicy applies to it", s, w.Kind, w.ID())
			}
		}
		return nil, fmt.Errorf("endpoint %q: no workload or pod named %q in namespace %q", s, name, ns)
	}
	if name != "*" && len(out) > 1 {
		var kinds []string
		for _, ep := range out {
			kinds = append(kinds, ns+"/"+strings.ToLower(ep.Workload.Kind)+"/"+name)
		}
		sort.Strings(kinds)
		return nil, fmt.Errorf("endpoint %q is ambiguous: say %s", s, strings.Join(kinds, " or "))
	}
	return out, nil
}

func looksLikeCIDR(s string) bool {
	_, err := ParseCIDR(s)
	return err == nil
}
