package gen

import (
	"reflect"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// TestMultitenantMix holds the multitenant profile to the mix it promises, per 10,000
// workloads within 10% (kinds), and to the grants that make it RBAC-heavy.
func TestMultitenantMix(t *testing.T) {
	const n = 10000
	opt := Options{Profile: "multitenant"}
	objs := opt.Objects(n, 1)
	kinds := map[string]int{}
	groups := map[string]bool{}
	clusterAdmin := false
	for _, o := range objs {
		kinds[o.GetObjectKind().GroupVersionKind().Kind]++
		if b, ok := o.(*rbacv1.ClusterRoleBinding); ok {
			clusterAdmin = clusterAdmin || b.RoleRef.Name == "cluster-admin"
			for _, s := range b.Subjects {
				groups[s.Name] = true
			}
		}
	}
	for k, want := range map[string]int{
		"Deployment": 4934, "Pod": 1447, "StatefulSet": 1129, "CronJob": 1037, "Job": 859, "DaemonSet": 594,
		"Service": 4834, "Ingress": 1184, "NetworkPolicy": 2500, "Namespace": 401, "ServiceAccount": 3577,
		"Role": 1732, "RoleBinding": 1732, "ClusterRole": 200, "ClusterRoleBinding": 200,
		"ConfigMap": 4961, "Secret": 3256, "PodDisruptionBudget": 1170, "HorizontalPodAutoscaler": 575,
	} {
		if got := kinds[k]; got < want*9/10 || got > want*11/10 {
			t.Errorf("%d %s, want about %d", got, k, want)
		}
	}
	for _, g := range []string{"system:authenticated", "system:serviceaccounts", "system:anonymous"} {
		if !groups[g] {
			t.Errorf("no ClusterRoleBinding to %s", g)
		}
	}
	if !clusterAdmin {
		t.Error("no ClusterRoleBinding to cluster-admin")
	}
	if !reflect.DeepEqual(opt.Objects(300, 7), opt.Objects(300, 7)) {
		t.Error("same seed, different clusters")
	}
	if (Options{Profile: "nope"}).Valid() == nil {
		t.Error("unknown profile accepted")
	}
}
