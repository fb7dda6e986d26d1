package generate

import (
	"bytes"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/load"
	"github.com/kubeharden/kubeharden/netpol"
)

// platform stands for what runs beside the app in a real cluster: cluster DNS and the
// ingress controller, where Options expect them.
const platform = `
apiVersion: v1
kind: Pod
metadata: {name: coredns, namespace: kube-system, labels: {k8s-app: kube-dns}}
spec:
  containers:
    - name: coredns
      image: coredns
      ports: [{name: dns, containerPort: 53, protocol: UDP}, {name: dns-tcp, containerPort: 53}]
---
apiVersion: v1
kind: Pod
metadata: {name: controller, namespace: ingress-nginx, labels: {app.kubernetes.io/name: ingress-nginx}}
spec: {containers: [{name: controller, image: ingress-nginx}]}
`

func loadPaths(t *testing.T, paths ...string) []*inventory.Object {
	t.Helper()
	objs, errs := load.Files(paths, load.Options{})
	for _, e := range errs {
		t.Fatalf("load: %v", e)
	}
	return objs
}

func loadText(t *testing.T, s string) []*inventory.Object {
	t.Helper()
	objs, errs := load.Files([]string{"-"}, load.Options{Stdin: strings.NewReader(s)})
	for _, e := range errs {
		t.Fatalf("load: %v", e)
	}
	return objs
}

// applyAndCheck generates policies for objs, applies them (the YAML, read back), and asserts
// with the engine that every intended path works and every other path is closed.
func applyAndCheck(t *testing.T, objs []*inventory.Object) (*Result, string) {
	t.Helper()
	res := Generate(inventory.Build(objs), Options{})
	var out bytes.Buffer
	if err := res.WriteYAML(&out); err != nil {
		t.Fatal(err)
	}
	generated := loadText(t, out.String())
	if len(generated) != len(res.Policies) {
		t.Fatalf("read back %d objects, generated %d", len(generated), len(res.Policies))
	}
	all := append(append(append([]*inventory.Object{}, objs...), loadText(t, platform)...), generated...)
	e := netpol.FromInventory(inventory.Build(all))
	for _, p := range e.Policies() {
		if !p.Valid() {
			t.Errorf("policy %s is invalid: %v", p.ID(), p.Problems)
		}
	}

	appNS := map[string]bool{}
	for _, w := range append(e.Workloads(), e.HostNetworkWorkloads()...) {
		if w.Namespace != "kube-system" && w.Namespace != "ingress-nginx" {
			appNS[w.Namespace] = true
		}
	}
	ep := map[string]netpol.Endpoint{"internet": netpol.InternetEndpoint()}
	var names []string
	for _, w := range e.Workloads() {
		ep[w.ID()] = netpol.WorkloadEndpoint(w)
		names = append(names, w.ID())
	}
	ctrl := "ingress-nginx/controller"
	want := map[[2]string]netpol.PortSet{}
	add := func(from, to string, ports []netpol.Port, dst *netpol.Workload) {
		k := [2]string{from, to}
		for _, p := range ports {
			n := p.Number
			if p.Name != "" {
				for _, np := range dst.Ports {
					if np.Name == p.Name && np.Protocol == p.Protocol {
						n = np.Port
					}
				}
			}
			want[k] = want[k].Union(portSet(p.Protocol, n))
		}
	}
	// Every app pod resolves names.
	for _, n := range names {
		if appNS[strings.Split(n, "/")[0]] {
			add(n, "kube-system/coredns", []netpol.Port{{Protocol: netpol.UDP, Number: 53}, {Protocol: netpol.TCP, Number: 53}}, nil)
		}
	}
	intended := 0
	for _, p := range res.Paths {
		if p.Unexpressed != "" {
			continue
		}
		var from, to string
		switch p.From.Kind {
		case IngressControllerEnd:
			from = ctrl
		case InternetEnd:
			from = "internet"
		default:
			from = p.From.Workload.ID()
		}
		switch p.To.Kind {
		case AddressEnd:
			to = p.To.Addr.String()
			ep[to] = netpol.AddrEndpoint(to, netpol.PrefixSet(p.To.Addr))
		default:
			to = p.To.Workload.ID()
		}
		add(from, to, p.Ports, p.To.Workload)
		intended++
	}
	// Existing policies the generator must not loosen: a pair they already allowed stays
	// as it was; the test only looks at pairs where the app is involved.
	check := func(from, to string) {
		v, err := e.Reach(ep[from], ep[to], nil)
		if err != nil {
			t.Fatalf("%s -> %s: %v", from, to, err)
		}
		got := v.SomePorts
		w := want[[2]string{from, to}]
		if !got.Equal(w) {
			t.Errorf("%s -> %s: open on %s, want %s\n  egress: %s\n  ingress: %s", from, to, got, w,
				v.Egress.Explain(from), v.Ingress.Explain(to))
		}
		if v.Partial {
			t.Errorf("%s -> %s: open to part of the range only", from, to)
		}
	}
	for _, f := range append(append([]string{}, names...), "internet") {
		for _, to := range append(append([]string{}, names...), "internet") {
			if f == to && f == "internet" {
				continue
			}
			if !appNS[strings.Split(f, "/")[0]] && !appNS[strings.Split(to, "/")[0]] {
				continue // neither end is the app's: DNS and the controller are not ours to judge
			}
			check(f, to)
		}
	}
	for k := range ep {
		if strings.Contains(k, ".") && !strings.Contains(k, "/") || strings.Contains(k, "/32") {
			for _, f := range names {
				if appNS[strings.Split(f, "/")[0]] {
					check(f, k)
				}
			}
		}
	}
	t.Logf("%d intended paths hold, %d workloads, %d policies generated", intended, len(names), len(res.Policies))
	return res, out.String()
}

func portSet(proto netpol.Protocol, n uint16) netpol.PortSet {
	return netpol.PortsOf(netpol.PortRange{Protocol: proto, From: n, To: n})
}

func TestGenerateApp(t *testing.T) {
	res, out := applyAndCheck(t, loadPaths(t, "testdata/app.yaml"))
	for _, want := range []string{
		"payments.example.com",             // an external host cannot be named
		"shop-web/agent uses hostNetwork",  // nor a hostNetwork agent
		"shop-api/debug has no pod labels", // nor a pod without labels
		"# From the ingress controller",    // rules say why
		"env API_URL names Service shop-api/api",
		"ConfigMap api-config key DATABASE_URL (envFrom) names Service shop-db/db",
		"args of container dump names Service shop-db/db",
		"cidr: 10.20.30.40/32",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("generated YAML lacks %q", want)
		}
	}
	var paths []string
	for _, p := range res.Paths {
		var ports []string
		for _, pp := range p.Ports {
			ports = append(ports, pp.String())
		}
		s := fmt.Sprintf("%s -> %s %s", p.From, p.To, strings.Join(ports, ","))
		if p.Unexpressed != "" {
			s += " (unexpressed: " + p.Unexpressed + ")"
		}
		paths = append(paths, s)
	}
	sort.Strings(paths)
	wantPaths := []string{
		"shop-api/api -> 10.20.30.40/32 9000/TCP",
		"shop-api/api -> shop-db/db 5432/TCP",
		"shop-api/debug -> shop-api/api 8080/TCP (unexpressed: shop-api/debug has no pod labels)",
		"shop-db/backup -> shop-db/db 5432/TCP",
		"shop-web/agent -> shop-web/cache 6379/TCP (unexpressed: shop-web/agent uses hostNetwork)",
		"shop-web/web -> shop-api/api 8080/TCP",
		"shop-web/web -> shop-web/cache 6379/TCP",
		"the ingress controller -> shop-web/web 8080/TCP",
	}
	if strings.Join(paths, "\n") != strings.Join(wantPaths, "\n") {
		t.Errorf("paths:\n%s\nwant:\n%s", strings.Join(paths, "\n"), strings.Join(wantPaths, "\n"))
	}
	// shop-db has its default deny and DNS, and already lets the backup job into the db:
	// only the db's ingress from the api and the backup job's egress are new.
	for _, p := range res.Policies {
		if p.Object.Namespace == "shop-db" && p.Object.Name == "default-deny" {
			t.Error("shop-db already denies by default; another default-deny was generated")
		}
		if p.Object.Namespace == "shop-db" && p.Object.Name == "db" {
			t.Error("policy shop-db/db exists: a generated one must not take its name")
		}
	}
	if testing.Verbose() {
		fmt.Println(out)
	}
}

// TestGenerateInsecureExample applies the generated policies to examples/insecure.
func TestGenerateInsecureExample(t *testing.T) {
	dir := "../../examples/insecure"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("examples/insecure is not there")
	}
	res, _ := applyAndCheck(t, loadPaths(t, dir))
	if len(res.Paths) == 0 {
		t.Error("no intended paths found in examples/insecure")
	}
}

// TestGenerateHardenedExample: the hardened example needs nothing more.
func TestGenerateHardenedExample(t *testing.T) {
	dir := "../../examples/hardened"
	if _, err := os.Stat(dir); err != nil {
		t.Skip("examples/hardened is not there")
	}
	res := Generate(inventory.Build(loadPaths(t, dir)), Options{})
	for _, p := range res.Policies {
		t.Errorf("generated %s/%s for the hardened example, which needs nothing", p.Object.Namespace, p.Object.Name)
	}
}
