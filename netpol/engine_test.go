package netpol

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/inventory"
)

func TestInvalidPoliciesHaveProblems(t *testing.T) {
	e := engineOf(t, "testdata/semantics/39-invalid-policies-ignored.yaml")
	want := map[string]string{
		"empty-peer":           "spec.ingress[0].from[0]",
		"endport-on-name":      "spec.ingress[0].ports[0].endPort",
		"except-outside":       "spec.ingress[0].from[0].ipBlock.except[0]",
		"ipblock-and-selector": "spec.ingress[0].from[0]",
		"lowercase-type":       "spec.policyTypes[0]",
		"host-bits":            "spec.ingress[0].from[0].ipBlock.cidr",
	}
	for _, p := range e.Policies() {
		if p.Valid() {
			t.Errorf("%s: valid, want a problem at %s", p.ID(), want[p.Name])
			continue
		}
		if p.Problems[0].Path != want[p.Name] {
			t.Errorf("%s: problems %v, want one at %s", p.ID(), p.Problems, want[p.Name])
		}
	}
}

func TestHostNetworkWorkloadsStayOut(t *testing.T) {
	objs := decode(t, "inline", []byte(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: agent, namespace: ops}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      hostNetwork: true
      containers: [{name: c, image: x}]
`))
	e := FromInventory(inventory.Build(objs))
	if len(e.Workloads()) != 0 || len(e.HostNetworkWorkloads()) != 1 {
		t.Fatalf("workloads %d, hostNetwork %d", len(e.Workloads()), len(e.HostNetworkWorkloads()))
	}
	if _, err := e.Endpoints("ops/agent"); err == nil || !strings.Contains(err.Error(), "hostNetwork") {
		t.Errorf("Endpoints(ops/agent) error = %v, want one about hostNetwork", err)
	}
}

func TestControlledWorkloadsAreRepresentedByTheirController(t *testing.T) {
	objs := decode(t, "inline", []byte(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, uid: d1}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: c, image: x}]}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-5d4f
  namespace: shop
  ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: d1, controller: true}]
spec:
  selector: {matchLabels: {app: web, pod-template-hash: 5d4f}}
  template:
    metadata: {labels: {app: web, pod-template-hash: 5d4f}}
    spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-5d4f-abcde
  namespace: shop
  labels: {app: web, pod-template-hash: 5d4f}
  ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d4f, uid: r1, controller: true}]
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: PodTemplate
metadata: {name: tmpl, namespace: shop}
template:
  metadata: {labels: {app: tmpl}}
  spec: {containers: [{name: c, image: x}]}
`))
	e := FromInventory(inventory.Build(objs))
	if ws := e.Workloads(); len(ws) != 1 || ws[0].Kind != "Deployment" {
		t.Fatalf("workloads = %v, want the Deployment only", ws)
	}
}

func TestDefaultDeny(t *testing.T) {
	objs := decode(t, "inline", []byte(`
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-in, namespace: a}
spec: {podSelector: {}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: open, namespace: b}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress: [{}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: some, namespace: c}
spec:
  podSelector: {matchLabels: {app: x}}
  policyTypes: [Ingress, Egress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: dns, namespace: d}
spec:
  podSelector: {}
  egress:
    - to: [{namespaceSelector: {}}]
      ports: [{port: 53, protocol: UDP}]
`))
	e := FromInventory(inventory.Build(objs))
	for _, c := range []struct {
		ns      string
		d       Direction
		defined bool
	}{
		{"a", Ingress, true}, {"a", Egress, false},
		{"b", Ingress, false}, {"b", Egress, true},
		{"c", Ingress, false}, {"c", Egress, false},
		{"d", Ingress, true}, {"d", Egress, true},
	} {
		if got := len(e.DefaultDeny(c.ns, c.d)) > 0; got != c.defined {
			t.Errorf("DefaultDeny(%s, %s) = %v, want %v", c.ns, c.d, got, c.defined)
		}
	}
}

func TestParsePort(t *testing.T) {
	for in, want := range map[string]string{"80": "80/TCP", "53/udp": "53/UDP", "9/SCTP": "9/SCTP", "http": "http/TCP", "dns/UDP": "dns/UDP"} {
		p, err := ParsePort(in)
		if err != nil || p.String() != want {
			t.Errorf("ParsePort(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	for _, bad := range []string{"0", "65536", "80/ICMP", "", "Http", "a-very-long-port-name"} {
		if _, err := ParsePort(bad); err == nil {
			t.Errorf("ParsePort(%q): no error", bad)
		}
	}
}

func TestIPSet(t *testing.T) {
	p := func(s string) netip.Prefix { return netip.MustParsePrefix(s) }
	s := PrefixSet(p("10.0.0.0/8")).Minus(PrefixSet(p("10.1.0.0/16"), p("10.2.3.0/24")))
	if got, want := s.String(), "10.0.0.0/16, 10.2.0.0/23, 10.2.2.0/24, 10.2.4.0/22, 10.2.8.0/21, 10.2.16.0/20, 10.2.32.0/19, 10.2.64.0/18, 10.2.128.0/17, 10.3.0.0/16, 10.4.0.0/14, 10.8.0.0/13, 10.16.0.0/12, 10.32.0.0/11, 10.64.0.0/10, 10.128.0.0/9"; got != want {
		t.Errorf("10/8 - 10.1/16 - 10.2.3/24 = %s\nwant %s", got, want)
	}
	if s.Contains(netip.MustParseAddr("10.1.2.3")) || !s.Contains(netip.MustParseAddr("10.200.0.1")) {
		t.Error("Contains is wrong")
	}
	if !PrefixSet(p("10.0.0.0/8")).Covers(s) || s.Covers(PrefixSet(p("10.0.0.0/8"))) {
		t.Error("Covers is wrong")
	}
	if Internet.Contains(netip.MustParseAddr("192.168.1.1")) || !Internet.Contains(netip.MustParseAddr("8.8.8.8")) ||
		!Internet.Contains(netip.MustParseAddr("2001:4860::8888")) || Internet.Contains(netip.MustParseAddr("fd00::1")) {
		t.Error("Internet is wrong")
	}
	merged := PrefixSet(p("10.0.0.0/25"), p("10.0.0.128/25"), p("2001:db8::/33"), p("2001:db8:8000::/33"))
	if got := merged.String(); got != "10.0.0.0/24, 2001:db8::/32" {
		t.Errorf("merge = %s", got)
	}
}

func TestPortSet(t *testing.T) {
	a := portRange(TCP, 80, 90).Union(portRange(TCP, 91, 100)).Union(portRange(UDP, 53, 53))
	if a.String() != "80-100/TCP, 53/UDP" {
		t.Errorf("union = %s", a)
	}
	b := a.Intersect(portRange(TCP, 95, 200))
	if b.String() != "95-100/TCP" {
		t.Errorf("intersect = %s", b)
	}
	if !AllPorts.Intersect(b).Equal(b) || !AllPorts.Union(b).IsAll() || !NoPorts.Intersect(AllPorts).IsEmpty() {
		t.Error("all/none identities fail")
	}
}
