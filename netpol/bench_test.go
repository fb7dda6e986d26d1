package netpol

import (
	"fmt"
	"math/rand"
	"runtime"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// benchInput builds a cluster shaped like a real one: 50 namespaces of 20 apps each (1,000
// label classes), 10 pods per app (10,000 pods), and 20 policies per namespace (1,000): a
// default deny, DNS egress, ingress from an ingress controller, and app-to-app allows within
// and across namespaces, with named ports, port ranges, expressions and ipBlocks.
func benchInput(namespaces, appsPerNS, podsPerApp, policiesPerNS int) Input {
	r := rand.New(rand.NewSource(1))
	var in Input
	proto := func(p corev1.Protocol) *corev1.Protocol { return &p }
	port := func(n int) *intstr.IntOrString { v := intstr.FromInt32(int32(n)); return &v }
	named := func(s string) *intstr.IntOrString { v := intstr.FromString(s); return &v }
	app := func(ns, i int) string { return fmt.Sprintf("app-%d-%d", ns, i) }
	nsName := func(i int) string { return fmt.Sprintf("ns-%d", i) }
	for n := 0; n < namespaces; n++ {
		in.Namespaces = append(in.Namespaces, Namespace{Name: nsName(n), Labels: labels.Set{"team": fmt.Sprintf("team-%d", n%10), "env": []string{"prod", "staging"}[n%2]}})
		for a := 0; a < appsPerNS; a++ {
			l := labels.Set{"app": app(n, a), "tier": []string{"frontend", "backend", "data"}[a%3], "version": "v1"}
			ports := []NamedPort{{"http", TCP, 8080}, {"metrics", TCP, 9090}}
			if a%3 == 2 {
				ports = append(ports, NamedPort{"db", TCP, 5432})
			}
			for p := 0; p < podsPerApp; p++ {
				in.Workloads = append(in.Workloads, Workload{Namespace: nsName(n), Name: fmt.Sprintf("%s-%d", app(n, a), p), Kind: "Pod", Labels: l, Ports: ports})
			}
		}
	}
	for n := 0; n < namespaces; n++ {
		ns := nsName(n)
		pol := func(name string, spec networkingv1.NetworkPolicySpec) {
			in.Policies = append(in.Policies, PolicyInput{Policy: &networkingv1.NetworkPolicy{
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}, Spec: spec}})
		}
		if n%10 == 9 {
			// Some namespaces deny egress only: their ingress is open.
			pol("default-deny", networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{"Egress"}})
		} else {
			pol("default-deny", networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{"Ingress", "Egress"}})
		}
		pol("dns", networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{"Egress"},
			Egress: []networkingv1.NetworkPolicyEgressRule{{
				To: []networkingv1.NetworkPolicyPeer{{
					NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{NamespaceNameLabel: "kube-system"}},
					PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}},
				}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: proto("UDP"), Port: port(53)}, {Protocol: proto("TCP"), Port: port(53)}},
			}, {
				// Apps may call any pod of the cluster on the usual service ports; the
				// destination's ingress policies decide.
				To:    []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{}}},
				Ports: []networkingv1.NetworkPolicyPort{{Port: port(8080)}, {Port: port(9090)}, {Port: port(5432)}, {Port: port(8000), EndPort: func() *int32 { v := int32(8100); return &v }()}},
			}},
		})
		pol("from-ingress", networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"tier": "frontend"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{NamespaceNameLabel: nsName(0)}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Port: named("http")}},
			}},
		})
		for k := 3; k < policiesPerNS; k++ {
			a := k % appsPerNS
			target := metav1.LabelSelector{MatchLabels: map[string]string{"app": app(n, a)}}
			var spec networkingv1.NetworkPolicySpec
			switch k % 5 {
			case 0: // same-namespace clients on a named port
				spec = networkingv1.NetworkPolicySpec{PodSelector: target, Ingress: []networkingv1.NetworkPolicyIngressRule{{
					From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app(n, r.Intn(appsPerNS))}}}},
					Ports: []networkingv1.NetworkPolicyPort{{Port: named("http")}, {Port: named("db")}},
				}}}
			case 1: // clients of a team's namespaces, AND-ed with a tier
				spec = networkingv1.NetworkPolicySpec{PodSelector: target, Ingress: []networkingv1.NetworkPolicyIngressRule{{
					From: []networkingv1.NetworkPolicyPeer{{
						NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": fmt.Sprintf("team-%d", r.Intn(10))}},
						PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "backend"}},
					}},
					Ports: []networkingv1.NetworkPolicyPort{{Port: port(8080)}},
				}}}
			case 2: // egress to another namespace's app on a port range
				spec = networkingv1.NetworkPolicySpec{PodSelector: target, PolicyTypes: []networkingv1.PolicyType{"Egress"}, Egress: []networkingv1.NetworkPolicyEgressRule{{
					To: []networkingv1.NetworkPolicyPeer{{
						NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{NamespaceNameLabel: nsName(r.Intn(namespaces))}},
						PodSelector:       &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"backend", "data"}}}},
					}},
					Ports: []networkingv1.NetworkPolicyPort{{Port: port(8000), EndPort: func() *int32 { v := int32(8100); return &v }()}},
				}}}
			case 3: // egress to an external range with an except
				spec = networkingv1.NetworkPolicySpec{PodSelector: target, PolicyTypes: []networkingv1.PolicyType{"Egress"}, Egress: []networkingv1.NetworkPolicyEgressRule{{
					To:    []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: fmt.Sprintf("10.%d.0.0/16", n), Except: []string{fmt.Sprintf("10.%d.1.0/24", n)}}}},
					Ports: []networkingv1.NetworkPolicyPort{{Port: port(443)}},
				}}}
			default: // monitoring from every namespace
				spec = networkingv1.NetworkPolicySpec{PodSelector: target, Ingress: []networkingv1.NetworkPolicyIngressRule{{
					From: []networkingv1.NetworkPolicyPeer{{
						NamespaceSelector: &metav1.LabelSelector{},
						PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"app": app(0, 1)}},
					}},
					Ports: []networkingv1.NetworkPolicyPort{{Port: named("metrics")}},
				}}}
			}
			pol(fmt.Sprintf("p-%d", k), spec)
		}
	}
	return in
}

var benchSink any

func BenchmarkBuild10k(b *testing.B) {
	in := benchInput(50, 20, 10, 20)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		benchSink = New(in)
	}
}

func BenchmarkMatrix10k(b *testing.B) {
	e := New(benchInput(50, 20, 10, 20))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		benchSink = e.Matrix()
	}
}

func BenchmarkReach10k(b *testing.B) {
	e := New(benchInput(50, 20, 10, 20))
	ws := e.Workloads()
	r := rand.New(rand.NewSource(2))
	p := Port{Protocol: TCP, Number: 8080}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v, _ := e.Reach(WorkloadEndpoint(ws[r.Intn(len(ws))]), WorkloadEndpoint(ws[r.Intn(len(ws))]), &p)
		benchSink = v
	}
}

func BenchmarkReachInternet10k(b *testing.B) {
	e := New(benchInput(50, 20, 10, 20))
	ws := e.Workloads()
	r := rand.New(rand.NewSource(3))
	net := InternetEndpoint()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		v, _ := e.Reach(WorkloadEndpoint(ws[r.Intn(len(ws))]), net, nil)
		benchSink = v
	}
}

// TestScale10k checks the goals on the benchmark cluster (matrix < 5 s, query < 1 ms) and
// logs time and memory. Skipped with -short.
func TestScale10k(t *testing.T) {
	if testing.Short() {
		t.Skip("scale test")
	}
	in := benchInput(50, 20, 10, 20)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	e := New(in)
	build := time.Since(start)
	start = time.Now()
	m := e.Matrix()
	matrix := time.Since(start)
	runtime.ReadMemStats(&after)
	if got := len(e.Classes()); got != 1000 {
		t.Fatalf("classes = %d, want 1000", got)
	}
	if got := len(e.Policies()); got != 1000 {
		t.Fatalf("policies = %d, want 1000", got)
	}
	runtime.GC()
	var live runtime.MemStats
	runtime.ReadMemStats(&live)
	allowed := 0
	for _, s := range m.Classes() {
		for _, d := range m.Classes() {
			if !m.Ports(s, d).IsEmpty() {
				allowed++
			}
		}
	}
	ws := e.Workloads()
	p := Port{Protocol: TCP, Number: 8080}
	const queries = 10000
	start = time.Now()
	for i := 0; i < queries; i++ {
		_, _ = e.Reach(WorkloadEndpoint(ws[(i*7919)%len(ws)]), WorkloadEndpoint(ws[(i*104729)%len(ws)]), &p)
	}
	query := time.Since(start) / queries
	t.Logf("%d pods, %d classes, %d policies: build %v, matrix %v (%d allowed class pairs of %d), %.0f MB allocated, %.0f MB live (engine and matrix); query %v",
		len(ws), len(e.Classes()), len(e.Policies()), build, matrix, allowed, len(m.Classes())*len(m.Classes()),
		float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), float64(live.HeapAlloc-before.HeapAlloc)/(1<<20), query)
	runtime.KeepAlive(in)
	if matrix > 5*time.Second {
		t.Errorf("matrix took %v, goal < 5s", matrix)
	}
	if query > time.Millisecond {
		t.Errorf("query took %v, goal < 1ms", query)
	}
}
