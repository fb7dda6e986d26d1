// Package engines declares the engines that checks share, as check.Engine values a check
// lists in Requires and gets with Of. Declaring them once, with the kinds each reads, is what
// lets the monitor know which checks a changed RoleBinding or NetworkPolicy affects.
package engines

import (
	"fmt"
	"maps"
	"reflect"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/utils/ptr"

	"github.com/kubeharden/kubeharden/check"
	"github.com/kubeharden/kubeharden/config"
	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/netpol"
	"github.com/kubeharden/kubeharden/netpol/generate"
	"github.com/kubeharden/kubeharden/psa"
	"github.com/kubeharden/kubeharden/rbac"
)

// Netpol is the reachability engine over Namespaces, workloads and NetworkPolicies.
var Netpol = &check.Engine[*netpol.Engine]{
	Name:  "netpol",
	Reads: []string{"Namespace", check.Workloads, "NetworkPolicy", netpol.ANPKind, netpol.BANPKind, netpol.CNPKind},
	Build: buildNetpol,
}

// rbacKinds are the kinds of the RBAC graph.
var rbacKinds = []string{rbac.RoleKind, rbac.ClusterRoleKind, rbac.RoleBindingKind, rbac.ClusterRoleBindingKind}

// RBAC is the effective-permission engine over Roles, ClusterRoles and their bindings.
// Manifests get the default policy of a cluster; a live cluster or a snapshot (which carry
// facts) have their own. It does not know which service accounts pods run as: escalation
// searches need Escalation.
var RBAC = &check.Engine[*rbac.Engine]{
	Name:  "rbac",
	Reads: rbacKinds,
	Build: func(env check.Env) *rbac.Engine {
		return rbacTracker.For(env).Engine(env.Inv, rbac.Options{Defaults: env.Facts == nil, NoEnvironment: true})
	},
}

// Escalation is the RBAC engine with what its escalation search needs besides RBAC: the
// service accounts of each namespace, those pods run as with a token, and those with a
// token Secret. It shares RBAC's graph, so a change to a pod or a service account does not
// rebuild the graph, and a change to the graph rebuilds both.
var Escalation = &check.Engine[*rbac.Engine]{
	Name: "rbac-escalation",
	// The namespaces known count too: each has a "default" service account.
	Reads: append(append([]string{}, rbacKinds...), "ServiceAccount", "Secret", "Namespace", check.Workloads),
	Build: func(env check.Env) *rbac.Engine {
		return rbacTracker.For(env).WithEnvironmentOf(RBAC.For(env), escalationEnv.For(env))
	},
	Keeps: keepsEnvironment,
}

// keepsEnvironment says whether replacing old by new leaves the escalation environment as
// it was. The environment is sets of names by namespace (see rbac.Engine.WithEnvironment):
// the namespaces known (the Evaluator keeps nothing when they change), the ServiceAccounts,
// the service accounts pod templates name and whether they mount its token, and the
// service accounts of token Secrets. A change that leaves an object's part of those sets
// (and the RBAC objects, which this engine does not keep over) cannot change it.
func keepsEnvironment(env check.Env, old, new *inventory.Object) bool {
	if old.Kind != new.Kind || old.APIVersion != new.APIVersion {
		return false
	}
	ot, nt := old.PodTemplates(), new.PodTemplates()
	switch {
	case len(ot) > 0 || len(nt) > 0:
		// The ServiceAccount a template's token comes from is the same object before and
		// after: only this workload changed.
		return maps.Equal(running(ot, env.Inv), running(nt, env.Inv))
	case new.Kind == "Namespace":
		return true
	case new.Kind == "ServiceAccount":
		a, ok1 := old.Obj.(*corev1.ServiceAccount)
		b, ok2 := new.Obj.(*corev1.ServiceAccount)
		return ok1 && ok2 && ptr.Equal(a.AutomountServiceAccountToken, b.AutomountServiceAccountToken)
	case new.Kind == "Secret":
		a, ok1 := old.Obj.(*corev1.Secret)
		b, ok2 := new.Obj.(*corev1.Secret)
		return ok1 && ok2 && a.Type == b.Type &&
			a.Annotations[corev1.ServiceAccountNameKey] == b.Annotations[corev1.ServiceAccountNameKey]
	}
	return false
}

// running is what pod templates add to the escalation environment: their namespace and
// service account, and whether the pods mount its token.
func running(ts []inventory.PodTemplate, inv *inventory.Inventory) map[[2]string]bool {
	out := map[[2]string]bool{}
	for _, t := range ts {
		k := [2]string{t.Namespace(), t.ServiceAccount()}
		out[k] = out[k] || rbac.Automounts(t, inv)
	}
	return out
}

// PodSecurity is the Pod Security evaluator: the upstream PodSecurity admission checks with
// the cluster's admission configuration (its defaults and exemptions) and, for a live
// cluster, its version. It reads no objects.
var PodSecurity = &check.Engine[*psa.Evaluator]{
	Name: "podsecurity",
	Build: func(env check.Env) *psa.Evaluator {
		var adm *config.PodSecurityAdmission
		if env.Config != nil {
			adm = env.Config.PodSecurity.Admission
		}
		var server string
		if env.Facts != nil {
			server = env.Facts.ServerVersion
		}
		ev, err := psa.New(psa.Options{Admission: adm, ServerVersion: server})
		if err != nil && server != "" {
			// An API server version this package cannot read ("v0.0.0-master"): judge with
			// the newest policy instead.
			ev, err = psa.New(psa.Options{Admission: adm})
		}
		if err != nil {
			// config.Load and --admission-config validate the configuration; reaching this
			// is a bug, which the check runner turns into an error naming the check.
			panic(fmt.Errorf("podSecurity.admission: %w", err))
		}
		return ev
	},
}

// NetpolPlan is what `kubeharden netpol generate` writes for the whole inventory: a default
// deny per namespace and the allows its workloads need, from the Services, Ingresses and
// ConfigMaps that show who talks to whom. The network checks offer it as their fix.
var NetpolPlan = &check.Engine[*generate.Result]{
	Name:  "netpol-plan",
	Reads: append(append([]string{}, Netpol.Reads...), "Service", "Ingress", "ConfigMap"),
	Build: func(env check.Env) *generate.Result {
		return generate.Generate(env.Inv, generate.Options{Engine: Netpol.For(env)})
	},
	Keeps: keepsPlan,
}

// keepsPlan says whether replacing old by new leaves the generated policies as they were:
// of the kinds the plan reads besides the reachability engine's, it reads a ConfigMap's
// data (hosts named in it), a Service's spec and an Ingress's spec, never their metadata
// besides the name.
func keepsPlan(_ check.Env, old, new *inventory.Object) bool {
	switch a := old.Obj.(type) {
	case *corev1.ConfigMap:
		b, ok := new.Obj.(*corev1.ConfigMap)
		return ok && maps.Equal(a.Data, b.Data)
	case *corev1.Service:
		b, ok := new.Obj.(*corev1.Service)
		return ok && reflect.DeepEqual(a.Spec, b.Spec)
	case *networkingv1.Ingress:
		b, ok := new.Obj.(*networkingv1.Ingress)
		return ok && reflect.DeepEqual(a.Spec, b.Spec)
	}
	return false
}
