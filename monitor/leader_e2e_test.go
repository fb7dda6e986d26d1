package monitor_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeharden/kubeharden/internal/testcluster"
	"github.com/kubeharden/kubeharden/monitor"
)

// TestLeaderElection runs two monitors with leader election (writing OpenReports, with a
// small report size so that reports split): only the leader writes; when it dies without
// releasing the Lease, the other takes over within the lease duration and writes what changed
// meanwhile.
func TestLeaderElection(t *testing.T) {
	testcluster.Need(t, tc)
	const lease = 4 * time.Second
	api := monitor.OpenReportsAPI
	opts := func(id string) monitor.Options {
		return monitor.Options{Config: tc.Admin, ReportAPI: api, MaxReportBytes: 8 << 10,
			LeaderElection: &monitor.LeaderElection{Namespace: "default", Name: "kubeharden-test", Identity: id,
				LeaseDuration: lease, RenewDeadline: 3 * time.Second, RetryPeriod: 500 * time.Millisecond}}
	}
	a := start(t, opts("a"))
	b := start(t, opts("b"))
	var leader, other *running
	within(t, lease+5*time.Second, "a leader", func() string {
		switch {
		case a.m.Leading() && b.m.Leading():
			return "both lead"
		case a.m.Leading():
			leader, other = a, b
		case b.m.Leading():
			leader, other = b, a
		default:
			return "no leader"
		}
		return ""
	})
	atRest(t, api)
	for i := 0; i < 10; i++ {
		if other.m.Leading() {
			t.Fatal("both replicas lead")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n := counter(scrape(t, other.m), "kubeharden_report_writes_total", "", ""); n != 0 {
		t.Errorf("the replica that does not lead wrote %v times", n)
	}
	if n := counter(scrape(t, leader.m), "kubeharden_report_writes_total", "", ""); n == 0 {
		t.Error("the leader wrote nothing")
	}
	_, reps := reports(t, api)
	split := 0
	for _, rs := range reps {
		split = max(split, len(rs))
	}
	if split < 2 {
		t.Errorf("no namespace's report was split at 8 KiB (largest: %d reports)", split)
	}

	// Kill the leader: it stops renewing and does not release the Lease.
	leader.stop()
	killed := time.Now()
	name := tc.Namespace(t, "takeover", nil)
	cs := kubernetes.NewForConfigOrDie(tc.Admin)
	priv := true
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "privileged", Namespace: name},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "p"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "p"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx",
					SecurityContext: &corev1.SecurityContext{Privileged: &priv}}}},
			},
		},
	}
	if _, err := cs.AppsV1().Deployments(name).Create(context.Background(), d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	took := within(t, lease+5*time.Second, "the other replica's takeover", func() string {
		_, reps := reports(t, api)
		if len(reps[name]) == 0 || !other.m.Leading() {
			return fmt.Sprintf("leading=%v, reports in %s: %d", other.m.Leading(), name, len(reps[name]))
		}
		return ""
	})
	t.Logf("leader killed: the other replica leads and wrote the new namespace's report %v later (lease %v)", took.Round(time.Millisecond), lease)
	if since := time.Since(killed); since > lease+5*time.Second {
		t.Errorf("takeover took %v", since)
	}
	atRest(t, api)
}
