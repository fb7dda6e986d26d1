package monitor_test

import (
	"context"
	"sync/atomic"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kubeharden/kubeharden/internal/testcluster"
	"github.com/kubeharden/kubeharden/monitor"
)

// TestMonitorIncremental: after the initial evaluation the monitor hands the evaluator only
// what each event changed, with what depends on it, and never evaluates everything again;
// at rest after every step its reports equal scan --cluster. The steps are the cases where
// an event changes how other objects are read: a workload that stands for the ReplicaSet
// and Pod it controls comes and goes (no controller runs here, so they stay), new objects
// that sort before existing ones, and a namespace whose deletion starts.
func TestMonitorIncremental(t *testing.T) {
	testcluster.Need(t, tc)
	var full, evals atomic.Int32
	r := start(t, monitor.Options{Config: tc.Admin, OnEvaluated: func(e monitor.Evaluation) {
		evals.Add(1)
		if e.Full {
			full.Add(1)
		}
	}})
	defer r.stop()
	if full.Load() != 1 {
		t.Fatalf("%d full evaluations before any change, want the initial one", full.Load())
	}
	api := monitor.PolicyReportAPI
	cs := kubernetes.NewForConfigOrDie(tc.Admin)
	ctx := context.Background()
	const ns = "inc-a"
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}))

	labels := map[string]string{"app": "web"}
	tmpl := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:latest",
			SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}}},
	}
	deploy := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl}}
	d, err := cs.AppsV1().Deployments(ns).Create(ctx, deploy, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := cs.AppsV1().ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: ns, Labels: labels, OwnerReferences: []metav1.OwnerReference{
			{APIVersion: "apps/v1", Kind: "Deployment", Name: d.Name, UID: d.UID, Controller: ptr.To(true)}}},
		Spec: appsv1.ReplicaSetSpec{Selector: &metav1.LabelSelector{MatchLabels: labels}, Template: tmpl},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-1-x", Namespace: ns, Labels: labels, OwnerReferences: []metav1.OwnerReference{
		{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: rs.Name, UID: rs.UID, Controller: ptr.To(true)}}}, Spec: tmpl.Spec}
	must(cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}))
	atRest(t, api)

	// The Deployment goes: its ReplicaSet stands for the Pod now, and is judged.
	if err := cs.AppsV1().Deployments(ns).Delete(ctx, "web", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	atRest(t, api)

	// Objects that sort before those there, and a policy that changes others' findings.
	must(cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "aaa"}}, metav1.CreateOptions{}))
	must(cs.CoreV1().Services(ns).Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "a-web"},
		Spec: corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{}))
	must(cs.NetworkingV1().NetworkPolicies(ns).Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "deny"},
		Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}}}, metav1.CreateOptions{}))
	atRest(t, api)

	// A Deployment of the same name comes back: a new UID, so the ReplicaSet is not its.
	must(cs.AppsV1().Deployments(ns).Create(ctx, deploy, metav1.CreateOptions{}))
	atRest(t, api)

	// The namespace's deletion starts (no controller finishes it here).
	if err := cs.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	atRest(t, api)
	metricsMatchReports(t, r.m, api)

	if n := full.Load(); n != 1 {
		t.Errorf("%d full evaluations in %d; want only the initial one", n, evals.Load())
	}
	if evals.Load() < 6 {
		t.Errorf("only %d evaluations: the changes were not evaluated one step at a time", evals.Load())
	}
}
