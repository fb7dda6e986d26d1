// Package generate writes the NetworkPolicies an application needs: a default deny for
// every namespace that lacks one (with DNS allowed), and for each workload the smallest
// set of allow rules that keeps its intended connections working. Intended connections are
// read from the manifests themselves: Services and the workloads that name them in their
// environment, ConfigMaps or arguments; Ingresses (the ingress controller reaches their
// backends); and NodePort or LoadBalancer Services (clients outside the cluster reach them).
// Every rule carries a comment saying why it exists.
package generate

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kubeharden/kubeharden/inventory"
	"github.com/kubeharden/kubeharden/netpol"
)

// Options tune Generate. Zero values take the defaults in the field comments.
type Options struct {
	// Namespaces limits generation to these namespaces (default: every namespace with
	// workloads). Paths from and to other namespaces still shape the rules.
	Namespaces []string
	// IngressNamespace and IngressLabels say where the ingress controller's pods run
	// (default: namespace ingress-nginx, app.kubernetes.io/name=ingress-nginx).
	IngressNamespace string
	IngressLabels    map[string]string
	// DNSNamespace and DNSLabels say where cluster DNS runs (default: kube-system,
	// k8s-app=kube-dns, which CoreDNS keeps for compatibility).
	DNSNamespace string
	DNSLabels    map[string]string
	// Engine, when set, is the reachability engine of the inventory already built (as the
	// checks share it); nil builds one.
	Engine *netpol.Engine
	// PoliciesOnly says the caller reads only the Policies of Namespaces: paths that no
	// policy of those namespaces needs are not looked for, and Paths and Notes are partial.
	// It makes generating for a few namespaces of a large cluster cheap.
	PoliciesOnly bool
	// Mentioned, when set, returns MentionedNamespaces(o), as a cache may keep it; with
	// PoliciesOnly it finds the workloads that can have paths into Namespaces.
	Mentioned func(o *inventory.Object) []string
}

func (o *Options) defaults() {
	if o.IngressNamespace == "" {
		o.IngressNamespace = "ingress-nginx"
	}
	if o.IngressLabels == nil {
		o.IngressLabels = map[string]string{"app.kubernetes.io/name": "ingress-nginx"}
	}
	if o.DNSNamespace == "" {
		o.DNSNamespace = "kube-system"
	}
	if o.DNSLabels == nil {
		o.DNSLabels = map[string]string{"k8s-app": "kube-dns"}
	}
}

// EndKind says what an end of a path is.
type EndKind int

// The kinds of path ends.
const (
	WorkloadEnd EndKind = iota
	IngressControllerEnd
	InternetEnd
	AddressEnd
)

// End is one end of an intended path.
type End struct {
	Kind     EndKind
	Workload *netpol.Workload // WorkloadEnd
	Addr     netip.Prefix     // AddressEnd
}

func (e End) String() string {
	switch e.Kind {
	case IngressControllerEnd:
		return "the ingress controller"
	case InternetEnd:
		return "clients outside the cluster"
	case AddressEnd:
		return e.Addr.String()
	}
	return e.Workload.ID()
}

// Path is a connection the application needs.
type Path struct {
	From, To End
	// Ports are the destination ports: numbers where the manifests give them, container
	// port names otherwise.
	Ports []netpol.Port
	// Why says where the path was found.
	Why []string
	// Unexpressed, when set, says why no policy could allow the path (a hostNetwork end,
	// pods without labels); the default deny closes it.
	Unexpressed string
}

// Policy is a generated NetworkPolicy with the comments that explain it.
type Policy struct {
	Object *networkingv1.NetworkPolicy
	// Comment heads the document; Rules[d][i] explains rule i of direction d.
	Comment string
	Rules   [2][]string
}

// Result is what Generate found and wrote.
type Result struct {
	Policies []*Policy
	// Paths are every intended path found, including those existing policies already allow.
	Paths []*Path
	// Notes are what could not be expressed as NetworkPolicy (hostNetwork workloads,
	// external host names, unlabelled pods).
	Notes []string

	byNS map[string][]*Policy
}

// PoliciesIn returns the policies generated for namespace ns, in Policies' order.
func (r *Result) PoliciesIn(ns string) []*Policy {
	if r.byNS == nil {
		var out []*Policy
		for _, p := range r.Policies {
			if p.Object.Namespace == ns {
				out = append(out, p)
			}
		}
		return out
	}
	return r.byNS[ns]
}

type gen struct {
	inv   *inventory.Inventory
	eng   *netpol.Engine
	opts  Options
	scope map[string]bool
	paths map[[2]string]*Path
	order []*Path
	notes []string
	noted map[string]bool
	// byNS are allWorkloads by namespace, in their order.
	byNS map[string][]*netpol.Workload
	// scopeClients are the namespaces with a ConfigMap that names a namespace in scope
	// (lean only), and mentioned finds what an object names.
	scopeClients map[string]bool
	mentioned    func(*inventory.Object) []string
	// backendsOf and selectors keep what backends and selectorOf found: every path to a
	// Service, and every rule naming a workload, asked again.
	backendsOf map[*corev1.Service][]*netpol.Workload
	selectors  map[*netpol.Workload]*metav1.LabelSelector
}

// Generate works out the application's paths and the policies that allow exactly them.
func Generate(inv *inventory.Inventory, opts Options) *Result {
	opts.defaults()
	eng := opts.Engine
	if eng == nil {
		eng = netpol.FromInventory(inv)
	}
	g := &gen{inv: inv, eng: eng, opts: opts, paths: map[[2]string]*Path{}, noted: map[string]bool{}}
	if len(opts.Namespaces) > 0 {
		g.scope = map[string]bool{}
		for _, ns := range opts.Namespaces {
			g.scope[ns] = true
		}
	}
	g.findConfigPaths()
	g.findIngressPaths()
	g.findExposedServices()
	res := &Result{Paths: g.order}
	res.Policies = g.policies()
	res.byNS = map[string][]*Policy{}
	for _, p := range res.Policies {
		res.byNS[p.Object.Namespace] = append(res.byNS[p.Object.Namespace], p)
	}
	if !g.lean() {
		g.clusterNotes()
	}
	res.Notes = g.notes
	return res
}

// lean says only the policies of the namespaces in scope are wanted.
func (g *gen) lean() bool { return g.scope != nil && g.opts.PoliciesOnly }

// clientOfScope says whether w can have a path into a namespace in scope: the policies
// there allow paths from workloads whose configuration names one of their Services, and
// a workload reads the ConfigMaps of its own namespace.
func (g *gen) clientOfScope(w *netpol.Workload) bool {
	if g.scopeClients == nil {
		mentioned := g.opts.Mentioned
		if mentioned == nil {
			mentioned = MentionedNamespaces
		}
		g.mentioned = mentioned
		g.scopeClients = map[string]bool{}
		for _, o := range g.inv.ByKind("ConfigMap") {
			if g.mentionsScope(o) {
				g.scopeClients[o.EffectiveNamespace()] = true
			}
		}
	}
	return g.scopeClients[w.Namespace] || (w.Object != nil && g.mentionsScope(w.Object))
}

func (g *gen) mentionsScope(o *inventory.Object) bool {
	for _, ns := range g.mentioned(o) {
		if g.scope[ns] {
			return true
		}
	}
	return false
}

// clusterNotes says what decides traffic besides the generated NetworkPolicies: paths that
// an Admin tier rule denies before any NetworkPolicy is consulted (the generated rule cannot
// open them), and network plugin policies, which are not evaluated.
func (g *gen) clusterNotes() {
	for _, p := range g.order {
		if p.From.Kind != WorkloadEnd || p.To.Kind != WorkloadEnd || p.Unexpressed != "" {
			continue
		}
		for _, port := range p.Ports {
			port := port
			v, err := g.eng.Reach(netpol.WorkloadEndpoint(p.From.Workload), netpol.WorkloadEndpoint(p.To.Workload), &port)
			if err != nil {
				continue
			}
			for _, s := range []netpol.Side{v.Egress, v.Ingress} {
				for _, cd := range s.Cluster {
					if cd.Rule.Policy.Tier == netpol.AdminTier && cd.Rule.Action == netpol.Deny {
						g.note("%s -> %s on %s is denied by %s, which the Admin tier applies before any NetworkPolicy: the generated rule cannot open it", p.From, p.To, port, cd.Rule)
					}
				}
			}
		}
	}
	for _, cp := range netpol.CNIPolicies(g.inv) {
		g.note("%s is a %s policy, which is not evaluated: traffic it blocks in %s is not known here", cp.ID(), cp.Plugin, cp.Touches())
	}
}

func (g *gen) inScope(ns string) bool { return g.scope == nil || g.scope[ns] }

func (g *gen) note(format string, args ...any) {
	s := fmt.Sprintf(format, args...)
	if !g.noted[s] {
		g.noted[s] = true
		g.notes = append(g.notes, s)
	}
}

func endKey(e End) string {
	switch e.Kind {
	case WorkloadEnd:
		return "w:" + e.Workload.Namespace + "/" + e.Workload.Kind + "/" + e.Workload.Name
	case AddressEnd:
		return "a:" + e.Addr.String()
	}
	return fmt.Sprint(int(e.Kind))
}

// addPath records a path, merging ports and reasons with an earlier one between the same
// ends.
func (g *gen) addPath(from, to End, ports []netpol.Port, why string) {
	k := [2]string{endKey(from), endKey(to)}
	p := g.paths[k]
	if p == nil {
		p = &Path{From: from, To: to}
		g.paths[k] = p
		g.order = append(g.order, p)
	}
	for _, np := range ports {
		if !containsPort(p.Ports, np) {
			p.Ports = append(p.Ports, np)
		}
	}
	for _, w := range p.Why {
		if w == why {
			return
		}
	}
	p.Why = append(p.Why, why)
}

func containsPort(ps []netpol.Port, p netpol.Port) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

func (g *gen) allWorkloads() []*netpol.Workload {
	return append(append([]*netpol.Workload{}, g.eng.Workloads()...), g.eng.HostNetworkWorkloads()...)
}

// service finds the Service a host name means, from a client in clientNS.
func (g *gen) service(host, clientNS string) *corev1.Service {
	for _, c := range serviceCandidates(host, clientNS) {
		if o := g.inv.Get("Service", c[0], c[1]); o != nil {
			if svc, ok := o.Obj.(*corev1.Service); ok {
				return svc
			}
		}
	}
	return nil
}

// backends are the workloads a Service sends traffic to.
func (g *gen) backends(svc *corev1.Service) []*netpol.Workload {
	if len(svc.Spec.Selector) == 0 || svc.Spec.Type == corev1.ServiceTypeExternalName {
		return nil
	}
	if out, ok := g.backendsOf[svc]; ok {
		return out
	}
	if g.backendsOf == nil {
		g.backendsOf = map[*corev1.Service][]*netpol.Workload{}
	}
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	ns := svc.Namespace
	if ns == "" {
		ns = inventory.DefaultNamespace
	}
	if g.byNS == nil {
		g.byNS = map[string][]*netpol.Workload{}
	}
	// The workloads of ns in allWorkloads' order, found a namespace at a time: a few
	// namespaces' policies need not sort every workload.
	in, ok := g.byNS[ns]
	if !ok {
		in = g.eng.WorkloadsIn(ns)
		for _, w := range g.eng.HostNetworkWorkloads() {
			if w.Namespace == ns {
				in = append(in, w)
			}
		}
		g.byNS[ns] = in
	}
	var out []*netpol.Workload
	for _, w := range in {
		if sel.Matches(w.Labels) {
			out = append(out, w)
		}
	}
	g.backendsOf[svc] = out
	return out
}

// targets are the backend's ports behind the Service's ports: the one numbered port when
// given and served, else all of them. Named target ports become numbers where the backend
// declares them.
func targets(svc *corev1.Service, port int, backend *netpol.Workload) []netpol.Port {
	var sps []corev1.ServicePort
	for _, sp := range svc.Spec.Ports {
		if port == 0 || int(sp.Port) == port {
			sps = append(sps, sp)
		}
	}
	if len(sps) == 0 {
		sps = svc.Spec.Ports
	}
	var out []netpol.Port
	for _, sp := range sps {
		proto := netpol.TCP
		if sp.Protocol != "" {
			var ok bool
			if proto, ok = netpol.ParseProtocol(string(sp.Protocol)); !ok {
				continue
			}
		}
		p := netpol.Port{Protocol: proto}
		switch {
		case sp.TargetPort.Type == intstr.String && sp.TargetPort.StrVal != "":
			p.Name = sp.TargetPort.StrVal
			for _, np := range backend.Ports {
				if np.Name == p.Name && np.Protocol == proto {
					p.Name, p.Number = "", np.Port
				}
			}
			if p.Name != "" {
				continue // the backend has no such port: the Service sends nothing there
			}
		case sp.TargetPort.IntVal != 0:
			p.Number = uint16(sp.TargetPort.IntVal)
		default:
			p.Number = uint16(sp.Port)
		}
		if !containsPort(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func svcID(svc *corev1.Service) string {
	ns := svc.Namespace
	if ns == "" {
		ns = inventory.DefaultNamespace
	}
	return ns + "/" + svc.Name
}

// findConfigPaths reads every workload's configuration for the hosts it calls.
func (g *gen) findConfigPaths() {
	for _, w := range g.allWorkloads() {
		if w.Template == nil {
			continue
		}
		if g.lean() && !g.inScope(w.Namespace) && !g.clientOfScope(w) {
			continue
		}
		from := End{Kind: WorkloadEnd, Workload: w}
		for _, t := range texts(g.inv, w.Template) {
			for _, m := range mentions(t) {
				if a, err := netip.ParseAddr(m.host); err == nil {
					if m.port == 0 {
						g.note("%s names address %s (%s) without a port: no egress rule written for it", w.ID(), a, m.why)
						continue
					}
					g.addPath(from, End{Kind: AddressEnd, Addr: netip.PrefixFrom(a, a.BitLen())},
						[]netpol.Port{{Protocol: netpol.TCP, Number: uint16(m.port)}}, m.why+" names "+a.String())
					continue
				}
				svc := g.service(m.host, w.Namespace)
				if svc == nil {
					if strings.Contains(m.host, ".") && !strings.HasSuffix(m.host, ".local") && !strings.Contains(m.host, ".svc") {
						g.note("%s calls %s (%s): NetworkPolicy cannot name hosts outside the cluster; allow their addresses with an ipBlock egress rule", w.ID(), m.host, m.why)
					}
					continue
				}
				for _, b := range g.backends(svc) {
					if ps := targets(svc, m.port, b); len(ps) > 0 {
						g.addPath(from, End{Kind: WorkloadEnd, Workload: b}, ps,
							fmt.Sprintf("%s names Service %s", m.why, svcID(svc)))
					}
				}
			}
		}
	}
}

// findIngressPaths adds the ingress controller's paths to every Ingress backend.
func (g *gen) findIngressPaths() {
	for _, o := range g.inv.ByKind("Ingress") {
		ing, ok := o.Obj.(*networkingv1.Ingress)
		if !ok || (g.lean() && !g.inScope(o.EffectiveNamespace())) {
			continue
		}
		ns := o.EffectiveNamespace()
		var refs []*networkingv1.IngressServiceBackend
		if b := ing.Spec.DefaultBackend; b != nil && b.Service != nil {
			refs = append(refs, b.Service)
		}
		for _, r := range ing.Spec.Rules {
			if r.HTTP == nil {
				continue
			}
			for _, p := range r.HTTP.Paths {
				if p.Backend.Service != nil {
					refs = append(refs, p.Backend.Service)
				}
			}
		}
		for _, ref := range refs {
			so := g.inv.Get("Service", ns, ref.Name)
			if so == nil {
				continue
			}
			svc, ok := so.Obj.(*corev1.Service)
			if !ok {
				continue
			}
			port := int(ref.Port.Number)
			if ref.Port.Name != "" {
				for _, sp := range svc.Spec.Ports {
					if sp.Name == ref.Port.Name {
						port = int(sp.Port)
					}
				}
			}
			for _, b := range g.backends(svc) {
				if ps := targets(svc, port, b); len(ps) > 0 {
					g.addPath(End{Kind: IngressControllerEnd}, End{Kind: WorkloadEnd, Workload: b}, ps,
						fmt.Sprintf("Ingress %s/%s routes to Service %s", ns, o.Name, svcID(svc)))
				}
			}
		}
	}
}

// findExposedServices adds paths from outside the cluster to NodePort and LoadBalancer
// Services' backends.
func (g *gen) findExposedServices() {
	for _, o := range g.inv.ByKind("Service") {
		svc, ok := o.Obj.(*corev1.Service)
		if !ok || (svc.Spec.Type != corev1.ServiceTypeNodePort && svc.Spec.Type != corev1.ServiceTypeLoadBalancer) ||
			(g.lean() && !g.inScope(o.EffectiveNamespace())) {
			continue
		}
		for _, b := range g.backends(svc) {
			if ps := targets(svc, 0, b); len(ps) > 0 {
				g.addPath(End{Kind: InternetEnd}, End{Kind: WorkloadEnd, Workload: b}, ps,
					fmt.Sprintf("Service %s is type %s: clients outside the cluster connect to it (if they should not, make it ClusterIP and drop this rule)", svcID(svc), svc.Spec.Type))
			}
		}
	}
}

// generatedLabels are added by controllers and differ from pod to pod or release to
// release: no good for selecting a workload.
var generatedLabels = map[string]bool{
	"pod-template-hash": true, "controller-revision-hash": true, "statefulset.kubernetes.io/pod-name": true,
	"controller-uid": true, "job-name": true, "batch.kubernetes.io/controller-uid": true, "batch.kubernetes.io/job-name": true,
	"apps.kubernetes.io/pod-index": true, "batch.kubernetes.io/job-completion-index": true,
}

// selectorOf is the podSelector that picks out w's pods: its controller's selector, or its
// stable pod labels. nil when the pods carry no labels to select them by.
func (g *gen) selectorOf(w *netpol.Workload) *metav1.LabelSelector {
	sel, ok := g.selectors[w]
	if !ok {
		sel = g.findSelector(w)
		if g.selectors == nil {
			g.selectors = map[*netpol.Workload]*metav1.LabelSelector{}
		}
		g.selectors[w] = sel
	}
	if sel == nil {
		return nil
	}
	return sel.DeepCopy()
}

// findSelector is selectorOf, uncached and not copied.
func (g *gen) findSelector(w *netpol.Workload) *metav1.LabelSelector {
	var sel *metav1.LabelSelector
	if w.Object != nil {
		switch o := w.Object.Obj.(type) {
		case *appsv1.Deployment:
			sel = o.Spec.Selector
		case *appsv1.StatefulSet:
			sel = o.Spec.Selector
		case *appsv1.DaemonSet:
			sel = o.Spec.Selector
		case *appsv1.ReplicaSet:
			sel = o.Spec.Selector
		case *corev1.ReplicationController:
			if len(o.Spec.Selector) > 0 {
				sel = &metav1.LabelSelector{MatchLabels: o.Spec.Selector}
			}
		case *batchv1.Job:
			if o.Spec.ManualSelector != nil && *o.Spec.ManualSelector {
				sel = o.Spec.Selector
			}
		}
	}
	stable := map[string]string{}
	for k, v := range w.Labels {
		if !generatedLabels[k] {
			stable[k] = v
		}
	}
	if sel == nil || g.selectsOthers(sel, w) {
		if len(stable) == 0 {
			return nil
		}
		sel = &metav1.LabelSelector{MatchLabels: stable}
	}
	return sel
}

// selectsOthers reports whether sel also matches other workloads of w's namespace.
func (g *gen) selectsOthers(sel *metav1.LabelSelector, w *netpol.Workload) bool {
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return true
	}
	for _, o := range g.eng.WorkloadsIn(w.Namespace) {
		if o != w && o.Class() != w.Class() && s.Matches(o.Labels) {
			return true
		}
	}
	return false
}

func nsSelector(ns string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{netpol.NamespaceNameLabel: ns}}
}

// peers is how a policy in namespace policyNS names e; nil when it cannot.
func (g *gen) peers(e End, policyNS string) []networkingv1.NetworkPolicyPeer {
	switch e.Kind {
	case IngressControllerEnd:
		return []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsSelector(g.opts.IngressNamespace),
			PodSelector: &metav1.LabelSelector{MatchLabels: g.opts.IngressLabels}}}
	case InternetEnd:
		return []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}}, {IPBlock: &networkingv1.IPBlock{CIDR: "::/0"}}}
	case AddressEnd:
		return []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: e.Addr.String()}}}
	case WorkloadEnd:
		sel := g.selectorOf(e.Workload)
		if sel == nil {
			return nil
		}
		p := networkingv1.NetworkPolicyPeer{PodSelector: sel}
		if e.Workload.Namespace != policyNS {
			p.NamespaceSelector = nsSelector(e.Workload.Namespace)
		}
		return []networkingv1.NetworkPolicyPeer{p}
	}
	return nil
}

func policyPorts(ps []netpol.Port) []networkingv1.NetworkPolicyPort {
	sorted := append([]netpol.Port(nil), ps...)
	sort.Slice(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		if a.Protocol != b.Protocol {
			return a.Protocol < b.Protocol
		}
		if a.Number != b.Number {
			return a.Number < b.Number
		}
		return a.Name < b.Name
	})
	var out []networkingv1.NetworkPolicyPort
	for _, p := range sorted {
		proto := corev1.Protocol(p.Protocol.String())
		v := intstr.FromInt32(int32(p.Number))
		if p.Name != "" {
			v = intstr.FromString(p.Name)
		}
		out = append(out, networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &v})
	}
	return out
}

func (g *gen) dnsRule() networkingv1.NetworkPolicyEgressRule {
	udp, tcp := corev1.ProtocolUDP, corev1.ProtocolTCP
	p53 := intstr.FromInt32(53)
	return networkingv1.NetworkPolicyEgressRule{
		To: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: nsSelector(g.opts.DNSNamespace),
			PodSelector: &metav1.LabelSelector{MatchLabels: g.opts.DNSLabels}}},
		Ports: []networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: &p53}, {Protocol: &tcp, Port: &p53}},
	}
}

func newPolicy(ns, name string) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: map[string]string{"app.kubernetes.io/managed-by": "kubeharden"}},
	}
}

// policies writes the default denies and the allow policies.
func (g *gen) policies() []*Policy {
	var nss []string
	seenNS := map[string]bool{}
	for _, w := range g.allWorkloads() {
		if !seenNS[w.Namespace] && g.inScope(w.Namespace) {
			seenNS[w.Namespace] = true
			nss = append(nss, w.Namespace)
		}
	}
	sort.Strings(nss)
	taken := map[string]map[string]bool{}
	name := func(ns, want string) string {
		if taken[ns] == nil {
			taken[ns] = map[string]bool{}
			for _, p := range g.eng.PoliciesIn(ns) {
				taken[ns][p.Name] = true
			}
		}
		n := want
		for i := 2; taken[ns][n]; i++ {
			n = fmt.Sprintf("%s-%d", want, i)
		}
		taken[ns][n] = true
		return n
	}
	var out []*Policy
	// Default denies first; then judge each path against the existing policies plus them,
	// so that nothing already allowed is allowed twice.
	var extra []netpol.PolicyInput
	dns := netpol.Endpoint{Name: "cluster DNS", Probe: &netpol.Probe{Namespace: g.opts.DNSNamespace, Labels: g.opts.DNSLabels}}
	udp53 := netpol.Port{Protocol: netpol.UDP, Number: 53}
	for _, ns := range nss {
		in, eg := len(g.eng.DefaultDeny(ns, netpol.Ingress)) > 0, len(g.eng.DefaultDeny(ns, netpol.Egress)) > 0
		if in && eg {
			continue
		}
		np := newPolicy(ns, name(ns, "default-deny"))
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
		np.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{g.dnsRule()}
		out = append(out, &Policy{Object: np,
			Comment: fmt.Sprintf("Namespace %s: deny all ingress and egress by default; the policies below open what the app needs.", ns),
			Rules:   [2][]string{nil, {fmt.Sprintf("Every pod resolves names through cluster DNS (%s in %s).", labels.Set(g.opts.DNSLabels), g.opts.DNSNamespace)}}})
		extra = append(extra, netpol.PolicyInput{Policy: np, Object: inventory.New(np, inventory.Source{}, nil)})
	}
	eng := g.eng
	if len(extra) > 0 {
		eng = g.eng.WithPolicies(extra)
	}
	// The workloads of eng by object, indexed a namespace at a time as paths ask: a few
	// namespaces' policies need not index every workload.
	byObj := map[*inventory.Object]*netpol.Workload{}
	indexed := map[string]bool{}
	counterpart := func(w *netpol.Workload) *netpol.Workload {
		if !indexed[w.Namespace] {
			indexed[w.Namespace] = true
			for _, x := range eng.WorkloadsIn(w.Namespace) {
				byObj[x.Object] = x
			}
		}
		return byObj[w.Object]
	}
	endpoint := func(e End) (netpol.Endpoint, bool) {
		switch e.Kind {
		case IngressControllerEnd:
			return netpol.Endpoint{Name: "ingress controller", Probe: &netpol.Probe{Namespace: g.opts.IngressNamespace, Labels: g.opts.IngressLabels}}, true
		case InternetEnd:
			return netpol.InternetEndpoint(), true
		case AddressEnd:
			return netpol.AddrEndpoint(e.Addr.String(), netpol.PrefixSet(e.Addr)), true
		}
		w := counterpart(e.Workload)
		if w == nil {
			return netpol.Endpoint{}, false
		}
		return netpol.WorkloadEndpoint(w), true
	}
	// allowed reports whether the policies (existing and default denies) already let the
	// path through on direction d for every port.
	allowed := func(p *Path, d netpol.Direction) bool {
		from, ok1 := endpoint(p.From)
		to, ok2 := endpoint(p.To)
		if !ok1 || !ok2 {
			return false
		}
		for i := range p.Ports {
			v, err := eng.Reach(from, to, &p.Ports[i])
			if err != nil {
				return false
			}
			s := v.Ingress
			if d == netpol.Egress {
				s = v.Egress
			}
			if !s.Allowed {
				return false
			}
		}
		return true
	}
	// DNS for namespaces that deny egress already but do not allow DNS.
	for _, ns := range nss {
		if len(g.eng.DefaultDeny(ns, netpol.Ingress)) == 0 || len(g.eng.DefaultDeny(ns, netpol.Egress)) == 0 {
			continue
		}
		probe := netpol.Endpoint{Name: "a pod of " + ns, Probe: &netpol.Probe{Namespace: ns}}
		if v, err := eng.Reach(probe, dns, &udp53); err == nil && v.Egress.Allowed {
			continue
		}
		np := newPolicy(ns, name(ns, "allow-dns"))
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}
		np.Spec.Egress = []networkingv1.NetworkPolicyEgressRule{g.dnsRule()}
		out = append(out, &Policy{Object: np,
			Comment: fmt.Sprintf("Namespace %s denies egress by default but not to cluster DNS.", ns),
			Rules:   [2][]string{nil, {fmt.Sprintf("Every pod resolves names through cluster DNS (%s in %s).", labels.Set(g.opts.DNSLabels), g.opts.DNSNamespace)}}})
	}

	// Each workload's paths in and out, in path order: looking them up by scanning every
	// path for every workload was quadratic in the cluster's size.
	ins, egs := map[string][]*Path{}, map[string][]*Path{}
	for _, p := range g.order {
		ins[endKey(p.To)] = append(ins[endKey(p.To)], p)
		egs[endKey(p.From)] = append(egs[endKey(p.From)], p)
	}
	for _, w := range g.allWorkloads() {
		if !g.inScope(w.Namespace) {
			continue
		}
		self := endKey(End{Kind: WorkloadEnd, Workload: w})
		in, eg := ins[self], egs[self]
		if len(in)+len(eg) == 0 {
			continue
		}
		if w.HostNetwork {
			for _, p := range in {
				p.Unexpressed = w.ID() + " uses hostNetwork"
				g.note("%s uses hostNetwork: no policy can guard its ingress (%s -> %s); firewall the node instead", w.ID(), p.From, w.ID())
			}
			for _, p := range eg {
				p.Unexpressed = w.ID() + " uses hostNetwork"
				if p.To.Kind == WorkloadEnd && !p.To.Workload.HostNetwork {
					g.note("%s uses hostNetwork: its connections to %s come from the node's address, which a podSelector cannot match; allow the nodes' CIDR with an ipBlock in %s's policy", w.ID(), p.To, p.To)
				}
			}
			continue
		}
		sel := g.selectorOf(w)
		if sel == nil {
			for _, p := range append(append([]*Path{}, in...), eg...) {
				p.Unexpressed = w.ID() + " has no pod labels"
			}
			g.note("%s has no pod labels to select it by: label its pod template, then generate again (until then the default deny closes its paths)", w.ID())
			continue
		}
		np := newPolicy(w.Namespace, name(w.Namespace, w.Name))
		np.Spec.PodSelector = *sel
		pol := &Policy{Object: np, Comment: fmt.Sprintf("%s %s: the connections it needs, and no others.", w.Kind, w.ID())}
		for _, p := range in {
			if p.From.Kind == WorkloadEnd && p.From.Workload.HostNetwork {
				p.Unexpressed = p.From.String() + " uses hostNetwork"
				continue // noted with the source
			}
			if allowed(p, netpol.Ingress) {
				continue
			}
			peers := g.peers(p.From, w.Namespace)
			if peers == nil {
				p.Unexpressed = p.From.String() + " has no pod labels"
				g.note("%s has no pod labels to select it by: %s cannot allow it in", p.From, w.ID())
				continue
			}
			np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: peers, Ports: policyPorts(p.Ports)})
			pol.Rules[netpol.Ingress] = append(pol.Rules[netpol.Ingress], fmt.Sprintf("From %s: %s.", p.From, strings.Join(p.Why, "; ")))
		}
		for _, p := range eg {
			if p.To.Kind == WorkloadEnd && p.To.Workload.HostNetwork {
				p.Unexpressed = p.To.String() + " uses hostNetwork"
				g.note("%s uses hostNetwork: %s's connections to it go to the node's address, which a podSelector cannot match; allow the nodes' CIDR with an ipBlock", p.To, w.ID())
				continue
			}
			if allowed(p, netpol.Egress) {
				continue
			}
			peers := g.peers(p.To, w.Namespace)
			if peers == nil {
				p.Unexpressed = p.To.String() + " has no pod labels"
				g.note("%s has no pod labels to select it by: %s cannot allow connections to it", p.To, w.ID())
				continue
			}
			np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{To: peers, Ports: policyPorts(p.Ports)})
			pol.Rules[netpol.Egress] = append(pol.Rules[netpol.Egress], fmt.Sprintf("To %s: %s.", p.To, strings.Join(p.Why, "; ")))
		}
		if len(np.Spec.Ingress) > 0 {
			np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
		}
		if len(np.Spec.Egress) > 0 {
			np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
		if len(np.Spec.PolicyTypes) > 0 {
			out = append(out, pol)
		}
	}
	return out
}
